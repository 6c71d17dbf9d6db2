import { describe, expect, it } from "vitest";
import { parseType, unsupportedParts } from "./types.js";

describe("parseType", () => {
  it("reads simple types", () => {
    expect(parseType("UInt64")).toEqual({ kind: "int", bytes: 8, signed: false });
    expect(parseType("Int256")).toEqual({ kind: "int", bytes: 32, signed: true });
    expect(parseType("Float32")).toEqual({ kind: "float", bytes: 4 });
    expect(parseType("String")).toEqual({ kind: "string" });
    expect(parseType("DateTime")).toEqual({ kind: "datetime", timezone: undefined });
  });

  it("reads parameters", () => {
    expect(parseType("FixedString(16)")).toEqual({ kind: "fixed-string", length: 16 });
    expect(parseType("Decimal(18, 4)")).toEqual({ kind: "decimal", precision: 18, scale: 4, bytes: 8 });
    expect(parseType("Decimal(76, 10)")).toMatchObject({ bytes: 32 });
    expect(parseType("Decimal32(3)")).toEqual({ kind: "decimal", precision: 9, scale: 3, bytes: 4 });
    expect(parseType("Decimal128(2)")).toMatchObject({ precision: 38, bytes: 16 });
    expect(parseType("DateTime('Asia/Tokyo')")).toEqual({ kind: "datetime", timezone: "Asia/Tokyo" });
    expect(parseType("DateTime64(9)")).toEqual({ kind: "datetime64", precision: 9, timezone: undefined });
    expect(parseType("DateTime64(3, 'Europe/Berlin')")).toEqual({
      kind: "datetime64",
      precision: 3,
      timezone: "Europe/Berlin",
    });
  });

  it("reads enums, with escaped quotes in names and negative values", () => {
    const type = parseType("Enum16('it\\'s' = -1000, 'b' = 1000, 'c''d' = 0)");
    expect(type.kind === "enum" && [...type.names]).toEqual([
      [-1000, "it's"],
      [1000, "b"],
      [0, "c'd"],
    ]);
  });

  it("reads nested types and named tuple elements, back-quoted or not", () => {
    expect(parseType("Array(Nullable(String))")).toEqual({
      kind: "array",
      inner: { kind: "nullable", inner: { kind: "string" } },
    });
    expect(parseType("Tuple(name String, `odd name` Nullable(Float64))")).toEqual({
      kind: "tuple",
      elements: [{ kind: "string" }, { kind: "nullable", inner: { kind: "float", bytes: 8 } }],
      names: ["name", "odd name"],
    });
    expect(parseType("Tuple(String, UInt8)")).toMatchObject({ kind: "tuple", names: undefined });
    expect(parseType("Map(LowCardinality(String), Array(UInt64))")).toEqual({
      kind: "map",
      key: { kind: "low-cardinality", inner: { kind: "string" } },
      value: { kind: "array", inner: { kind: "int", bytes: 8, signed: false } },
    });
    expect(parseType("Nested(a String, b UInt8)")).toMatchObject({
      kind: "array",
      inner: { kind: "tuple", names: ["a", "b"] },
    });
    expect(parseType("SimpleAggregateFunction(sum, UInt64)")).toEqual({
      kind: "int",
      bytes: 8,
      signed: false,
    });
    expect(parseType("Point")).toMatchObject({ kind: "tuple" });
    expect(parseType("MultiPolygon")).toMatchObject({
      kind: "array",
      inner: { kind: "array", inner: { kind: "array" } },
    });
  });

  it("marks what it cannot decode as unsupported instead of failing", () => {
    for (const text of [
      "JSON",
      "JSON(max_dynamic_paths = 10, a.b UInt32, SKIP a.c, SKIP REGEXP 'x.*')",
      "Dynamic(max_types=3)",
      "Variant(String, UInt64)",
      "AggregateFunction(quantiles(0.5, 0.9), UInt64)",
      "Object('json')",
      "IntervalSecond",
      "Time64(3)",
    ]) {
      expect(parseType(text)).toEqual({ kind: "unsupported", name: text });
    }
    expect(unsupportedParts(parseType("Array(Tuple(a JSON, b String, c Dynamic))"))).toEqual([
      "JSON",
      "Dynamic",
    ]);
    expect(unsupportedParts(parseType("Map(String, Array(Nullable(UInt8)))"))).toEqual([]);
  });

  it("fails on malformed text", () => {
    for (const text of [
      "Array(String",
      "Decimal(100, 2)",
      "FixedString(0)",
      "Nullable()",
      "UInt8 junk",
      "Enum8('a')",
    ]) {
      expect(() => parseType(text), text).toThrow(SyntaxError);
    }
  });
});
