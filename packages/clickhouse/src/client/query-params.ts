import { formatQueryParam } from "@mcp/clickhouse-native";
import { DatabaseError } from "../errors/database-error.js";

// The `{name:Type}` query parameters of a caller's query: what a name and a value may be, and how
// many and how large. Both drivers send the values as ClickHouse's parameter text (HTTP: the
// `param_<name>` URL parameters of @clickhouse/client's `query_params`; native: the Query
// packet's parameters block), which ClickHouse parses against the placeholder's type after it
// has parsed the query: a value is never SQL text.

/** A value bound to a `{name:Type}` placeholder. */
export type QueryParamValue = string | number | bigint | boolean | null | readonly QueryParamValue[];

/** A parameter name as ClickHouse's placeholders accept it (and as this package allows it). */
export const QUERY_PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** At most this many parameters per query. */
export const MAX_QUERY_PARAMS = 100;
/** Longest parameter name, in characters. */
export const MAX_QUERY_PARAM_NAME_LENGTH = 128;
/**
 * Most bytes of names and value texts together (UTF-8). Over HTTP they travel in the request's
 * URL, which ClickHouse bounds (`http_max_uri_size`, 1 MiB by default): even percent-encoded
 * (up to three times longer) they stay well under it.
 */
export const MAX_QUERY_PARAMS_BYTES = 128 * 1024;
/** Deepest nesting of arrays in a value (`Array(Array(T))` is 2). */
const MAX_DEPTH = 8;

function invalid(message: string): DatabaseError {
  return new DatabaseError("INVALID_ARGUMENT", message);
}

/** Printable in a message: a name from the caller that failed the pattern may be anything. */
function shown(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

function checkValue(name: string, value: unknown, depth: number): void {
  if (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    typeof value === "bigint"
  ) {
    return;
  }
  if (typeof value === "number") return;
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) {
      throw invalid(`The value of query parameter "${name}" nests arrays deeper than ${MAX_DEPTH}`);
    }
    for (const item of value) checkValue(name, item, depth + 1);
    return;
  }
  throw invalid(
    `The value of query parameter "${name}" must be a string, number, boolean, null or an array of them`,
  );
}

/**
 * Checks a query's parameters before anything is sent; throws DatabaseError INVALID_ARGUMENT
 * naming the first bad one. Whether the query uses each one, and whether the value parses as
 * the placeholder's type, is ClickHouse's to say (UNKNOWN_QUERY_PARAMETER, BAD_QUERY_PARAMETER).
 */
export function checkQueryParams(params: unknown): void {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw invalid("Query parameters must be an object of name → value");
  }
  const entries = Object.entries(params);
  if (entries.length > MAX_QUERY_PARAMS) {
    throw invalid(`At most ${MAX_QUERY_PARAMS} query parameters are allowed (got ${entries.length})`);
  }
  let bytes = 0;
  for (const [name, value] of entries) {
    if (name.length > MAX_QUERY_PARAM_NAME_LENGTH || !QUERY_PARAM_NAME.test(name)) {
      throw invalid(
        `Query parameter name ${shown(name)} is not allowed: use letters, digits and _, not starting with a digit, at most ${MAX_QUERY_PARAM_NAME_LENGTH} characters`,
      );
    }
    checkValue(name, value, 0);
    bytes += name.length + Buffer.byteLength(formatQueryParam(value as QueryParamValue), "utf8");
    if (bytes > MAX_QUERY_PARAMS_BYTES) {
      throw invalid(`The query parameters are larger than the limit of ${MAX_QUERY_PARAMS_BYTES} bytes`);
    }
  }
}
