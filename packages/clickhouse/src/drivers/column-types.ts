// 64-bit and wider integers and decimals must reach the caller as exact strings. ClickHouse
// quotes them when asked (output_format_json_quote_64bit_integers / _decimals), but users whose
// profile is readonly=1 cannot ask, and then get bare numbers. The lossless parser has already
// kept every number a double cannot hold as its text; this turns the remaining (small) numbers
// of such columns into the same text ClickHouse would have quoted, guided by the column type.

export type Converter = (value: unknown) => unknown;

const WIDE_INTEGER = /^U?Int(64|128|256)$/;
const DECIMAL = /^Decimal(?:32|64|128|256)?\((.*)\)$/;

/** Splits type arguments at top-level commas (outside parentheses and quotes). */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i += 1;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === "`" || c === '"') {
      quote = c;
    } else if (c === "(") {
      depth += 1;
    } else if (c === ")") {
      depth -= 1;
    } else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

function decimalText(value: number, scale: number): string {
  // ClickHouse prints decimals without trailing zeros (output_format_decimal_trailing_zeros=0).
  const fixed = value.toFixed(Math.min(scale, 100));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

/** A converter for values of this ClickHouse type, or undefined when they need none. */
export function converterFor(type: string): Converter | undefined {
  const call = /^(\w+)\((.*)\)$/s.exec(type.trim());
  const name = call ? call[1]! : type.trim();
  const args = call ? splitArguments(call[2]!) : [];

  if (WIDE_INTEGER.test(type.trim())) {
    return (value) => (typeof value === "number" ? String(value) : value);
  }
  const decimal = DECIMAL.exec(type.trim());
  if (decimal) {
    const decimalArgs = splitArguments(decimal[1]!);
    const scale = Number(decimalArgs.at(-1));
    if (!Number.isInteger(scale)) return undefined;
    return (value) => (typeof value === "number" ? decimalText(value, scale) : value);
  }
  switch (name) {
    case "Nullable":
    case "LowCardinality":
      return args[0] === undefined ? undefined : converterFor(args[0]);
    case "Array": {
      const inner = args[0] === undefined ? undefined : converterFor(args[0]);
      return inner && ((value) => (Array.isArray(value) ? value.map(inner) : value));
    }
    case "Map": {
      const inner = args[1] === undefined ? undefined : converterFor(args[1]);
      return (
        inner &&
        ((value) =>
          value !== null && typeof value === "object" && !Array.isArray(value)
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inner(v)]))
            : value)
      );
    }
    case "Tuple":
      return tupleConverter(args);
    default:
      return undefined;
  }
}

function tupleConverter(elements: string[]): Converter | undefined {
  const fields = elements.map((element) => {
    const named = /^(`(?:[^`\\]|\\.)*`|[A-Za-z_][A-Za-z0-9_]*)\s+(\S.*)$/s.exec(element);
    const name = named ? named[1]!.replace(/^`|`$/g, "") : undefined;
    return { name, convert: converterFor(named ? named[2]! : element) };
  });
  if (fields.every((field) => field.convert === undefined)) return undefined;
  return (value) => {
    // Named tuples are printed as objects (output_format_json_named_tuples_as_objects), others as arrays.
    if (Array.isArray(value)) return value.map((item, i) => fields[i]?.convert?.(item) ?? item);
    if (value !== null && typeof value === "object") {
      const byName = new Map(fields.map((field) => [field.name, field.convert]));
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, byName.get(k)?.(v) ?? v]));
    }
    return value;
  };
}
