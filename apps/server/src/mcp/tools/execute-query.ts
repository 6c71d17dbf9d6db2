import {
  MAX_QUERY_PARAM_NAME_LENGTH,
  MAX_QUERY_PARAMS,
  QUERY_PARAM_NAME,
  type QueryEstimate,
  type QueryParamValue,
  type QueryResult,
} from "@mcp/clickhouse";
import { z } from "zod";
import type { EffectiveLimits } from "../effective-limits.js";
import { formatBytes, plural, rowsAsTsv, statisticsLine } from "../result-text.js";
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

/** With `estimate: true`: the totals of the rows, and how they compare with the read budget. */
const estimateShape = z.object({
  totalRows: z.number(),
  totalParts: z.number(),
  totalMarks: z.number(),
  /** Approximate uncompressed bytes, an upper bound; null when a table's size is unknown. */
  totalBytes: z.number().nullable(),
  readBudget: z
    .object({ maxRowsToRead: z.number().optional(), maxBytesToRead: z.number().optional() })
    .optional(),
  overBudget: z.boolean(),
});

const queryOutput = z.object({
  queryId: z.string(),
  columns: z.array(columnShape),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: truncatedShape.optional(),
  statistics: statisticsShape,
  estimate: estimateShape.optional(),
});

const ESTIMATE_COLUMNS = [
  { name: "database", type: "String" },
  { name: "table", type: "String" },
  { name: "parts", type: "UInt64" },
  { name: "rows", type: "UInt64" },
  { name: "marks", type: "UInt64" },
  { name: "bytes", type: "Nullable(UInt64)" },
];

type ReadBudget = Pick<EffectiveLimits, "maxRowsToRead" | "maxBytesToRead">;

function readBudgetOf(limits: EffectiveLimits): ReadBudget | undefined {
  const budget: ReadBudget = {};
  if (limits.maxRowsToRead !== undefined) budget.maxRowsToRead = limits.maxRowsToRead;
  if (limits.maxBytesToRead !== undefined) budget.maxBytesToRead = limits.maxBytesToRead;
  return Object.keys(budget).length > 0 ? budget : undefined;
}

function isOverBudget(estimate: QueryEstimate, budget: ReadBudget | undefined): boolean {
  if (!budget) return false;
  if (budget.maxRowsToRead !== undefined && estimate.totalRows > budget.maxRowsToRead) return true;
  return (
    budget.maxBytesToRead !== undefined &&
    estimate.totalBytes !== null &&
    estimate.totalBytes > budget.maxBytesToRead
  );
}

function budgetText(budget: ReadBudget): string {
  return [
    budget.maxRowsToRead !== undefined && `${budget.maxRowsToRead} rows`,
    budget.maxBytesToRead !== undefined && `${budget.maxBytesToRead} bytes`,
  ]
    .filter(Boolean)
    .join(" and ");
}

/** The estimate as a model reads it: totals, one line per table, and the verdict on the budget. */
function estimateText(estimate: QueryEstimate, budget: ReadBudget | undefined, over: boolean): string {
  if (estimate.tables.length === 0) {
    return (
      "Estimate (the query was not run): ClickHouse has no estimate for this query. Only MergeTree-family " +
      "tables are estimated; table functions, system tables, views' other sources and other engines are not." +
      (budget ? ` The read budget (${budgetText(budget)}) still applies when it runs.` : "")
    );
  }
  const bytes =
    estimate.totalBytes === null ? "" : ` (at most ~${formatBytes(estimate.totalBytes)} uncompressed)`;
  const lines = [
    `Estimate (the query was not run): ClickHouse would read ~${plural(estimate.totalRows, "row")}${bytes} ` +
      `in ${plural(estimate.totalParts, "part")} (${plural(estimate.totalMarks, "mark")}) of ` +
      `${plural(estimate.tables.length, "table")}, after primary key and partition pruning.`,
    rowsAsTsv(ESTIMATE_COLUMNS, estimate.tables as unknown as Record<string, unknown>[]),
    "Bytes are an upper bound (every column of the rows); the query reads only the columns it uses.",
  ];
  if (budget) {
    lines.push(
      over
        ? `Over the read budget (${budgetText(budget)}): running it would most likely be refused (unless a LIMIT ` +
            "lets ClickHouse stop early). Narrow it first: filter on the sorting or partition key, a shorter time range."
        : `Within the read budget (${budgetText(budget)}).`,
    );
  }
  return lines.join("\n");
}

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

/** The description's sentence on the read budget, when there is one. */
function readBudgetNote(limits: EffectiveLimits): string {
  const budget = readBudgetOf(limits);
  return budget
    ? ` A query that would read more than ${budgetText(budget)} from tables is refused (the read budget); ` +
        "pass estimate: true to see what a SELECT would read without running it."
    : " Pass estimate: true to see what a SELECT would read (parts, rows, bytes per table) without running it.";
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
      `the SQL.${readBudgetNote(limits)} Optional settings: ${ALLOWED_QUERY_SETTINGS.join(", ")}.`,
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
        estimate: z
          .boolean()
          .nullable()
          .optional()
          .describe(
            "true: do not run the query; return ClickHouse's estimate (EXPLAIN ESTIMATE) of the parts, rows and bytes it would read per table",
          ),
      })
      .strict(),
    outputSchema: queryOutput,
    annotations: READ_ONLY_TOOL,
    async run(client, { query, settings, params, estimate }, call) {
      const chosen = chosenSettings(settings);
      const bound = boundParams(params);
      const options = {
        readOnly: true,
        ...queryOptions(limits, call),
        // Also what a query's own SETTINGS clause may name: the same harmless few.
        allowedSettings: ALLOWED_QUERY_SETTINGS,
        ...(chosen && { settings: chosen }),
        ...(bound && { params: bound }),
      };
      if (estimate === true) {
        const budget = readBudgetOf(limits);
        const estimated = await client.estimateQuery(query, options);
        const over = isOverBudget(estimated, budget);
        return structured(
          {
            queryId: estimated.queryId,
            columns: ESTIMATE_COLUMNS,
            rows: estimated.tables,
            rowCount: estimated.tables.length,
            statistics: estimated.statistics,
            estimate: {
              totalRows: estimated.totalRows,
              totalParts: estimated.totalParts,
              totalMarks: estimated.totalMarks,
              totalBytes: estimated.totalBytes,
              ...(budget && { readBudget: budget }),
              overBudget: over,
            },
          },
          estimateText(estimated, budget, over),
        );
      }
      const result = await client.executeQuery(query, options);
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
