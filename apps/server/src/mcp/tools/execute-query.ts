import {
  MAX_QUERY_PARAM_NAME_LENGTH,
  MAX_QUERY_PARAMS,
  QUERY_PARAM_NAME,
  type QueryParamValue,
  type QueryResult,
} from "@mcp/clickhouse";
import { z } from "zod";
import type { EffectiveLimits } from "../effective-limits.js";
import { plural, rowsAsTsv, statisticsLine } from "../result-text.js";
import { columnShape, READ_ONLY_TOOL, statisticsShape, truncatedShape } from "../schemas.js";
import { defineTool, structured } from "../tool-definition.js";
import { queryOptions } from "../tool-runner.js";

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

/** The rows as TSV under a one-line summary, then what ClickHouse read, then the partial note. */
function resultText(result: QueryResult): string {
  const columns = result.columns.map((c) => `${c.name} ${c.type}`).join(", ");
  const lines = [
    `${plural(result.rowCount, "row")}${result.truncated ? " (partial)" : ""}; columns: ${columns}`,
    rowsAsTsv(result.columns, result.rows),
    `${statisticsLine(result.statistics)} Query id ${result.queryId}.`,
  ];
  const note = partialNote(result);
  if (note) lines.push(note);
  return lines.join("\n");
}

/**
 * The `settings` argument: one optional property per allowed setting, each nullable, in a closed
 * object. A free-form record cannot be converted to OpenAI's strict tool schemas (which need every
 * property named and required); strict converters make every property required, and null then
 * means "not set".
 */
const settingValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const settingsShape = z
  .object(Object.fromEntries(ALLOWED_QUERY_SETTINGS.map((name) => [name, settingValue.optional()])))
  .strict();

/** The settings a call actually sets (null and absent mean "leave as is"). */
function chosenSettings(settings: Record<string, unknown> | null | undefined) {
  const chosen: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(settings ?? {})) {
    if (value !== null && value !== undefined) chosen[name] = value as string | number | boolean;
  }
  return Object.keys(chosen).length > 0 ? chosen : undefined;
}

/**
 * The `params` argument: a list of `{name, value}` pairs rather than an object keyed by name, since
 * a free-form record has no strict-mode form (every property must be named). A value is a string,
 * number, boolean, null or an array of those; other types (64-bit integers and decimals beyond a
 * double, dates, tuples) travel as ClickHouse's text in a string, parsed against the placeholder's
 * type.
 */
const paramScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const paramsShape = z
  .array(
    z
      .object({
        name: z
          .string()
          .max(MAX_QUERY_PARAM_NAME_LENGTH)
          .regex(QUERY_PARAM_NAME)
          .describe("The placeholder's name: {name:Type} in the query"),
        value: z
          .union([paramScalar, z.array(paramScalar)])
          .describe("Its value; 64-bit integers, decimals and dates as strings"),
      })
      .strict(),
  )
  .max(MAX_QUERY_PARAMS)
  .superRefine((params, ctx) => {
    const seen = new Set<string>();
    for (const [index, { name }] of params.entries()) {
      if (seen.has(name))
        ctx.addIssue({ code: "custom", message: `duplicate parameter "${name}"`, path: [index, "name"] });
      seen.add(name);
    }
  });

/** The pairs as the pool's `params` option, or undefined when there are none. */
function boundParams(params: readonly { name: string; value: QueryParamValue }[] | null | undefined) {
  if (!params || params.length === 0) return undefined;
  return Object.fromEntries(params.map(({ name, value }) => [name, value]));
}

/** `execute_query`: one read-only statement, its rows, cut at the caps with a note. */
export function executeQueryTool(limits: EffectiveLimits) {
  return defineTool({
    name: "execute_query",
    title: "Run a read-only SQL query",
    description:
      "Runs one read-only ClickHouse SQL statement (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) and returns " +
      `the rows.${limits.maxRows !== undefined ? ` At most ${limits.maxRows} rows are returned.` : ""} When a cap ` +
      "cuts the result, `truncated` is set and a note explains how to narrow the query. 64-bit integers and " +
      "decimals come back as strings. Pass values as `params` (`{name:Type}` placeholders in the SQL, e.g. " +
      '`WHERE id = {id:UInt64}` with params [{name: "id", value: "42"}]) rather than writing them into ' +
      `the SQL. Optional settings: ${ALLOWED_QUERY_SETTINGS.join(", ")}.`,
    inputSchema: z
      .object({
        query: z.string().min(1).describe("One SQL statement, without a FORMAT clause"),
        settings: settingsShape
          .nullable()
          .optional()
          .describe("ClickHouse settings for this query; leave out (or null) what you do not set"),
        params: paramsShape
          .nullable()
          .optional()
          .describe(
            "Values bound to the query's {name:Type} placeholders as ClickHouse query parameters, never spliced into the SQL",
          ),
      })
      .strict(),
    outputSchema: queryOutput,
    annotations: READ_ONLY_TOOL,
    async run(client, { query, settings, params }, call) {
      const chosen = chosenSettings(settings);
      const bound = boundParams(params);
      const result = await client.executeQuery(query, {
        readOnly: true,
        ...queryOptions(limits, call),
        // Also what a query's own SETTINGS clause may name: the same harmless few.
        allowedSettings: ALLOWED_QUERY_SETTINGS,
        ...(chosen && { settings: chosen }),
        ...(bound && { params: bound }),
      });
      const value = {
        queryId: result.queryId,
        columns: result.columns,
        rows: result.rows,
        rowCount: result.rowCount,
        ...(result.truncated && { truncated: result.truncated }),
        statistics: result.statistics,
      };
      return structured(value, resultText(result));
    },
  });
}
