import { z } from "zod";

// ClickHouse types as JSON Schema (through zod, which the SDK converts and validates with), and
// each validated value as the query parameter the drivers send for `{name:Type}`. Precise where
// JSON allows: integers up to 32 bits as bounded integers; wider integers and decimals as strings
// with a pattern (a JSON number cannot hold them exactly); dates and times as strings with a
// format and a pattern, checked against the calendar and the type's range, because ClickHouse
// would quietly turn 2024-02-30 into 2024-03-01. A type without a faithful mapping is refused
// with a reason, and the caller skips the view (or leaves the column out).

/** What the drivers accept as a query parameter value (see @mcp/clickhouse-native's params). */
export type BoundValue = string | number | bigint | boolean | null | readonly BoundValue[];

export interface TypeMapping {
  schema: z.ZodType;
  /** The validated argument as the query parameter's value. */
  bind(value: unknown): BoundValue;
  /** How the value is written, for the parameter's description (e.g. "YYYY-MM-DD"). */
  hint: string;
  /** Nullable(T): null is a value. */
  nullable: boolean;
}

export type TypeMappingResult = { ok: true; mapping: TypeMapping } | { ok: false; reason: string };

// --- parsing a type ------------------------------------------------------------------------

/** A type as ClickHouse writes it: `Name` or `Name(arg, …)`. */
export interface TypeNode {
  name: string;
  args: TypeArg[];
}

export type TypeArg =
  | { kind: "type"; node: TypeNode }
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  /** An Enum entry, `'name' = value`. */
  | { kind: "enum"; name: string; value: number }
  /** A named element of a Tuple or Nested, `name Type`. */
  | { kind: "named"; name: string; node: TypeNode };

type Token =
  | { kind: "word"; text: string }
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "punct"; text: "(" | ")" | "," | "=" };

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "(" || c === ")" || c === "," || c === "=") {
      tokens.push({ kind: "punct", text: c });
      i += 1;
    } else if (c === "'") {
      let value = "";
      i += 1;
      for (;;) {
        if (i >= text.length) return undefined;
        const d = text[i]!;
        if (d === "\\") {
          const next = text[i + 1];
          if (next === undefined) return undefined;
          value += ESCAPES[next] ?? next;
          i += 2;
        } else if (d === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
          } else {
            i += 1;
            break;
          }
        } else {
          value += d;
          i += 1;
        }
      }
      tokens.push({ kind: "string", value });
    } else if (/[-0-9]/.test(c)) {
      const match = /^-?\d+/.exec(text.slice(i));
      if (!match) return undefined;
      tokens.push({ kind: "number", value: Number(match[0]) });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      tokens.push({ kind: "word", text: match[0] });
      i += match[0].length;
    } else if (c === "`" || c === '"') {
      // A quoted element name of a Tuple.
      const end = text.indexOf(c, i + 1);
      if (end < 0) return undefined;
      tokens.push({ kind: "word", text: text.slice(i + 1, end) });
      i = end + 1;
    } else {
      return undefined;
    }
  }
  return tokens;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", b: "\b", f: "\f" };

/** Parses a ClickHouse type such as `Nullable(DateTime64(3, 'UTC'))`; undefined when it is not one. */
export function parseType(text: string): TypeNode | undefined {
  const tokens = tokenize(text);
  if (!tokens) return undefined;
  let pos = 0;
  const peek = () => tokens[pos];
  const isPunct = (token: Token | undefined, p: string) => token?.kind === "punct" && token.text === p;

  const parseNode = (): TypeNode | undefined => {
    const head = tokens[pos];
    if (head?.kind !== "word") return undefined;
    pos += 1;
    // Multi-word names: `Double Precision`, `Nullable(...)` never; keep it to one word.
    const node: TypeNode = { name: head.text, args: [] };
    if (!isPunct(peek(), "(")) return node;
    pos += 1;
    if (isPunct(peek(), ")")) {
      pos += 1;
      return node;
    }
    for (;;) {
      const arg = parseArg();
      if (!arg) return undefined;
      node.args.push(arg);
      if (isPunct(peek(), ",")) {
        pos += 1;
        continue;
      }
      if (isPunct(peek(), ")")) {
        pos += 1;
        return node;
      }
      return undefined;
    }
  };

  const parseArg = (): TypeArg | undefined => {
    const token = peek();
    if (token?.kind === "number") {
      pos += 1;
      return { kind: "number", value: token.value };
    }
    if (token?.kind === "string") {
      pos += 1;
      if (isPunct(peek(), "=")) {
        pos += 1;
        const value = peek();
        if (value?.kind !== "number") return undefined;
        pos += 1;
        return { kind: "enum", name: token.value, value: value.value };
      }
      return { kind: "string", value: token.value };
    }
    if (token?.kind === "word") {
      const next = tokens[pos + 1];
      if (next?.kind === "word") {
        pos += 1;
        const node = parseNode();
        return node && { kind: "named", name: token.text, node };
      }
      const node = parseNode();
      return node && { kind: "type", node };
    }
    return undefined;
  };

  const node = parseNode();
  return node && pos === tokens.length ? node : undefined;
}

// --- integers --------------------------------------------------------------------------------

const SMALL_INTEGERS: Record<string, [number, number]> = {
  UInt8: [0, 255],
  UInt16: [0, 65_535],
  UInt32: [0, 4_294_967_295],
  Int8: [-128, 127],
  Int16: [-32_768, 32_767],
  Int32: [-2_147_483_648, 2_147_483_647],
};

const WIDE_INTEGERS: Record<string, { bits: number; signed: boolean }> = {
  UInt64: { bits: 64, signed: false },
  Int64: { bits: 64, signed: true },
  UInt128: { bits: 128, signed: false },
  Int128: { bits: 128, signed: true },
  UInt256: { bits: 256, signed: false },
  Int256: { bits: 256, signed: true },
};

function smallInteger(name: string, [min, max]: [number, number]): TypeMapping {
  return {
    schema: z.number().int().min(min).max(max),
    bind: (value) => value as number,
    hint: `${name}: an integer from ${min} to ${max}`,
    nullable: false,
  };
}

function wideInteger(name: string, { bits, signed }: { bits: number; signed: boolean }): TypeMapping {
  const min = signed ? -(2n ** BigInt(bits - 1)) : 0n;
  const max = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n;
  const digits = max.toString().length;
  const pattern = new RegExp(`^${signed ? "-?" : ""}\\d{1,${digits}}$`);
  return {
    schema: z
      .string()
      .regex(pattern, `must be a whole number written as a string (${name})`)
      .refine(
        // Every check runs, also after the pattern failed: only a number is compared.
        (text) => !pattern.test(text) || (BigInt(text) >= min && BigInt(text) <= max),
        { message: `must be from ${min} to ${max} (${name})` },
      ),
    bind: (value) => BigInt(value as string),
    hint: `${name}: a whole number as a decimal string, from ${min} to ${max}`,
    nullable: false,
  };
}

// --- decimals --------------------------------------------------------------------------------

/** Significant digits a JS number carries exactly through its shortest text form. */
const EXACT_NUMBER_DIGITS = 15;

function decimal(node: TypeNode, inArray: boolean): TypeMappingResult {
  const numbers = node.args.map((a) => (a.kind === "number" ? a.value : Number.NaN));
  let precision: number;
  let scale: number;
  const fixed: Record<string, number> = { Decimal32: 9, Decimal64: 18, Decimal128: 38, Decimal256: 76 };
  if (node.name === "Decimal") {
    precision = numbers[0] ?? 10;
    scale = numbers[1] ?? 0;
  } else {
    precision = fixed[node.name]!;
    scale = numbers[0] ?? Number.NaN;
  }
  if (!Number.isInteger(precision) || !Number.isInteger(scale) || scale < 0 || scale > precision) {
    return { ok: false, reason: `unreadable decimal type ${formatType(node)}` };
  }
  // Inside an array a value travels as written between brackets, where a string would be quoted
  // (and refused by ClickHouse); a JS number keeps the exact decimal text up to 15 digits.
  if (inArray && precision > EXACT_NUMBER_DIGITS) {
    return {
      ok: false,
      reason: `${formatType(node)} inside an array has more than ${EXACT_NUMBER_DIGITS} digits and cannot be bound exactly`,
    };
  }
  const integerDigits = precision - scale;
  const integerPart = integerDigits === 0 ? "0" : `\\d{1,${integerDigits}}`;
  const fraction = scale === 0 ? "" : `(\\.\\d{1,${scale}})?`;
  const pattern = new RegExp(`^-?${integerPart}${fraction}$`);
  const shape = `at most ${integerDigits} digits before the point and ${scale} after`;
  return {
    ok: true,
    mapping: {
      schema: z.string().regex(pattern, `must be a decimal number written as a string, ${shape}`),
      bind: (value) => (inArray ? Number(value) : (value as string)),
      hint: `${formatType(node)}: a decimal number as a string, ${shape}`,
      nullable: false,
    },
  };
}

// --- dates and times -------------------------------------------------------------------------

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fraction digits as written, "" when none. */
  fraction: string;
  /** Offset in minutes when the text names one (Z or ±hh:mm). */
  offsetMinutes?: number;
}

const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?)?$/;

function parseCivil(text: string): Civil | undefined {
  const m = DATE_TIME_RE.exec(text);
  if (!m) return undefined;
  const civil: Civil = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    fraction: m[7] ?? "",
  };
  const offset = m[8];
  if (offset !== undefined) {
    if (offset === "Z") civil.offsetMinutes = 0;
    else {
      const digits = offset.replace(":", "");
      const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
      if (Number(digits.slice(3, 5)) > 59 || minutes > 14 * 60) return undefined;
      civil.offsetMinutes = offset.startsWith("-") ? -minutes : minutes;
    }
  }
  const days = new Date(Date.UTC(civil.year, civil.month - 1, 1));
  days.setUTCMonth(days.getUTCMonth() + 1, 0); // the month's last day
  const valid =
    civil.month >= 1 &&
    civil.month <= 12 &&
    civil.day >= 1 &&
    civil.day <= days.getUTCDate() &&
    civil.hour <= 23 &&
    civil.minute <= 59 &&
    civil.second <= 59;
  return valid ? civil : undefined;
}

/** Milliseconds since the epoch of the civil time read as UTC, then moved by its offset if it has one. */
function epochMs(civil: Civil): number {
  const utc = Date.UTC(civil.year, civil.month - 1, civil.day, civil.hour, civil.minute, civil.second);
  // Date.UTC maps years 0-99 to 1900+: not a concern within ClickHouse's ranges (1900..2299).
  return utc - (civil.offsetMinutes ?? 0) * 60_000;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function civilText(civil: Civil, withTime: boolean): string {
  const date = `${pad(civil.year, 4)}-${pad(civil.month)}-${pad(civil.day)}`;
  if (!withTime) return date;
  return `${date} ${pad(civil.hour)}:${pad(civil.minute)}:${pad(civil.second)}${civil.fraction ? `.${civil.fraction}` : ""}`;
}

/** Epoch seconds with the written fraction, exact (BigInt), as ClickHouse parses them for DateTime types. */
function epochText(civil: Civil): string | undefined {
  const fractionNs = BigInt((civil.fraction || "0").padEnd(9, "0"));
  const ns = BigInt(epochMs(civil)) * 1_000_000n + fractionNs;
  // ClickHouse reads `-0.5` as +0.5: instants in the second before the epoch have no text form.
  if (ns < 0n && ns > -1_000_000_000n) return undefined;
  const negative = ns < 0n;
  const abs = negative ? -ns : ns;
  const whole = abs / 1_000_000_000n;
  const rest = (abs % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${rest ? `.${rest}` : ""}`;
}

interface DateRange {
  min: string;
  max: string;
}

const DATE_RANGE: DateRange = { min: "1970-01-01", max: "2149-06-06" };
const DATE32_RANGE: DateRange = { min: "1900-01-01", max: "2299-12-31" };
const DATETIME_RANGE: DateRange = { min: "1970-01-01 00:00:00", max: "2106-02-07 06:28:15" };
const DATETIME64_RANGE: DateRange = { min: "1900-01-01 00:00:00", max: "2299-12-31 23:59:59" };

function inRange(civil: Civil, range: DateRange, withTime: boolean): boolean {
  // With an offset the instant is compared in UTC; without one, as written (the type's time zone,
  // or the server's, decides the instant: the range holds within a day of its ends).
  const utc = civil.offsetMinutes === undefined ? civil : toUtcCivil(civil);
  const text = civilText({ ...utc, fraction: "" }, withTime);
  return text >= range.min && text <= range.max;
}

function toUtcCivil(civil: Civil): Civil {
  const date = new Date(epochMs(civil));
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    fraction: civil.fraction,
  };
}

/**
 * A check on a readable date or time; true for unreadable text, which an earlier check reports
 * (zod runs every check, also after one failed).
 */
function within(text: string, check: (civil: Civil) => boolean): boolean {
  const civil = parseCivil(text);
  return civil === undefined || check(civil);
}

function dateType(name: "Date" | "Date32"): TypeMapping {
  const range = name === "Date" ? DATE_RANGE : DATE32_RANGE;
  return {
    schema: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date written YYYY-MM-DD")
      .refine((text) => parseCivil(text) !== undefined, { message: "is not a date of the calendar" })
      .refine((text) => within(text, (civil) => inRange(civil, range, false)), {
        message: `must be from ${range.min} to ${range.max} (${name})`,
      })
      .meta({ format: "date" }),
    bind: (value) => value as string,
    hint: `${name}: a date, YYYY-MM-DD, from ${range.min} to ${range.max}`,
    nullable: false,
  };
}

function dateTimeType(node: TypeNode): TypeMappingResult {
  const is64 = node.name === "DateTime64";
  const precisionArg = is64 ? node.args[0] : undefined;
  const precision = precisionArg?.kind === "number" ? precisionArg.value : is64 ? Number.NaN : 0;
  if (!Number.isInteger(precision) || precision < 0 || precision > 9) {
    return { ok: false, reason: `unreadable type ${formatType(node)}` };
  }
  const timeZoneArg = node.args[is64 ? 1 : 0];
  const timeZone = timeZoneArg?.kind === "string" ? timeZoneArg.value : undefined;
  const range = is64 ? DATETIME64_RANGE : DATETIME_RANGE;
  const fraction = precision > 0 ? `(\\.\\d{1,${precision}})?` : "";
  const pattern = new RegExp(
    `^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}${fraction}(Z|[+-]\\d{2}:?\\d{2})?$`,
  );
  const where = timeZone ? `in ${timeZone}` : "in the server's time zone";
  const written =
    `YYYY-MM-DD hh:mm:ss${precision > 0 ? `[.${"f".repeat(precision)}]` : ""}` +
    ` (${where}), or ISO 8601 with an offset (e.g. 2024-01-31T12:00:00Z)`;
  return {
    ok: true,
    mapping: {
      schema: z
        .string()
        .regex(pattern, `must be a date and time written ${written}`)
        .refine((text) => parseCivil(text) !== undefined, { message: "is not a valid date and time" })
        .refine((text) => within(text, (civil) => inRange(civil, range, true)), {
          message: `must be from ${range.min} to ${range.max} (${formatType(node)})`,
        })
        .refine(
          (text) =>
            within(text, (civil) => civil.offsetMinutes === undefined || epochText(civil) !== undefined),
          { message: "instants in the last second before 1970-01-01T00:00:00Z are not supported" },
        )
        .meta({ format: "date-time" }),
      bind: (value) => {
        const civil = parseCivil(value as string)!;
        return civil.offsetMinutes === undefined ? civilText(civil, true) : epochText(civil)!;
      },
      hint: `${formatType(node)}: ${written}`,
      nullable: false,
    },
  };
}

// --- enums -----------------------------------------------------------------------------------

function enumType(node: TypeNode): TypeMappingResult {
  const names: string[] = [];
  for (const arg of node.args) {
    if (arg.kind !== "enum") return { ok: false, reason: `unreadable enum type ${formatType(node)}` };
    names.push(arg.name);
  }
  if (names.length === 0 || new Set(names).size !== names.length) {
    return { ok: false, reason: `unreadable enum type ${formatType(node)}` };
  }
  return {
    ok: true,
    mapping: {
      schema: z.enum(names as [string, ...string[]]),
      bind: (value) => value as string,
      hint: `${node.name}: one of ${names.map((n) => JSON.stringify(n)).join(", ")}`,
      nullable: false,
    },
  };
}

// --- everything else -------------------------------------------------------------------------

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function plain(schema: z.ZodType, hint: string): TypeMappingResult {
  return { ok: true, mapping: { schema, bind: (value) => value as BoundValue, hint, nullable: false } };
}

/** The type written back the way ClickHouse writes it (for reasons and hints). */
export function formatType(node: TypeNode): string {
  if (node.args.length === 0) return node.name;
  const quote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const args = node.args.map((arg): string => {
    if (arg.kind === "type") return formatType(arg.node);
    if (arg.kind === "number") return String(arg.value);
    if (arg.kind === "string") return quote(arg.value);
    if (arg.kind === "enum") return `${quote(arg.name)} = ${arg.value}`;
    return `${arg.name} ${formatType(arg.node)}`;
  });
  return `${node.name}(${args.join(", ")})`;
}

function mapNode(node: TypeNode, inArray: boolean): TypeMappingResult {
  const small = SMALL_INTEGERS[node.name];
  if (small && node.args.length === 0) return { ok: true, mapping: smallInteger(node.name, small) };
  const wide = WIDE_INTEGERS[node.name];
  if (wide && node.args.length === 0) return { ok: true, mapping: wideInteger(node.name, wide) };
  const only = (arg: TypeArg | undefined) =>
    arg?.kind === "type" && node.args.length === 1 ? arg.node : undefined;

  switch (node.name) {
    case "Float32":
    case "Float64":
    case "BFloat16":
      return plain(z.number(), `${node.name}: a number`);
    case "Decimal":
    case "Decimal32":
    case "Decimal64":
    case "Decimal128":
    case "Decimal256":
      return decimal(node, inArray);
    case "String":
      return plain(z.string(), "String");
    case "FixedString": {
      const size = node.args[0]?.kind === "number" ? node.args[0].value : Number.NaN;
      if (!Number.isInteger(size) || size < 1)
        return { ok: false, reason: `unreadable type ${formatType(node)}` };
      return plain(
        z
          .string()
          .max(size)
          .refine((text) => Buffer.byteLength(text, "utf8") <= size, {
            message: `must be at most ${size} bytes in UTF-8 (${formatType(node)})`,
          }),
        `${formatType(node)}: a string of at most ${size} bytes`,
      );
    }
    case "Bool":
      return plain(z.boolean(), "Bool: true or false");
    case "UUID":
      return plain(
        z
          .string()
          .regex(UUID_RE, "must be a UUID such as 61f0c404-5cb3-11e7-907b-a6006ad3dba0")
          .meta({ format: "uuid" }),
        "UUID",
      );
    case "IPv4":
      return plain(z.ipv4(), "IPv4: an address such as 192.0.2.1");
    case "IPv6":
      return plain(z.ipv6(), "IPv6: an address such as 2001:db8::1");
    case "Date":
    case "Date32":
      return node.args.length === 0
        ? { ok: true, mapping: dateType(node.name) }
        : { ok: false, reason: `unreadable type ${formatType(node)}` };
    case "DateTime":
    case "DateTime64":
      return dateTimeType(node);
    case "Enum8":
    case "Enum16":
    case "Enum":
      return enumType(node);
    case "LowCardinality": {
      const inner = only(node.args[0]);
      return inner ? mapNode(inner, inArray) : { ok: false, reason: `unreadable type ${formatType(node)}` };
    }
    case "Nullable": {
      const inner = only(node.args[0]);
      if (!inner) return { ok: false, reason: `unreadable type ${formatType(node)}` };
      const mapped = mapNode(inner, inArray);
      if (!mapped.ok) return mapped;
      const { schema, bind, hint } = mapped.mapping;
      return {
        ok: true,
        mapping: {
          schema: schema.nullable(),
          bind: (value) => (value === null ? null : bind(value)),
          hint: `${hint}, or null`,
          nullable: true,
        },
      };
    }
    case "Array": {
      const inner = only(node.args[0]);
      if (!inner) return { ok: false, reason: `unreadable type ${formatType(node)}` };
      const mapped = mapNode(inner, true);
      if (!mapped.ok) return mapped;
      const { schema, bind, hint } = mapped.mapping;
      return {
        ok: true,
        mapping: {
          schema: z.array(schema),
          bind: (value) => (value as unknown[]).map(bind),
          hint: `an array of (${hint})`,
          nullable: false,
        },
      };
    }
    default:
      return { ok: false, reason: `the type ${formatType(node)} has no JSON Schema mapping` };
  }
}

/** The JSON Schema (zod) and binding of a ClickHouse type; a reason when it has none. */
export function mapClickHouseType(type: string): TypeMappingResult {
  const node = parseType(type.trim());
  if (!node) return { ok: false, reason: `unreadable type ${JSON.stringify(type)}` };
  return mapNode(node, false);
}
