/** A value for a `{name:Type}` query parameter. */
export type QueryParamValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | null
  | undefined
  | readonly QueryParamValue[]
  | { readonly [key: string]: QueryParamValue };

/** A setting value; sent as its text. */
export type NativeSettingValue = string | number | boolean | bigint;

function escapeText(value: string): string {
  let out = "";
  for (const c of value) {
    if (c === "\t") out += "\\t";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "'") out += "\\'";
    else if (c === "\\") out += "\\\\";
    else out += c;
  }
  return out;
}

function formatNested(value: QueryParamValue): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "string") return `'${escapeText(value)}'`;
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  return formatQueryParam(value);
}

/**
 * The text of a parameter value as ClickHouse parses it for `{name:Type}` (the same text that
 * HTTP's `param_name` carries, and @clickhouse/client's `query_params` produce): strings
 * escaped but unquoted at the top level, quoted inside arrays, tuples and maps; NULL as `\N`;
 * dates as Unix timestamps.
 */
export function formatQueryParam(value: QueryParamValue): string {
  if (value === null || value === undefined) return "\\N";
  if (typeof value === "string") return escapeText(value);
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nan";
    if (value === Number.POSITIVE_INFINITY) return "+inf";
    if (value === Number.NEGATIVE_INFINITY) return "-inf";
    return String(value);
  }
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return value ? "1" : "0";
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) throw new TypeError("Invalid Date in query parameters");
    const seconds = String(Math.floor(time / 1000));
    const millis = value.getUTCMilliseconds();
    return millis === 0 ? seconds : `${seconds}.${String(millis).padStart(3, "0")}`;
  }
  if (Array.isArray(value)) return `[${value.map(formatNested).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, QueryParamValue>);
    return `{${entries.map(([key, item]) => `${formatNested(key)}:${formatNested(item)}`).join(",")}}`;
  }
  throw new TypeError(`Unsupported query parameter value of type ${typeof value}`);
}

export function formatSetting(name: string, value: NativeSettingValue): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number" && !Number.isFinite(value))
    throw new TypeError(`Setting ${name} is not a finite number`);
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "bigint") {
    throw new TypeError(`Setting ${name} must be a string, number, bigint or boolean`);
  }
  return String(value);
}

/** A query's settings as the Query packet sends them: name and text, unset ones left out. */
export function formatSettings(
  settings: Readonly<Record<string, NativeSettingValue | undefined>> = {},
): [string, string][] {
  return Object.entries(settings)
    .filter((entry): entry is [string, NativeSettingValue] => entry[1] !== undefined)
    .map(([name, value]): [string, string] => [name, formatSetting(name, value)]);
}

/** A query's `{name:Type}` parameters as the Query packet sends them: name and text. */
export function formatQueryParams(
  params: Readonly<Record<string, QueryParamValue>> = {},
): [string, string][] {
  return Object.entries(params).map(([name, value]): [string, string] => [name, formatQueryParam(value)]);
}
