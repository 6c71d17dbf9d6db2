import { describe, expect, it } from "vitest";
import { losslessNumber, parseJsonLossless } from "./lossless-json.js";

describe("parseJsonLossless", () => {
  it("keeps integers beyond 2^53 as their exact text", () => {
    expect(parseJsonLossless("[18446744073709551615, -9223372036854775808, 9007199254740993]")).toEqual([
      "18446744073709551615",
      "-9223372036854775808",
      "9007199254740993",
    ]);
  });

  it("keeps decimals a double would round as text", () => {
    expect(parseJsonLossless("[1234567890123456789012345678.0123456789, 123456789012345678.97]")).toEqual([
      "1234567890123456789012345678.0123456789",
      "123456789012345678.97",
    ]);
  });

  it("returns ordinary numbers as numbers, floats printed in shortest form included", () => {
    expect(parseJsonLossless("[0, -1, 1.5, 0.30000000000000004, 1e100, -0.0001, 9007199254740992]")).toEqual([
      0, -1, 1.5, 0.30000000000000004, 1e100, -0.0001, 9007199254740992,
    ]);
  });

  it("parses nested values, strings with digits and escapes, and literals", () => {
    const text =
      '{"a": [1, {"b": 12345678901234567890}], "s": "12345678901234567890 \\"q\\" \\u00e9", "t": true, "n": null}';
    expect(parseJsonLossless(text)).toEqual({
      a: [1, { b: "12345678901234567890" }],
      s: '12345678901234567890 "q" é',
      t: true,
      n: null,
    });
  });

  it("keeps a __proto__ key as data", () => {
    const value = parseJsonLossless('{"__proto__": 12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
  });

  it.each([
    "[1, 2",
    "[12345678901234567890,]",
    "{12345678901234567890: 1}",
    "[12345678901234567890] x",
    "nul",
  ])("rejects invalid JSON: %s", (text) => {
    expect(() => parseJsonLossless(text)).toThrow(SyntaxError);
  });
});

describe("losslessNumber", () => {
  it("turns only exactly representable tokens into numbers", () => {
    expect(losslessNumber("123456789012345")).toBe(123456789012345);
    expect(losslessNumber("1234567890123456789")).toBe("1234567890123456789");
    expect(losslessNumber("1e400")).toBe("1e400");
    expect(losslessNumber("1.7976931348623157e308")).toBe(1.7976931348623157e308);
  });
});
