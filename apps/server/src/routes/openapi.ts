/**
 * The OpenAPI surface (`--openapi`): `GET [/<token>]/openapi` answers the connection's document,
 * `GET|POST [/<token>]/openapi/<tool>` calls a tool. Runs behind the shutdown check and the auth
 * middleware (`c.var.auth`), as the MCP endpoints do, and calls go through the same tool list
 * (mcp/connection-tools.ts) and runner: same caps, read-only guard, deadlines, metrics and log line.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import type { Logger } from "pino";
import type { RequestAuth } from "../auth/authenticate.js";
import type { AuthEnv } from "../http/app-env.js";
import type { TokenCallLimiter } from "../http/call-limiter.js";
import { httpError, jsonResponse, methodNotAllowed, toolFailure, tooManyCalls } from "../http/errors.js";
import type { InFlight } from "../http/in-flight.js";
import { connectionTools } from "../mcp/connection-tools.js";
import type { McpContext } from "../mcp/mcp-context.js";
import type { ToolError } from "../mcp/tool-errors.js";
import { createToolRunner } from "../mcp/tool-runner.js";
import { argumentsFromBody, argumentsFromQuery, checkArguments } from "../openapi/call-arguments.js";
import { openApiDocument, TRUNCATED_HEADER, TRUNCATED_HEADER_VALUES } from "../openapi/document.js";
import { convertSchema } from "../openapi/json-schema.js";

export interface OpenApiRoutesOptions {
  /** `http`: the document's server URL takes the request's scheme; `https`: always https (TLS-terminating proxy). */
  mode: "http" | "https";
  /** JWE on: the document declares how a token is sent. */
  authenticated: boolean;
  version: string;
  logger: Logger;
  /** What the connection's tools run with (its operator-defined tools discovered), as for its MCP server. */
  context(auth: RequestAuth, options: { logger: Logger; signal: AbortSignal }): Promise<McpContext>;
  /** Counts requests being answered, so shutdown can wait for them; its signal aborts them. */
  inFlight: InFlight;
  /** Per-token cap on requests running at once, shared with the MCP endpoints. */
  calls: TokenCallLimiter;
}

export interface OpenApiRoutes {
  document(c: Context<AuthEnv>): Promise<Response>;
  call(c: Context<AuthEnv>): Promise<Response>;
}

/** host, host:port, [v6]:port: a Host header fit to be written into the document. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function json(body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

function textOf(result: CallToolResult): string {
  return result.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n");
}

export function createOpenApiRoutes(options: OpenApiRoutesOptions): OpenApiRoutes {
  const { logger, inFlight, calls } = options;

  /** The server URL for the document: the request's own scheme and Host (https when told so). */
  function serverUrl(c: Context<AuthEnv>): string {
    const host = c.req.header("host") ?? "";
    if (!HOST.test(host)) return "/";
    const scheme = options.mode === "https" ? "https" : new URL(c.req.url).protocol.replace(/:$/, "");
    return `${scheme}://${host}`;
  }

  /** The per-token call cap and shutdown's in-flight count around one request, as for MCP requests. */
  async function counted(c: Context<AuthEnv>, work: (context: McpContext) => Promise<Response>) {
    const tokenKey = c.var.auth.tokenDigest?.toString("hex");
    const release = tokenKey === undefined ? () => {} : calls.tryAcquire(tokenKey);
    if (release === undefined) {
      logger.warn({ maxPerToken: calls.maxPerToken }, "concurrent call limit per token reached");
      return jsonResponse(tooManyCalls(calls.maxPerToken));
    }
    const end = inFlight.begin();
    try {
      const context = await options.context(c.var.auth, {
        logger: logger.child({ reqId: c.get("requestId") }),
        signal: inFlight.signal,
      });
      return await work(context);
    } finally {
      end();
      release();
    }
  }

  async function document(c: Context<AuthEnv>): Promise<Response> {
    return counted(c, async (context) =>
      json(
        openApiDocument(connectionTools(context), {
          serverUrl: serverUrl(c),
          version: options.version,
          authenticated: options.authenticated,
          limits: context.limits,
        }),
      ),
    );
  }

  async function call(c: Context<AuthEnv>): Promise<Response> {
    // Hono answers HEAD with the GET chain: a HEAD must not run a query.
    if (c.req.method !== "GET" && c.req.method !== "POST") return jsonResponse(methodNotAllowed("GET, POST"));
    const name = c.req.param("tool") ?? "";
    return counted(c, async (context) => {
      const tool = connectionTools(context).find((t) => t.name === name);
      // The name is not quoted back: it is whatever followed /openapi/ in the path.
      if (tool === undefined) {
        return jsonResponse(
          httpError("not_found", "this connection has no tool of that name; GET openapi lists them"),
        );
      }
      if (c.req.method === "GET" && tool.annotations.readOnlyHint !== true) {
        // A link preview or prefetch must never run a write: tools that change data take POST only.
        return jsonResponse(methodNotAllowed("POST", "this tool changes data: call it with POST"));
      }
      const raw =
        c.req.method === "GET"
          ? argumentsFromQuery(
              new URL(c.req.url).searchParams,
              convertSchema(tool.inputSchema, "input", tool.name).schema,
            )
          : await argumentsFromBody(c.req.raw);
      if (!raw.ok) return jsonResponse(raw.error);
      const checked = checkArguments(tool.inputSchema, raw.args);
      if (!checked.ok) return jsonResponse(checked.error);

      let failure: ToolError | undefined;
      const result = await createToolRunner(context)(tool, checked.args, {
        // A client that hangs up aborts this signal, which cancels the running query.
        signal: c.var.requestSignal,
        onFailure: (error) => {
          failure = error;
        },
      });
      if (failure !== undefined) return jsonResponse(toolFailure(failure.log.code, failure.text));
      if (result.isError) return jsonResponse(httpError("query_failed", textOf(result)));

      const body = result.structuredContent ?? { text: textOf(result) };
      const reason = (body as { truncated?: { reason?: unknown } }).truncated?.reason;
      const header = TRUNCATED_HEADER_VALUES[reason as keyof typeof TRUNCATED_HEADER_VALUES];
      return json(body, header ? { [TRUNCATED_HEADER]: header } : {});
    });
  }

  return { document, call };
}
