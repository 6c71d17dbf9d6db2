import { describe, expect, it } from "vitest";
import { converterFor } from "./column-types.js";

const convert = (type: string, value: unknown) => {
  const converter = converterFor(type);
  return converter ? converter(value) : value;
};

describe("converterFor", () => {
  it.each([
    ["UInt64", 5, "5"],
    ["Int256", -1, "-1"],
    ["UInt64", "18446744073709551615", "18446744073709551615"],
    ["Nullable(Int64)", null, null],
    ["LowCardinality(Nullable(UInt128))", 7, "7"],
    ["Decimal(38, 10)", -1e-10, "-0.0000000001"],
    ["Decimal(18, 4)", 0, "0"],
    ["Decimal(18, 4)", 12.5, "12.5"],
    ["Decimal64(3)", 1.25, "1.25"],
    ["Decimal(18, 4)", "12345678901234.5678", "12345678901234.5678"],
    ["Array(Int64)", [1, "12345678901234567890"], ["1", "12345678901234567890"]],
    ["Map(String, UInt64)", { a: 0, b: "18446744073709551615" }, { a: "0", b: "18446744073709551615" }],
    ["Tuple(name String, n UInt64)", { name: "x", n: 3 }, { name: "x", n: "3" }],
    ["Tuple(String, Int64)", ["x", 3], ["x", "3"]],
    ["Tuple(`a b` Int64, c Enum8('x,y' = 1, 'z' = 2))", { "a b": 1, c: "z" }, { "a b": "1", c: "z" }],
  ])("%s: %j -> %j", (type, value, expected) => {
    expect(convert(type, value)).toEqual(expected);
  });

  it.each([
    "UInt32",
    "Float64",
    "String",
    "DateTime64(3, 'UTC')",
    "Array(String)",
    "Tuple(String, UInt8)",
    "JSON",
  ])("needs no conversion for %s", (type) => {
    expect(converterFor(type)).toBeUndefined();
  });
});
