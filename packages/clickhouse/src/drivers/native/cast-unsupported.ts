import {
  type Connection,
  isNativeError,
  NativeError,
  type NativeQueryOptions,
  type NativeQueryResult,
} from "@mcp/clickhouse-native";

// The native driver's answer to columns the native client cannot decode (JSON, Dynamic, Variant,
// AggregateFunction, Interval, ...): the client refuses them with UNSUPPORTED_TYPE before any row
// is read (and stays usable); the driver then runs the user's SQL again, wrapped in a cast of
// those columns to String, under the same query id (the first run has ended on the server by
// then: the client left that socket gracefully).

/**
 * `toJSONString` (what the driver uses): each value is the JSON text the HTTP interface's JSON
 * formats print for it, under the query's `output_format_json_*` settings, for the caller to
 * parse. `toString`: ClickHouse's text form.
 */
export type CastFunction = "toJSONString" | "toString";

export interface CastResult {
  result: NativeQueryResult;
  /** The columns that came back cast to String, in order (none when the first run decoded). */
  castColumns: string[];
  /** The original type of each cast column, by name. */
  castTypes: ReadonlyMap<string, string>;
}

/**
 * Runs `sql`; when its result has columns the client cannot decode, runs
 * `SELECT * REPLACE (cast(col) AS col, ...) FROM (<sql>)` under the same query id. A result still
 * undecodable after the cast fails with the client's UNSUPPORTED_TYPE.
 */
export async function queryWithCasts(
  connection: Connection,
  sql: string,
  options: NativeQueryOptions & { queryId: string },
  cast: CastFunction = "toJSONString",
): Promise<CastResult> {
  let unsupported: readonly { name: string; type: string }[];
  try {
    return { result: await connection.query(sql, options), castColumns: [], castTypes: new Map() };
  } catch (error) {
    if (!isNativeError(error) || error.code !== "UNSUPPORTED_TYPE" || !error.unsupportedColumns) throw error;
    unsupported = error.unsupportedColumns;
  }
  if (options.signal?.aborted) {
    throw new NativeError("QUERY_CANCELLED", `Query ${options.queryId} was cancelled`);
  }
  const names = [...new Set(unsupported.map((column) => column.name))];
  const casts = names.map((name) => `${cast}(${quoteIdentifier(name)}) AS ${quoteIdentifier(name)}`);
  const wrapped = `SELECT * REPLACE (${casts.join(", ")}) FROM (\n${stripTrailingSemicolons(sql)}\n)`;
  const result = await connection.query(wrapped, {
    ...options,
    // JSON text is charged against a byte budget as the values its reader will parse from it.
    ...(cast === "toJSONString" && { jsonTextColumns: names }),
  });
  return {
    result,
    castColumns: names,
    castTypes: new Map(unsupported.map((column) => [column.name, column.type])),
  };
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}

function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, "");
}
