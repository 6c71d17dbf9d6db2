import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { McpContext } from "./mcp-context.js";
import { registerSchemaResource, registerTableResource } from "./resources.js";
import { createToolRunner, type ToolDeps } from "./tool-runner.js";
import { registerDescribeTable } from "./tools/describe-table.js";
import { registerExecuteQuery } from "./tools/execute-query.js";
import { registerListDatabases } from "./tools/list-databases.js";
import { registerListTables } from "./tools/list-tables.js";
import { registerWriteQuery } from "./tools/write-query.js";

export type { EffectiveLimits } from "./effective-limits.js";
export type { McpContext } from "./mcp-context.js";

// The SDK builds a new Ajv instance per server unless given one; a server is made per Streamable
// HTTP request and per SSE session, so one shared validator saves ~0.6 ms and ~80 kB each time.
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/**
 * One MCP server for one connection (a token's, or the operator's ClickHouse). Every tool
 * reports its outcome and duration to the log and metrics and turns failures into `isError`
 * results; the query is cancelled when the client cancels the call (notifications/cancelled),
 * when the transport closes, or when ctx.signal aborts. One file per tool under tools/.
 */
export function createMcpServer(ctx: McpContext): McpServer {
  const { limits } = ctx;
  const server = new McpServer(
    { name: "altinity-mcp", version: ctx.version ?? "0.0.0" },
    {
      jsonSchemaValidator,
      capabilities: { tools: {}, resources: {} },
      instructions:
        "Query ClickHouse. Discover with list_databases, list_tables and describe_table, then use execute_query " +
        "for read-only SQL." +
        (limits.maxRows !== undefined ? ` Results are capped at ${limits.maxRows} rows.` : "") +
        (limits.readOnly
          ? " This connection is read-only."
          : " Use write_query for statements that change data."),
    },
  );

  const tools: ToolDeps = { limits, run: createToolRunner(ctx) };
  registerExecuteQuery(server, tools);
  if (!limits.readOnly) registerWriteQuery(server, tools);
  registerListDatabases(server, tools);
  registerListTables(server, tools);
  registerDescribeTable(server, tools);
  registerSchemaResource(server, ctx);
  registerTableResource(server, ctx);
  return server;
}
