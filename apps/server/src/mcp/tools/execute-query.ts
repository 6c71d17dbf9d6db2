import type { QueryResult } from "@mcp/clickhouse";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { columnShape, READ_ONLY_TOOL, statisticsShape, truncatedShape } from "../schemas.js";
import { queryOptions, structured, type ToolDeps } from "../tool-runner.js";

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

const queryOutput = z.object({
  queryId: z.string(),
  columns: z.array(columnShape),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: truncatedShape.optional(),
  statistics: statisticsShape,
});

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

/** `execute_query`: one read-only statement, its rows as JSON, cut at the caps with a note. */
export function registerExecuteQuery(server: McpServer, { limits, run }: ToolDeps): void {
  server.registerTool(
    "execute_query",
    {
      title: "Run a read-only SQL query",
      description:
        "Runs one read-only ClickHouse SQL statement (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) and returns " +
        `the rows as JSON.${limits.maxRows !== undefined ? ` At most ${limits.maxRows} rows are returned.` : ""} When a cap ` +
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
      annotations: READ_ONLY_TOOL,
    },
    async ({ query, settings }, extra) =>
      run("execute_query", extra.signal, async (client, signal) => {
        const result = await client.executeQuery(query, {
          readOnly: true,
          ...queryOptions(limits, signal),
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
}
