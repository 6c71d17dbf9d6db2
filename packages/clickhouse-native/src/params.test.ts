import { describe, expect, it } from "vitest";
import { formatQueryParam, formatSetting } from "./params.js";

describe("formatQueryParam", () => {
  it("escapes top-level strings without quoting them", () => {
    expect(formatQueryParam("it's a \\ \t test\n\r")).toBe("it\\'s a \\\\ \\t test\\n\\r");
  });

  it("formats scalars", () => {
    expect(formatQueryParam(42)).toBe("42");
    expect(formatQueryParam(-1.5)).toBe("-1.5");
    expect(formatQueryParam(12345678901234567890n)).toBe("12345678901234567890");
    expect(formatQueryParam(true)).toBe("1");
    expect(formatQueryParam(null)).toBe("\\N");
    expect(formatQueryParam(Number.NaN)).toBe("nan");
    expect(formatQueryParam(Number.NEGATIVE_INFINITY)).toBe("-inf");
    expect(formatQueryParam(new Date("2024-01-02T03:04:05Z"))).toBe("1704164645");
    expect(formatQueryParam(new Date("2024-01-02T03:04:05.007Z"))).toBe("1704164645.007");
  });

  it("quotes strings inside arrays and maps", () => {
    expect(formatQueryParam(["a'b", null, true, 1])).toBe("['a\\'b',NULL,TRUE,1]");
    expect(formatQueryParam({ k: "v", n: [1, 2] })).toBe("{'k':'v','n':[1,2]}");
  });

  it("refuses what it cannot format", () => {
    expect(() => formatQueryParam(new Date(Number.NaN))).toThrow(TypeError);
    expect(() => formatQueryParam((() => 1) as never)).toThrow(TypeError);
  });
});

describe("formatSetting", () => {
  it("sends settings as text", () => {
    expect(formatSetting("readonly", 2)).toBe("2");
    expect(formatSetting("extremes", true)).toBe("1");
    expect(formatSetting("max_result_bytes", 10n)).toBe("10");
    expect(formatSetting("result_overflow_mode", "break")).toBe("break");
    expect(() => formatSetting("max_execution_time", Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });
});
