import { McpServer, type RegisteredTool } from "@modelcontextprotocol/server";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/server/validators/ajv";
import { CACHE_HINTS, cacheHintsWithToolsTtl } from "./cache-hints.js";
import { connectionTools } from "./connection-tools.js";
import type { McpContext } from "./mcp-context.js";
import { followOperatorTools } from "./operator-tools/index.js";
import { registerPrompts } from "./prompts.js";
import { registerSchemaResource, registerTableResource } from "./resources.js";
import type { AnyToolDefinition } from "./tool-definition.js";
import { createToolRunner, mcpInvocation, type ToolRunner } from "./tool-runner.js";

export type { EffectiveLimits } from "./effective-limits.js";
export type { McpContext } from "./mcp-context.js";

// The SDK builds a new Ajv instance per server unless given one; a server is made per Streamable
// HTTP request and per SSE session, so one shared validator saves its construction each time.
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/** Arguments of one tool call may hold at most this many array elements and object members. */
const MAX_TOOL_INPUT_ELEMENTS = 10_000;

/**
 * One MCP server for one connection (a token's, or the operator's ClickHouse), for either
 * protocol era. Every tool reports its outcome and duration to the log and metrics and turns
 * failures into `isError` results; the query is cancelled when the client cancels the call, when
 * the transport closes, or when ctx.signal aborts. One file per tool under tools/.
 *
 * Without operator-defined tools nothing here changes while a client is connected (the tool set
 * follows the token), so no `listChanged` is advertised: a capability with no event behind it
 * would only make clients hold a subscription open for nothing. With discovery rules, the tool
 * list follows the connection's views and tables: `tools.listChanged` is advertised, `tools/list`
 * may be cached for the discovery TTL only, and a long-lived server (SSE session, stdio) updates
 * its tools when discovery finds a change (operator-tools/).
 */
export function createMcpServer(ctx: McpContext): McpServer {
  const { limits, operatorTools } = ctx;
  const server = new McpServer(
    { name: "altinity-mcp", title: "ClickHouse", version: ctx.version ?? "0.0.0" },
    {
      jsonSchemaValidator,
      maxToolInputElements: MAX_TOOL_INPUT_ELEMENTS,
      cacheHints:
        operatorTools?.toolsTtlMs !== undefined
          ? cacheHintsWithToolsTtl(operatorTools.toolsTtlMs)
          : CACHE_HINTS,
      capabilities: {
        tools: { listChanged: operatorTools?.listChanged ?? false },
        resources: { listChanged: false, subscribe: false },
        prompts: { listChanged: false },
        logging: {},
      },
      instructions:
        "Query ClickHouse. Discover with list_databases, list_tables and describe_table, then use execute_query " +
        "for read-only SQL." +
        (limits.maxRows !== undefined ? ` Results are capped at ${limits.maxRows} rows.` : "") +
        (limits.readOnly
          ? " This connection is read-only."
          : " Use write_query for statements that change data.") +
        " The prompts explore_database and write_query_for_question give a schema overview to start from." +
        (operatorTools?.listChanged
          ? " The other tools read views or insert rows the operator chose for this purpose: prefer them when they fit."
          : ""),
    },
  );

  const run = createToolRunner(ctx);
  const registered = new Map<string, RegisteredTool>();
  for (const tool of connectionTools(ctx)) registered.set(tool.name, registerTool(server, tool, run));
  if (operatorTools)
    followOperatorTools(server, operatorTools, registered, (tool) => registerTool(server, tool, run));
  registerSchemaResource(server, ctx);
  registerTableResource(server, ctx);
  registerPrompts(server, ctx);
  return server;
}

/** One tool on an MCP server: the SDK validates the arguments against its schema, the runner runs it. */
function registerTool(server: McpServer, tool: AnyToolDefinition, run: ToolRunner): RegisteredTool {
  return server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      outputSchema: tool.outputSchema,
      annotations: tool.annotations,
    },
    (args, request) => run(tool, args, mcpInvocation(request)),
  );
}
