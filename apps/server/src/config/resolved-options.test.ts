import { describe, expect, expectTypeOf, it } from "vitest";
import { OPTIONS, type OptionName } from "./flags.js";
import { type Resolved, ResolvedOptions } from "./resolved-options.js";

function options(values: Partial<Record<OptionName, Resolved["value"]>>): ResolvedOptions {
  return new ResolvedOptions(
    new Map(
      OPTIONS.map((o): [OptionName, Resolved] =>
        o.flag in values
          ? [o.flag, { value: values[o.flag], origin: "flag" }]
          : [o.flag, { value: "default" in o ? o.default : undefined, origin: "default" }],
      ),
    ),
  );
}

describe("ResolvedOptions", () => {
  it("reads values typed by their row of the table", () => {
    const o = options({ port: 9000, "clickhouse-protocol": "tcp" });
    expect(o.get("port")).toBe(9000);
    expect(o.get("clickhouse-host")).toBe("localhost");
    expect(o.isDefault("port")).toBe(false);
    expect(o.isDefault("clickhouse-host")).toBe(true);
    expectTypeOf(o.get("port")).toEqualTypeOf<number>();
    expectTypeOf(o.get("read-only")).toEqualTypeOf<boolean>();
    expectTypeOf(o.get("clickhouse-host")).toEqualTypeOf<string>();
    expectTypeOf(o.get("clickhouse-protocol")).toEqualTypeOf<"http" | "tcp">();
    expectTypeOf(o.get("cors-origin")).toEqualTypeOf<string | undefined>();
    expectTypeOf(o.get("transport")).toEqualTypeOf<readonly ("stdio" | "sse" | "http")[]>();
    // @ts-expect-error: a string option is not a number
    o.get("clickhouse-host") satisfies number;
    // @ts-expect-error: not an option
    o.get("clickhouse-hots");
  });

  it("reads an empty string as unset, and an empty list as unset", () => {
    const o = options({ "cors-origin": "", "allowed-hosts": [], "clickhouse-allowed-hosts": ["a", "b"] });
    expect(o.text("cors-origin")).toBeUndefined();
    expect(o.list("allowed-hosts")).toBeUndefined();
    expect(o.list("clickhouse-allowed-hosts")).toEqual(["a", "b"]);
    expectTypeOf(o.list("transport")).toEqualTypeOf<("stdio" | "sse" | "http")[] | undefined>();
    // @ts-expect-error: text() takes string options only
    o.text("port");
    // @ts-expect-error: list() takes list options only
    o.list("clickhouse-host");
  });

  it("hands out a fresh list each time", () => {
    const o = options({ "clickhouse-allowed-hosts": ["a"] });
    o.list("clickhouse-allowed-hosts")?.push("b");
    expect(o.list("clickhouse-allowed-hosts")).toEqual(["a"]);
  });
});
