// JSON.parse turns 12345678901234567891 into 12345678901234567000 without a word. ClickHouse
// prints 64-bit and larger integers and decimals as bare JSON numbers unless told otherwise, and
// users whose profile is readonly=1 cannot be told otherwise. This parser keeps every number
// exact: a number becomes a JS number only when that loses nothing, otherwise its text.

// More digits than a double can always carry (15 significant digits always round-trip).
const MAYBE_LOSSY = /\d[\d.]{15}/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses one JSON value; numbers that a double cannot represent exactly stay strings. */
export function parseJsonLossless(text: string): unknown {
  if (!MAYBE_LOSSY.test(text)) return JSON.parse(text);
  const parser = new Parser(text);
  const value = parser.value();
  parser.end();
  return value;
}

/** The JS value for a JSON number token, or the token itself when a double would round it. */
export function losslessNumber(token: string): number | string {
  const n = Number(token);
  if (!Number.isFinite(n)) return token;
  if (significantDigits(token) <= 15) return n;
  // Exact enough when the shortest round-trip form of the double names the same decimal.
  return sameDecimal(String(n), token) ? n : token;
}

function significantDigits(token: string): number {
  const mantissa = token.replace(/^-/, "").split(/[eE]/)[0]!.replace(".", "");
  const trimmed = mantissa.replace(/^0+/, "").replace(/0+$/, "");
  return trimmed.length;
}

function decimalParts(token: string): { negative: boolean; digits: string; exponent: number } {
  const negative = token.startsWith("-");
  const [mantissa = "", exp = "0"] = token.replace(/^-/, "").split(/[eE]/);
  const [intPart = "", fracPart = ""] = mantissa.split(".");
  let digits = intPart + fracPart;
  let exponent = Number(exp) + intPart.length;
  const leading = digits.length - digits.replace(/^0+/, "").length;
  digits = digits.slice(leading).replace(/0+$/, "");
  exponent -= leading;
  return { negative, digits, exponent: digits === "" ? 0 : exponent };
}

function sameDecimal(a: string, b: string): boolean {
  const x = decimalParts(a);
  const y = decimalParts(b);
  return x.negative === y.negative && x.digits === y.digits && x.exponent === y.exponent;
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  end(): void {
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail();
  }

  value(): unknown {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "t") return this.literal("true", true);
    if (c === "f") return this.literal("false", false);
    if (c === "n") return this.literal("null", null);
    return this.number();
  }

  private object(): Record<string, unknown> {
    const entries: [string, unknown][] = [];
    this.pos += 1;
    this.skipWhitespace();
    if (this.text[this.pos] === "}") {
      this.pos += 1;
      return {};
    }
    for (;;) {
      this.skipWhitespace();
      const key = this.string();
      this.skipWhitespace();
      this.expect(":");
      entries.push([key, this.value()]);
      this.skipWhitespace();
      if (this.text[this.pos] === ",") {
        this.pos += 1;
        continue;
      }
      this.expect("}");
      // fromEntries defines own properties, so a key named "__proto__" stays data.
      return Object.fromEntries(entries);
    }
  }

  private array(): unknown[] {
    const items: unknown[] = [];
    this.pos += 1;
    this.skipWhitespace();
    if (this.text[this.pos] === "]") {
      this.pos += 1;
      return items;
    }
    for (;;) {
      items.push(this.value());
      this.skipWhitespace();
      if (this.text[this.pos] === ",") {
        this.pos += 1;
        continue;
      }
      this.expect("]");
      return items;
    }
  }

  private string(): string {
    if (this.text[this.pos] !== '"') this.fail();
    let i = this.pos + 1;
    while (i < this.text.length && this.text[i] !== '"') {
      i += this.text[i] === "\\" ? 2 : 1;
    }
    if (i >= this.text.length) this.fail();
    const raw = this.text.slice(this.pos, i + 1);
    this.pos = i + 1;
    return JSON.parse(raw) as string;
  }

  private number(): number | string {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail();
    this.pos += match[0].length;
    return losslessNumber(match[0]);
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail();
    this.pos += word.length;
    return value;
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) this.fail();
    this.pos += 1;
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length && " \t\n\r".includes(this.text[this.pos]!)) this.pos += 1;
  }

  private fail(): never {
    throw new SyntaxError(`Invalid JSON at position ${this.pos}`);
  }
}
