import { isDatabaseError } from "@mcp/clickhouse";
import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  ResourceNotFoundError,
  ResourceTemplate,
} from "@modelcontextprotocol/server";
import type { Logger } from "pino";
import { completeDatabase, completeTable } from "./completions.js";
import { callSignal, type McpContext } from "./mcp-context.js";
import { toolErrorResult } from "./tool-errors.js";

const SCHEMA_RESOURCE_MAX_TABLES_PER_DATABASE = 1000;

/** ClickHouse's codes for "no such database" (81) and "no such table" (60). */
const NOT_FOUND_CODES = new Set([60, 81]);

interface SchemaTable {
  name: string;
  engine: string;
  comment: string;
}

function jsonResource(uri: URL, value: unknown): ReadResourceResult {
  return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(value) }] };
}

/**
 * Resource reads fail as JSON-RPC errors; their text comes from the same mapping as tool errors.
 * A database or table that does not exist is the resource-not-found error of SEP-2164 (-32602 with
 * the URI), which clients can tell from a failure worth retrying.
 */
async function readResource(
  logger: Logger,
  resource: string,
  uri: URL,
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
    if (
      isDatabaseError(error) &&
      error.clickhouseCode !== undefined &&
      NOT_FOUND_CODES.has(error.clickhouseCode)
    ) {
      throw new ResourceNotFoundError(uri.href, mapped.text);
    }
    throw new ProtocolError(ProtocolErrorCode.InternalError, mapped.text);
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
    async (uri, request) =>
      readResource(logger, "schema", uri, async () => {
        const signal = callSignal(ctx, request.mcpReq.signal);
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

/** The URI of one table's resource. */
export function tableResourceUri(database: string, table: string): string {
  return `clickhouse://table/${encodeURIComponent(database)}/${encodeURIComponent(table)}`;
}

/**
 * `clickhouse://table/{database}/{table}`: one table's description. Both variables complete from
 * the connection's own catalog.
 */
export function registerTableResource(server: McpServer, ctx: McpContext): void {
  const { pool, connection, logger } = ctx;
  server.registerResource(
    "table",
    new ResourceTemplate("clickhouse://table/{database}/{table}", {
      list: undefined,
      complete: {
        database: (value) => completeDatabase(ctx, value),
        table: (value, context) => completeTable(ctx, context?.arguments?.database, value),
      },
    }),
    {
      title: "ClickHouse table",
      description: "One table's description: engine, comment and columns.",
      mimeType: "application/json",
    },
    async (uri, variables, request) =>
      readResource(logger, "table", uri, async () => {
        const database = decodeURIComponent(String(variables.database));
        const table = decodeURIComponent(String(variables.table));
        const signal = callSignal(ctx, request.mcpReq.signal);
        const description = await pool.withClient(connection, (client) =>
          client.describeTable(database, table, { signal }),
        );
        return jsonResource(uri, description);
      }),
  );
}
