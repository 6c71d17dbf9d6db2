/**
 * A ClickHouse type as the driver understands it. Types the driver cannot decode become
 * `unsupported` (parsing never fails on a well-formed type name), so that a result header can be
 * checked before any of its data is read.
 */
export type TypeNode =
  | { kind: "int"; bytes: 1 | 2 | 4 | 8 | 16 | 32; signed: boolean }
  | { kind: "float"; bytes: 4 | 8 }
  | { kind: "bool" }
  | { kind: "decimal"; precision: number; scale: number; bytes: 4 | 8 | 16 | 32 }
  | { kind: "string" }
  | { kind: "fixed-string"; length: number }
  | { kind: "date" }
  | { kind: "date32" }
  | { kind: "datetime"; timezone: string | undefined }
  | { kind: "datetime64"; precision: number; timezone: string | undefined }
  | { kind: "uuid" }
  | { kind: "ipv4" }
  | { kind: "ipv6" }
  | { kind: "enum"; bytes: 1 | 2; names: ReadonlyMap<number, string> }
  | { kind: "nothing" }
  | { kind: "nullable"; inner: TypeNode }
  | { kind: "low-cardinality"; inner: TypeNode }
  | { kind: "array"; inner: TypeNode }
  | { kind: "tuple"; elements: TypeNode[]; names: string[] | undefined }
  | { kind: "map"; key: TypeNode; value: TypeNode }
  | { kind: "unsupported"; name: string };

const INTS: Record<string, TypeNode> = {
  UInt8: { kind: "int", bytes: 1, signed: false },
  UInt16: { kind: "int", bytes: 2, signed: false },
  UInt32: { kind: "int", bytes: 4, signed: false },
  UInt64: { kind: "int", bytes: 8, signed: false },
  UInt128: { kind: "int", bytes: 16, signed: false },
  UInt256: { kind: "int", bytes: 32, signed: false },
  Int8: { kind: "int", bytes: 1, signed: true },
  Int16: { kind: "int", bytes: 2, signed: true },
  Int32: { kind: "int", bytes: 4, signed: true },
  Int64: { kind: "int", bytes: 8, signed: true },
  Int128: { kind: "int", bytes: 16, signed: true },
  Int256: { kind: "int", bytes: 32, signed: true },
};

const POINT: TypeNode = {
  kind: "tuple",
  elements: [
    { kind: "float", bytes: 8 },
    { kind: "float", bytes: 8 },
  ],
  names: undefined,
};
const RING: TypeNode = { kind: "array", inner: POINT };
const POLYGON: TypeNode = { kind: "array", inner: RING };

const SIMPLE: Record<string, TypeNode> = {
  ...INTS,
  Float32: { kind: "float", bytes: 4 },
  Float64: { kind: "float", bytes: 8 },
  Bool: { kind: "bool" },
  String: { kind: "string" },
  Date: { kind: "date" },
  Date32: { kind: "date32" },
  DateTime: { kind: "datetime", timezone: undefined },
  UUID: { kind: "uuid" },
  IPv4: { kind: "ipv4" },
  IPv6: { kind: "ipv6" },
  Nothing: { kind: "nothing" },
  // Geo types are aliases of tuples and arrays of Float64.
  Point: POINT,
  Ring: RING,
  LineString: RING,
  MultiLineString: POLYGON,
  Polygon: POLYGON,
  MultiPolygon: { kind: "array", inner: POLYGON },
};

type Arg =
  | { kind: "type"; type: TypeNode; text: string }
  | { kind: "named"; name: string; type: TypeNode }
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "enum"; name: string; value: number };

class TypeParser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(message: string): never {
    throw new SyntaxError(
      `Cannot parse ClickHouse type ${JSON.stringify(this.text)}: ${message} at ${this.pos}`,
    );
  }

  skipSpaces(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  identifier(): string {
    const match = /[A-Za-z_][A-Za-z0-9_]*/y;
    match.lastIndex = this.pos;
    const found = match.exec(this.text);
    if (!found) this.fail("expected a name");
    this.pos = match.lastIndex;
    return found[0];
  }

  quoted(quote: "'" | "`"): string {
    this.pos++; // opening quote
    let out = "";
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++]!;
      if (c === "\\") {
        const next = this.text[this.pos++];
        if (next === undefined) break;
        out += ESCAPES[next] ?? next;
      } else if (c === quote) {
        if (this.text[this.pos] === quote) {
          out += quote; // doubled quote
          this.pos++;
        } else {
          return out;
        }
      } else {
        out += c;
      }
    }
    return this.fail("unterminated quoted text");
  }

  number(): number {
    const match = /-?\d+/y;
    match.lastIndex = this.pos;
    const found = match.exec(this.text);
    if (!found) this.fail("expected a number");
    this.pos = match.lastIndex;
    return Number(found[0]);
  }

  /** A type: a name, optionally followed by arguments in parentheses. */
  type(): TypeNode {
    this.skipSpaces();
    const start = this.pos;
    const name = this.identifier();
    this.skipSpaces();
    if (this.peek() !== "(") return SIMPLE[name] ?? { kind: "unsupported", name };
    if (!PARAMETRIC.has(name)) {
      this.skipBalanced();
      return { kind: "unsupported", name: this.text.slice(start, this.pos) };
    }
    const args = this.args();
    return build(name, args, this.text.slice(start, this.pos), this);
  }

  /** Skips `( ... )` with whatever it holds (for types whose arguments the driver does not use). */
  skipBalanced(): void {
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === "'" || c === "`") {
        this.quoted(c);
        continue;
      }
      this.pos++;
      if (c === "(") depth++;
      else if (c === ")" && --depth === 0) return;
    }
    this.fail("unbalanced parentheses");
  }

  /** Parenthesised arguments: types, `name Type` pairs, numbers, quoted strings, `'name' = value`. */
  args(): Arg[] {
    this.pos++; // "("
    const args: Arg[] = [];
    this.skipSpaces();
    if (this.peek() === ")") {
      this.pos++;
      return args;
    }
    for (;;) {
      args.push(this.arg());
      this.skipSpaces();
      const c = this.text[this.pos++];
      if (c === ")") return args;
      if (c !== ",") this.fail("expected ',' or ')'");
    }
  }

  arg(): Arg {
    this.skipSpaces();
    const c = this.peek();
    if (c === "'") {
      const value = this.quoted("'");
      this.skipSpaces();
      if (this.peek() === "=") {
        this.pos++;
        this.skipSpaces();
        return { kind: "enum", name: value, value: this.number() };
      }
      return { kind: "string", value };
    }
    if (c !== undefined && /[-\d]/.test(c)) {
      const value = this.number();
      if (this.peek() === ".") this.fail("expected an integer");
      return { kind: "number", value };
    }
    if (c === "`") {
      const name = this.quoted("`");
      return { kind: "named", name, type: this.type() };
    }
    // `name Type` (a tuple element) or a type. A name is followed by a space and another name.
    const start = this.pos;
    const first = this.identifier();
    const afterName = this.pos;
    this.skipSpaces();
    const next = this.peek();
    if (this.pos > afterName && next !== undefined && /[A-Za-z_`]/.test(next)) {
      return { kind: "named", name: first, type: this.type() };
    }
    this.pos = start;
    const type = this.type();
    return { kind: "type", type, text: this.text.slice(start, this.pos).trim() };
  }
}

const PARAMETRIC = new Set([
  "Nullable",
  "LowCardinality",
  "Array",
  "Map",
  "Tuple",
  "Nested",
  "SimpleAggregateFunction",
  "FixedString",
  "Decimal",
  "Decimal32",
  "Decimal64",
  "Decimal128",
  "Decimal256",
  "DateTime",
  "DateTime64",
  "Enum8",
  "Enum16",
]);

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", b: "\b", f: "\f" };

function typeArg(arg: Arg | undefined, parser: TypeParser): TypeNode {
  if (arg?.kind === "type") return arg.type;
  if (arg?.kind === "named") return arg.type;
  return parser.fail("expected a type argument");
}

function numberArg(arg: Arg | undefined, parser: TypeParser): number {
  if (arg?.kind === "number") return arg.value;
  return parser.fail("expected a number argument");
}

function decimal(precision: number, scale: number, parser: TypeParser): TypeNode {
  if (!(precision >= 1 && precision <= 76 && scale >= 0 && scale <= precision)) {
    parser.fail(`bad Decimal(${precision}, ${scale})`);
  }
  const bytes = precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
  return { kind: "decimal", precision, scale, bytes };
}

const DECIMAL_PRECISION: Record<string, number> = {
  Decimal32: 9,
  Decimal64: 18,
  Decimal128: 38,
  Decimal256: 76,
};

function build(name: string, args: Arg[], text: string, parser: TypeParser): TypeNode {
  switch (name) {
    case "Nullable":
      return { kind: "nullable", inner: typeArg(args[0], parser) };
    case "LowCardinality":
      return { kind: "low-cardinality", inner: typeArg(args[0], parser) };
    case "Array":
      return { kind: "array", inner: typeArg(args[0], parser) };
    case "Map":
      return { kind: "map", key: typeArg(args[0], parser), value: typeArg(args[1], parser) };
    case "Tuple":
    case "Nested": {
      const elements = args.map((arg) => typeArg(arg, parser));
      const named = args.length > 0 && args.every((arg) => arg.kind === "named");
      const names = named ? args.map((arg) => (arg as { name: string }).name) : undefined;
      const tuple: TypeNode = { kind: "tuple", elements, names };
      return name === "Nested" ? { kind: "array", inner: tuple } : tuple;
    }
    case "SimpleAggregateFunction":
      return typeArg(args[args.length - 1], parser);
    case "FixedString": {
      const length = numberArg(args[0], parser);
      if (!(length >= 1)) parser.fail("bad FixedString length");
      return { kind: "fixed-string", length };
    }
    case "Decimal":
      return decimal(numberArg(args[0], parser), args[1] ? numberArg(args[1], parser) : 0, parser);
    case "Decimal32":
    case "Decimal64":
    case "Decimal128":
    case "Decimal256":
      return decimal(DECIMAL_PRECISION[name]!, numberArg(args[0], parser), parser);
    case "DateTime": {
      const zone = args[0];
      return { kind: "datetime", timezone: zone?.kind === "string" ? zone.value : undefined };
    }
    case "DateTime64": {
      const precision = numberArg(args[0], parser);
      if (!(precision >= 0 && precision <= 9)) parser.fail("bad DateTime64 precision");
      const zone = args[1];
      return { kind: "datetime64", precision, timezone: zone?.kind === "string" ? zone.value : undefined };
    }
    case "Enum8":
    case "Enum16": {
      const names = new Map<number, string>();
      for (const arg of args) {
        if (arg.kind !== "enum") parser.fail("expected 'name' = value");
        names.set(arg.value, arg.name);
      }
      return { kind: "enum", bytes: name === "Enum8" ? 1 : 2, names };
    }
    default:
      return { kind: "unsupported", name: text };
  }
}

/** Parses a type name as the server writes it in a block header, e.g. `Array(Nullable(String))`. */
export function parseType(text: string): TypeNode {
  const parser = new TypeParser(text);
  const type = parser.type();
  parser.skipSpaces();
  if (parser.pos !== text.length) parser.fail("unexpected text after the type");
  return type;
}

/** The names of the unsupported types inside `type`, outermost first; empty when it is fully decodable. */
export function unsupportedParts(type: TypeNode): string[] {
  switch (type.kind) {
    case "unsupported":
      return [type.name];
    case "nullable":
    case "low-cardinality":
    case "array":
      return unsupportedParts(type.inner);
    case "map":
      return [...unsupportedParts(type.key), ...unsupportedParts(type.value)];
    case "tuple":
      return type.elements.flatMap(unsupportedParts);
    default:
      return [];
  }
}
