/**
 * The OpenAPI 3.1 document of one connection's tools, for ChatGPT GPT actions and any other
 * OpenAPI client: one POST operation per tool at `/openapi/<tool>`, its request body the tool's
 * input schema and its answer the tool's structured content. The document never holds a token:
 * the caller authenticates with a header (or the token in the path, which the document leaves out).
 */
import type { EffectiveLimits } from "../mcp/effective-limits.js";
import type { AnyToolDefinition } from "../mcp/tool-definition.js";
import { convertSchema, fitText, GPT_ACTION_LIMITS, type JsonSchema } from "./json-schema.js";

export const TRUNCATED_HEADER = "X-MCP-Truncated";

/** The values of X-MCP-Truncated, as the reference sends them. */
export const TRUNCATED_HEADER_VALUES = { rows: "max_result_rows", bytes: "max_result_bytes" } as const;

export interface OpenApiDocumentOptions {
  /** The `servers` entry: `https://host:port`, or "/" when the request named no usable host. */
  serverUrl: string;
  version: string;
  /** JWE on: the document declares the header schemes a token may travel in. */
  authenticated: boolean;
  limits: EffectiveLimits;
}

/** Where a tool is called, below the server URL (the token-less form; `/<token>/openapi/<tool>` works too). */
export function operationPath(toolName: string): string {
  return `/openapi/${encodeURIComponent(toolName)}`;
}

const ERROR_SCHEMA: JsonSchema = {
  type: "object",
  properties: {
    error: {
      type: "string",
      description: "What went wrong, e.g. invalid_request, query_failed, invalid_token",
    },
    error_description: {
      type: "string",
      description: "Details; for a failed query the error ClickHouse reported (code, type, message)",
    },
  },
  required: ["error", "error_description"],
};

const SECURITY_SCHEMES: JsonSchema = {
  bearerToken: {
    type: "http",
    scheme: "bearer",
    description: "The JWE token (in GPT actions: Authentication, API Key, Auth Type Bearer).",
  },
  altinityMcpKey: {
    type: "apiKey",
    in: "header",
    name: "X-Altinity-MCP-Key",
    description: "The JWE token in a header of its own (in GPT actions: API Key, Auth Type Custom).",
  },
};

function infoDescription(tools: readonly AnyToolDefinition[], limits: EffectiveLimits): string {
  const names = new Set(tools.map((t) => t.name));
  const text = [
    "Query ClickHouse.",
    names.has("list_databases") && "Discover with list_databases, list_tables and describe_table,",
    names.has("execute_query") && "then run read-only SQL with execute_query.",
    limits.maxRows !== undefined && `Results are capped at ${limits.maxRows} rows.`,
    limits.readOnly
      ? "This connection is read-only."
      : names.has("write_query") && "write_query changes data.",
  ];
  return fitText(text.filter(Boolean).join(" "), GPT_ACTION_LIMITS.operationText);
}

/** The document of these tools; the same tools, in the same order, as the connection's MCP tools/list. */
export function openApiDocument(
  tools: readonly AnyToolDefinition[],
  options: OpenApiDocumentOptions,
): JsonSchema {
  const components: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  const paths: Record<string, JsonSchema> = {};
  for (const tool of tools) {
    const input = convertSchema(tool.inputSchema, "input", `${tool.name}.input`);
    const output = convertSchema(tool.outputSchema, "output", `${tool.name}.output`);
    Object.assign(components, input.components, output.components);
    const properties = output.schema.properties as Record<string, unknown> | undefined;
    const capped = properties !== undefined && Object.hasOwn(properties, "truncated");
    const readOnly = tool.annotations.readOnlyHint === true;
    paths[operationPath(tool.name)] = {
      post: {
        operationId: tool.name,
        summary: fitText(tool.title, GPT_ACTION_LIMITS.operationText),
        description: fitText(tool.description, GPT_ACTION_LIMITS.operationText),
        // GPT actions ask before every consequential call; POST counts as one unless told otherwise.
        "x-openai-isConsequential": !readOnly,
        requestBody: { required: true, content: { "application/json": { schema: input.schema } } },
        responses: {
          "200": {
            description: capped
              ? `The result; cut at a server cap when ${TRUNCATED_HEADER} is set (and \`truncated\`)`
              : "The result",
            ...(capped && {
              headers: {
                [TRUNCATED_HEADER]: {
                  description: "Set when a server cap cut the result: which cap",
                  schema: { type: "string", enum: Object.values(TRUNCATED_HEADER_VALUES) },
                },
              },
            }),
            content: { "application/json": { schema: output.schema } },
          },
          "4XX": { $ref: "#/components/responses/Error" },
          "5XX": { $ref: "#/components/responses/Error" },
        },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "ClickHouse (altinity-mcp)",
      version: options.version,
      description: infoDescription(tools, options.limits),
    },
    servers: [{ url: options.serverUrl }],
    ...(options.authenticated && { security: [{ bearerToken: [] }, { altinityMcpKey: [] }] }),
    paths,
    components: {
      schemas: components,
      responses: {
        Error: {
          description:
            "Refused or failed: bad arguments (400), token (401), a failed query (422), ClickHouse unreachable (502), …",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
      ...(options.authenticated && { securitySchemes: SECURITY_SCHEMES }),
    },
  };
}
