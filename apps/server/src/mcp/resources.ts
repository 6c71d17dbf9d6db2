import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError, type ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import { callSignal, type McpContext } from "./mcp-context.js";
import { toolErrorResult } from "./tool-errors.js";

const SCHEMA_RESOURCE_MAX_TABLES_PER_DATABASE = 1000;

interface SchemaTable {
  name: string;
  engine: string;
  comment: string;
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

/** `clickhouse://schema`: every database the connection can see, with its tables (capped per database). */
export function registerSchemaResource(server: McpServer, ctx: McpContext): void {
  const { pool, connection, logger } = ctx;
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
        const signal = callSignal(ctx, extra.signal);
        const databases = await pool.withClient(connection, async (client) => {
          const names = await client.listDatabases({ signal });
          const out: { name: string; tables: SchemaTable[]; partial?: true }[] = [];
          for (const name of names) {
            const tables: SchemaTable[] = [];
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
}

/** `clickhouse://table/{database}/{table}`: one table's description. */
export function registerTableResource(server: McpServer, ctx: McpContext): void {
  const { pool, connection, logger } = ctx;
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
        const signal = callSignal(ctx, extra.signal);
        const description = await pool.withClient(connection, (client) =>
          client.describeTable(database, table, { signal }),
        );
        return jsonResource(uri, description);
      }),
  );
}
