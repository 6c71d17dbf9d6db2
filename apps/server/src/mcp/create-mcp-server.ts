import type { ClickHousePool, PooledClient, QueryResult } from "@mcp/clickhouse";
import type { ConnectionClaims } from "@mcp/jwe";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type CallToolResult,
  ErrorCode,
  McpError,
  type ReadResourceResult,
} from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { Logger } from "pino";
import { z } from "zod";
import { toolErrorResult } from "../http-errors.js";
import type { Metrics } from "../metrics.js";
import type { EffectiveLimits } from "./effective-limits.js";

export type { EffectiveLimits } from "./effective-limits.js";

export interface McpContext {
  connection: ConnectionClaims;
  limits: EffectiveLimits;
  pool: ClickHousePool;
  logger: Logger;
  metrics: Metrics;
  /** Aborts every tool call of this server (an aborted HTTP request, shutdown). */
  signal?: AbortSignal;
  /** Reported as serverInfo.version. */
  version?: string;
}

/**
 * Settings a model may pass to execute_query. None of them can lift a limit (rows, bytes, time,
 * memory, readonly); they only change how a query is planned or formatted.
 */
export const ALLOWED_QUERY_SETTINGS = Object.freeze([
  "max_threads",
  "join_algorithm",
  "join_use_nulls",
  "use_query_cache",
  "optimize_read_in_order",
  "date_time_output_format",
  "transform_null_in",
  "prefer_column_name_to_alias",
]);

const SCHEMA_RESOURCE_MAX_TABLES_PER_DATABASE = 1000;

const columnShape = z.object({ name: z.string(), type: z.string() });
const truncatedShape = z.object({ reason: z.enum(["rows", "bytes"]), limit: z.number() });

const queryOutput = z.object({
  queryId: z.string(),
  columns: z.array(columnShape),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: truncatedShape.optional(),
  statistics: z.object({ elapsedMs: z.number(), rowsRead: z.number(), bytesRead: z.number() }),
});

const writeOutput = z.object({
  queryId: z.string(),
  statistics: z.object({ elapsedMs: z.number(), rowsRead: z.number(), bytesRead: z.number() }),
});

const tableInfoShape = z.object({
  database: z.string(),
  name: z.string(),
  engine: z.string(),
  totalRows: z.string().nullable(),
  totalBytes: z.string().nullable(),
  comment: z.string(),
});

const tableDescriptionShape = z.object({
  database: z.string(),
  name: z.string(),
  engine: z.string(),
  comment: z.string(),
  columns: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      defaultKind: z.string(),
      defaultExpression: z.string(),
      comment: z.string(),
      inPrimaryKey: z.boolean(),
      inSortingKey: z.boolean(),
      inPartitionKey: z.boolean(),
    }),
  ),
});

const identifier = (what: string) =>
  z.string().min(1).max(256).describe(`${what} name, exactly as ClickHouse spells it (no quoting)`);

function partialNote(result: QueryResult): string | undefined {
  if (!result.truncated) return undefined;
  const cap =
    result.truncated.reason === "rows" ? `${result.truncated.limit} rows` : `${result.truncated.limit} bytes`;
  return (
    `Note: the result is partial. It stopped at the server's cap of ${cap}; more rows exist. ` +
    "Narrow the query (a WHERE filter, an aggregate such as count() or GROUP BY, fewer columns, " +
    "or ORDER BY with LIMIT/OFFSET to page) rather than asking for everything."
  );
}

function structured<T extends Record<string, unknown>>(value: T, note?: string): CallToolResult {
  const content: CallToolResult["content"] = [{ type: "text", text: JSON.stringify(value) }];
  if (note) content.push({ type: "text", text: note });
  return { content, structuredContent: value };
}

function jsonResource(uri: URL, value: unknown): ReadResourceResult {
  return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(value) }] };
}

/** Resource reads fail as JSON-RPC errors; their text comes from the same mapping as tool errors. */
async function readResource(
  logger: Logger,
  resource: string,
  fn: () => Promise<ReadResourceResult>,
): Promise<ReadResourceResult> {
  const started = performance.now();
  try {
    const result = await fn();
    logger.debug(
      { resource, outcome: "ok", durationMs: Math.round(performance.now() - started) },
      "resource read",
    );
    return result;
  } catch (error) {
    const mapped = toolErrorResult(error);
    logger.info({ resource, outcome: mapped.outcome, ...mapped.log }, "resource read");
    const text = mapped.result.content[0]?.type === "text" ? mapped.result.content[0].text : "Error";
    throw new McpError(ErrorCode.InternalError, text);
  }
}

function combine(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return AbortSignal.any(present);
}

/**
 * One MCP server for one connection (a token's, or the operator's ClickHouse). Every tool
 * reports its outcome and duration to the log and metrics and turns failures into `isError`
 * results; the query is cancelled when the client cancels the call (notifications/cancelled),
 * when the transport closes, or when ctx.signal aborts.
 */
// The SDK builds a new Ajv instance per server unless given one; a server is made per Streamable
// HTTP request and per SSE session, so one shared validator saves ~0.6 ms and ~80 kB each time.
const jsonSchemaValidator = new AjvJsonSchemaValidator();

export function createMcpServer(ctx: McpContext): McpServer {
  const { connection, limits, pool, logger, metrics } = ctx;
  const server = new McpServer(
    { name: "altinity-mcp", version: ctx.version ?? "0.0.0" },
    {
      jsonSchemaValidator,
      capabilities: { tools: {}, resources: {} },
      instructions:
        "Query ClickHouse. Discover with list_databases, list_tables and describe_table, then use execute_query " +
        "for read-only SQL." +
        (limits.maxRows > 0 ? ` Results are capped at ${limits.maxRows} rows.` : "") +
        (limits.readOnly
          ? " This connection is read-only."
          : " Use write_query for statements that change data."),
    },
  );

  const queryOptions = (signal: AbortSignal | undefined) => ({
    ...(limits.maxRows > 0 && { maxRows: limits.maxRows }),
    ...(limits.maxBytes > 0 && { maxBytes: limits.maxBytes }),
    ...(limits.maxExecutionTime > 0 && { maxExecutionTime: limits.maxExecutionTime }),
    ...(limits.maxMemoryUsage > 0 && { maxMemoryUsage: limits.maxMemoryUsage }),
    ...(limits.maxQueryLength > 0 && { maxQueryLength: limits.maxQueryLength }),
    ...(signal && { signal }),
  });

  /** Runs one tool call: pool client, cancellation, log line, metrics, error mapping. */
  async function run(
    tool: string,
    extraSignal: AbortSignal,
    fn: (client: PooledClient, signal: AbortSignal) => Promise<CallToolResult>,
  ): Promise<CallToolResult> {
    const started = performance.now();
    const signal = combine(extraSignal, ctx.signal) as AbortSignal;
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await pool.withClient(connection, (client) => fn(client, signal));
      const durationMs = Math.round(seconds() * 1000);
      metrics.recordToolCall(tool, "ok", seconds());
      const partial =
        (result.structuredContent as { truncated?: unknown } | undefined)?.truncated !== undefined;
      logger.info({ tool, outcome: "ok", durationMs, ...(partial && { partial }) }, "tool call");
      return result;
    } catch (error) {
      const mapped = toolErrorResult(error, signal);
      const durationMs = Math.round(seconds() * 1000);
      metrics.recordToolCall(tool, mapped.outcome, seconds());
      logger.info({ tool, outcome: mapped.outcome, durationMs, ...mapped.log }, "tool call");
      return mapped.result;
    }
  }

  server.registerTool(
    "execute_query",
    {
      title: "Run a read-only SQL query",
      description:
        "Runs one read-only ClickHouse SQL statement (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) and returns " +
        `the rows as JSON.${limits.maxRows > 0 ? ` At most ${limits.maxRows} rows are returned.` : ""} When a cap ` +
        "cuts the result, `truncated` is set and a note explains how to narrow the query. 64-bit integers and " +
        `decimals come back as strings. Optional settings: ${ALLOWED_QUERY_SETTINGS.join(", ")}.`,
      inputSchema: z
        .object({
          query: z.string().min(1).describe("One SQL statement, without a FORMAT clause"),
          settings: z
            .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
            .optional()
            .describe(`ClickHouse settings for this query; allowed: ${ALLOWED_QUERY_SETTINGS.join(", ")}`),
        })
        .strict(),
      outputSchema: queryOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ query, settings }, extra) =>
      run("execute_query", extra.signal, async (client, signal) => {
        const result = await client.executeQuery(query, {
          readOnly: true,
          ...queryOptions(signal),
          // Also what a query's own SETTINGS clause may name: the same harmless few.
          allowedSettings: ALLOWED_QUERY_SETTINGS,
          ...(settings && { settings }),
        });
        const value = {
          queryId: result.queryId,
          columns: result.columns,
          rows: result.rows,
          rowCount: result.rowCount,
          ...(result.truncated && { truncated: result.truncated }),
          statistics: result.statistics,
        };
        return structured(value, partialNote(result));
      }),
  );

  if (!limits.readOnly) {
    server.registerTool(
      "write_query",
      {
        title: "Run a SQL statement that changes data or schema",
        description:
          "Runs one ClickHouse SQL statement that writes (INSERT, CREATE, ALTER, DROP, TRUNCATE, …). " +
          "Use execute_query for reads.",
        inputSchema: z.object({ query: z.string().min(1).describe("One SQL statement") }).strict(),
        outputSchema: writeOutput,
        annotations: {
          readOnlyHint: false,
          destructiveHint: true,
          idempotentHint: false,
          openWorldHint: false,
        },
      },
      async ({ query }, extra) =>
        run("write_query", extra.signal, async (client, signal) => {
          const result = await client.executeQuery(query, { readOnly: false, ...queryOptions(signal) });
          return structured({ queryId: result.queryId, statistics: result.statistics });
        }),
    );
  }

  server.registerTool(
    "list_databases",
    {
      title: "List databases",
      description: "Lists the databases this connection can see.",
      inputSchema: z.object({}).strict(),
      outputSchema: z.object({ databases: z.array(z.string()) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (_args, extra) =>
      run("list_databases", extra.signal, async (client, signal) =>
        structured({ databases: await client.listDatabases({ signal }) }),
      ),
  );

  server.registerTool(
    "list_tables",
    {
      title: "List tables",
      description:
        "Lists the tables of a database with engine, row and byte counts and comment, 100 per page " +
        "(or `limit`). " +
        "Pass `like` (a SQL LIKE pattern on the table name) to filter, and `cursor` (the previous page's " +
        "nextCursor) to get the next page.",
      inputSchema: z
        .object({
          database: identifier("Database"),
          like: z
            .string()
            .max(256)
            .optional()
            .describe("SQL LIKE pattern on the table name, e.g. 'events_%'"),
          cursor: z.string().max(2048).optional().describe("nextCursor from the previous page"),
          limit: z.number().int().min(1).max(1000).optional().describe("Tables per page, default 100"),
        })
        .strict(),
      outputSchema: z.object({ tables: z.array(tableInfoShape), nextCursor: z.string().optional() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ database, like, cursor, limit }, extra) =>
      run("list_tables", extra.signal, async (client, signal) => {
        const page = await client.listTables(database, {
          ...(like !== undefined && { like }),
          ...(cursor !== undefined && { cursor }),
          ...(limit !== undefined && { pageSize: limit }),
          signal,
        });
        return structured(
          page.nextCursor ? { tables: page.tables, nextCursor: page.nextCursor } : { tables: page.tables },
        );
      }),
  );

  server.registerTool(
    "describe_table",
    {
      title: "Describe a table",
      description: "Returns a table's engine, comment and columns (type, default, comment, key membership).",
      inputSchema: z.object({ database: identifier("Database"), table: identifier("Table") }).strict(),
      outputSchema: tableDescriptionShape,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ database, table }, extra) =>
      run("describe_table", extra.signal, async (client, signal) =>
        structured({ ...(await client.describeTable(database, table, { signal })) }),
      ),
  );

  server.registerResource(
    "schema",
    "clickhouse://schema",
    {
      title: "ClickHouse schema",
      description: "Every database this connection can see, with its tables (name, engine, comment).",
      mimeType: "application/json",
    },
    async (uri, extra) =>
      readResource(logger, "schema", async () => {
        const signal = combine(extra.signal, ctx.signal) as AbortSignal;
        const databases = await pool.withClient(connection, async (client) => {
          const names = await client.listDatabases({ signal });
          const out: {
            name: string;
            tables: { name: string; engine: string; comment: string }[];
            partial?: true;
          }[] = [];
          for (const name of names) {
            const tables: { name: string; engine: string; comment: string }[] = [];
            let cursor: string | undefined;
            do {
              const page = await client.listTables(name, {
                pageSize: 1000,
                signal,
                ...(cursor && { cursor }),
              });
              tables.push(
                ...page.tables.map((t) => ({ name: t.name, engine: t.engine, comment: t.comment })),
              );
              cursor = page.nextCursor;
            } while (cursor && tables.length < SCHEMA_RESOURCE_MAX_TABLES_PER_DATABASE);
            out.push(cursor ? { name, tables, partial: true } : { name, tables });
          }
          return out;
        });
        return jsonResource(uri, { databases });
      }),
  );

  server.registerResource(
    "table",
    new ResourceTemplate("clickhouse://table/{database}/{table}", { list: undefined }),
    {
      title: "ClickHouse table",
      description: "One table's description: engine, comment and columns.",
      mimeType: "application/json",
    },
    async (uri, variables, extra) =>
      readResource(logger, "table", async () => {
        const database = decodeURIComponent(String(variables.database));
        const table = decodeURIComponent(String(variables.table));
        const signal = combine(extra.signal, ctx.signal) as AbortSignal;
        const description = await pool.withClient(connection, (client) =>
          client.describeTable(database, table, { signal }),
        );
        return jsonResource(uri, description);
      }),
  );

  return server;
}
