import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatType, mapClickHouseType, parseType, type TypeMapping } from "./clickhouse-types.js";

function mapping(type: string): TypeMapping {
  const result = mapClickHouseType(type);
  if (!result.ok) throw new Error(result.reason);
  return result.mapping;
}

const accepts = (type: string, value: unknown) => mapping(type).schema.safeParse(value).success;
const jsonSchema = (type: string) =>
  z.toJSONSchema(mapping(type).schema, { io: "input" }) as Record<string, unknown>;
const bind = (type: string, value: unknown) => mapping(type).bind(value);

describe("parseType", () => {
  it("reads nested types, numbers, strings with escapes and enum entries", () => {
    expect(parseType("Nullable(DateTime64(3, 'UTC'))")).toEqual({
      name: "Nullable",
      args: [
        {
          kind: "type",
          node: {
            name: "DateTime64",
            args: [
              { kind: "number", value: 3 },
              { kind: "string", value: "UTC" },
            ],
          },
        },
      ],
    });
    const e = parseType("Enum8('x}y' = 1, 'it\\'s' = -2)");
    expect(e?.args).toEqual([
      { kind: "enum", name: "x}y", value: 1 },
      { kind: "enum", name: "it's", value: -2 },
    ]);
    expect(formatType(e!)).toBe("Enum8('x}y' = 1, 'it\\'s' = -2)");
    expect(parseType("Tuple(a String, b UInt8)")?.args[0]).toMatchObject({ kind: "named", name: "a" });
  });

  it("refuses what is not a type", () => {
    for (const text of ["", "UInt8)", "Array(", "Enum8('a' = )", "1", "String; DROP"]) {
      expect(parseType(text), text).toBeUndefined();
    }
  });
});

describe("integers", () => {
  it("up to 32 bits are bounded JSON integers", () => {
    expect(jsonSchema("UInt8")).toMatchObject({ type: "integer", minimum: 0, maximum: 255 });
    expect(jsonSchema("Int32")).toMatchObject({ type: "integer", minimum: -2147483648, maximum: 2147483647 });
    expect(accepts("UInt8", 255)).toBe(true);
    expect(accepts("UInt8", 256)).toBe(false);
    expect(accepts("UInt32", -1)).toBe(false);
    expect(accepts("Int16", 1.5)).toBe(false);
    expect(accepts("Int16", "1")).toBe(false);
    expect(bind("UInt16", 7)).toBe(7);
  });

  it("64 bits and wider are decimal strings with a pattern, checked against the exact range", () => {
    expect(jsonSchema("UInt64")).toMatchObject({ type: "string", pattern: "^\\d{1,20}$" });
    expect(accepts("UInt64", "18446744073709551615")).toBe(true);
    expect(accepts("UInt64", "18446744073709551616")).toBe(false);
    expect(accepts("UInt64", "-1")).toBe(false);
    expect(accepts("Int64", "-9223372036854775808")).toBe(true);
    expect(accepts("Int64", "9223372036854775808")).toBe(false);
    expect(accepts("Int64", "1 OR 1=1")).toBe(false);
    expect(accepts("Int256", `-${"9".repeat(70)}`)).toBe(true);
    expect(bind("UInt64", "18446744073709551615")).toBe(18446744073709551615n);
  });
});

describe("decimals and floats", () => {
  it("decimals are strings limited to the type's digits", () => {
    expect(accepts("Decimal(10, 2)", "12345678.12")).toBe(true);
    expect(accepts("Decimal(10, 2)", "1.123")).toBe(false);
    expect(accepts("Decimal(10, 2)", "123456789.1")).toBe(false);
    expect(accepts("Decimal(10, 2)", 1.5)).toBe(false);
    expect(accepts("Decimal32(4)", "-12345.6789")).toBe(true);
    expect(accepts("Decimal(3, 3)", "0.123")).toBe(true);
    expect(accepts("Decimal(3, 3)", "1.1")).toBe(false);
    expect(bind("Decimal(10,2)", "1.50")).toBe("1.50");
  });

  it("inside arrays, decimals of up to 15 digits travel as numbers; wider ones are refused", () => {
    expect(bind("Array(Decimal(10, 2))", ["1.25", "2"])).toEqual([1.25, 2]);
    const wide = mapClickHouseType("Array(Decimal(38, 10))");
    expect(wide.ok).toBe(false);
  });

  it("floats are numbers", () => {
    expect(jsonSchema("Float64")).toMatchObject({ type: "number" });
    expect(accepts("Float32", 1.5)).toBe(true);
    expect(accepts("Float32", "1.5")).toBe(false);
  });
});

describe("strings, booleans, UUIDs, addresses, enums", () => {
  it("maps them with their formats and limits", () => {
    expect(accepts("String", "x'); DROP TABLE t; --")).toBe(true);
    expect(accepts("FixedString(3)", "abc")).toBe(true);
    expect(accepts("FixedString(3)", "äb")).toBe(true); // 3 bytes
    expect(accepts("FixedString(3)", "äbc")).toBe(false); // 3 characters, 4 bytes
    expect(accepts("FixedString(3)", "abcd")).toBe(false);
    expect(jsonSchema("Bool")).toMatchObject({ type: "boolean" });
    expect(jsonSchema("UUID")).toMatchObject({ type: "string", format: "uuid" });
    expect(accepts("UUID", "61f0c404-5cb3-11e7-907b-a6006ad3dba0")).toBe(true);
    expect(accepts("UUID", "61f0c404")).toBe(false);
    expect(accepts("IPv4", "192.0.2.1")).toBe(true);
    expect(accepts("IPv4", "192.0.2.256")).toBe(false);
    expect(jsonSchema("Enum8('a' = 1, 'b' = 2)")).toMatchObject({ type: "string", enum: ["a", "b"] });
    expect(accepts("Enum16('a' = 1, 'b' = 2)", "c")).toBe(false);
    expect(jsonSchema("LowCardinality(String)")).toMatchObject({ type: "string" });
  });
});

describe("dates and times", () => {
  it("dates: YYYY-MM-DD on the calendar and within the type's range", () => {
    expect(jsonSchema("Date")).toMatchObject({ type: "string", format: "date" });
    expect(accepts("Date", "2024-02-29")).toBe(true);
    expect(accepts("Date", "2023-02-29")).toBe(false);
    expect(accepts("Date", "2024-02-30")).toBe(false);
    expect(accepts("Date", "2024-13-01")).toBe(false);
    expect(accepts("Date", "1969-12-31")).toBe(false);
    expect(accepts("Date", "2149-06-06")).toBe(true);
    expect(accepts("Date", "2149-06-07")).toBe(false);
    expect(accepts("Date32", "1900-01-01")).toBe(true);
    expect(accepts("Date32", "1899-12-31")).toBe(false);
    expect(accepts("Date", "2024-01-01' OR '1'='1")).toBe(false);
    expect(bind("Date", "2024-01-31")).toBe("2024-01-31");
  });

  it("date-times: naive text is bound as written, text with an offset as the exact epoch", () => {
    expect(jsonSchema("DateTime")).toMatchObject({ type: "string", format: "date-time" });
    expect(accepts("DateTime", "2024-01-31 12:00:00")).toBe(true);
    expect(accepts("DateTime", "2024-01-31T12:00:00Z")).toBe(true);
    expect(accepts("DateTime", "2024-01-31T12:00:00.5Z")).toBe(false);
    expect(accepts("DateTime", "2024-01-31 24:00:00")).toBe(false);
    expect(accepts("DateTime", "1969-12-31 23:59:59")).toBe(false);
    expect(accepts("DateTime('UTC')", "2106-02-07 06:28:15")).toBe(true);
    expect(accepts("DateTime('UTC')", "2106-02-07 06:28:16")).toBe(false);
    expect(bind("DateTime", "2024-01-31T12:00:00")).toBe("2024-01-31 12:00:00");
    expect(bind("DateTime", "2023-11-14T22:13:20Z")).toBe("1700000000");
    expect(bind("DateTime", "2023-11-15T00:13:20+02:00")).toBe("1700000000");
    expect(accepts("DateTime64(3)", "2024-01-31 12:00:00.123")).toBe(true);
    expect(accepts("DateTime64(3)", "2024-01-31 12:00:00.1234")).toBe(false);
    expect(bind("DateTime64(3, 'UTC')", "2023-11-14T22:13:20.5Z")).toBe("1700000000.5");
    expect(bind("DateTime64(3)", "1969-12-31T23:59:58.5Z")).toBe("-1.5");
    expect(accepts("DateTime64(3)", "1969-12-31T23:59:59.5Z")).toBe(false);
    expect(accepts("DateTime64(9)", "1900-01-01 00:00:00")).toBe(true);
  });
});

describe("Nullable and Array", () => {
  it("Nullable allows null and binds it as NULL", () => {
    expect(jsonSchema("Nullable(UInt8)")).toMatchObject({
      anyOf: [{ type: "integer", minimum: 0, maximum: 255 }, { type: "null" }],
    });
    expect(accepts("Nullable(UInt8)", null)).toBe(true);
    expect(accepts("UInt8", null)).toBe(false);
    expect(bind("Nullable(UInt64)", null)).toBeNull();
    expect(mapping("Nullable(String)").nullable).toBe(true);
    expect(mapping("LowCardinality(Nullable(String))").nullable).toBe(true);
  });

  it("Array maps its elements", () => {
    expect(jsonSchema("Array(UInt8)")).toMatchObject({ type: "array", items: { type: "integer" } });
    expect(accepts("Array(Array(String))", [["a"], []])).toBe(true);
    expect(accepts("Array(UInt8)", [1, 300])).toBe(false);
    expect(bind("Array(Nullable(Int64))", ["1", null])).toEqual([1n, null]);
  });
});

describe("types without a mapping", () => {
  it("are refused with a reason", () => {
    for (const type of [
      "Map(String, UInt8)",
      "Tuple(a String)",
      "JSON",
      "Dynamic",
      "Variant(String, UInt8)",
      "Nothing",
    ]) {
      const result = mapClickHouseType(type);
      expect(result.ok, type).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/no JSON Schema mapping|unreadable/);
    }
    expect(mapClickHouseType("Array(Map(String, String))").ok).toBe(false);
    expect(mapClickHouseType("Nullable(").ok).toBe(false);
  });
});
