import { describe, expect, it } from "vitest";
import { ConfigError } from "../../config/config-error.js";
import { compileRegexp, parseToolsConfig } from "./config.js";

const parse = (tools: unknown, dynamicTools?: unknown) => {
  const warnings: string[] = [];
  const config = parseToolsConfig({ tools, dynamicTools, discoveryTtlSeconds: 60, path: "c.yaml" }, warnings);
  return { config, warnings };
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("server.tools", () => {
  it("reads the reference's mixed example (docs/tools.md)", () => {
    const { config, warnings } = parse([
      { type: "read", name: "execute_query" },
      { type: "read", view_regexp: "analytics\\..*_view", prefix: "ro_" },
      { type: "write", table_regexp: "events\\..*", prefix: "log_", mode: "insert" },
    ]);
    expect(warnings).toEqual([]);
    expect(config.staticTools).toEqual(["execute_query"]);
    expect(config.discoveryTtlMs).toBe(60_000);
    expect(config.rules.map(({ type, source, prefix, key }) => ({ type, source, prefix, key }))).toEqual([
      { type: "read", source: "analytics\\..*_view", prefix: "ro_", key: "server.tools[1]" },
      { type: "write", source: "events\\..*", prefix: "log_", key: "server.tools[2]" },
    ]);
    expect(config.rules[0]?.pattern.test("analytics.daily_view")).toBe(true);
    expect(config.rules[0]?.pattern.test("other.daily_view")).toBe(false);
  });

  it("without a list, every built-in stays and no rule applies", () => {
    expect(parse(undefined).config).toEqual({ rules: [], discoveryTtlMs: 60_000 });
    expect(parse(null).config.staticTools).toBeUndefined();
  });

  it("refuses bad entries, naming the key", () => {
    const cases: [unknown, string, RegExp][] = [
      ["nope", "server.tools", /list of mappings/],
      [[42], "server.tools[0]", /mapping/],
      [[{ type: "read", view_regexp: "x", colour: "red" }], "server.tools[0].colour", /unknown config key/],
      [[{ type: "reed", view_regexp: "x" }], "server.tools[0].type", /read or write/],
      [[{ view_regexp: "x" }], "server.tools[0].type", /read or write/],
      [[{ type: "read", view_regexp: "(" }], "server.tools[0].view_regexp", /not a valid regular expression/],
      [[{ type: "write", table_regexp: "x" }], "server.tools[0].mode", /requires mode: insert/],
      [[{ type: "write", table_regexp: "x", mode: "upsert" }], "server.tools[0].mode", /only insert/],
      [[{ type: "read", table_regexp: "x" }], "server.tools[0].table_regexp", /use view_regexp/],
      [
        [{ type: "write", view_regexp: "x", mode: "insert" }],
        "server.tools[0].view_regexp",
        /use table_regexp/,
      ],
      [[{ type: "read", view_regexp: "x", table_regexp: "y" }], "server.tools[0]", /not both/],
      [[{ type: "read", name: "drop_everything" }], "server.tools[0].name", /execute_query/],
      [[{ type: "write", name: "execute_query" }], "server.tools[0].name", /write_query/],
      [[{ type: "read" }], "server.tools[0]", /needs a name/],
      [[{ type: "read", view_regexp: 5 }], "server.tools[0].view_regexp", /must be a string/],
      [[{ type: "read", view_regexp: "x", mode: "insert" }], "server.tools[0].mode", /type: write/],
    ];
    for (const [tools, setting, message] of cases) {
      const error = configError(() => parse(tools));
      expect(error.setting, JSON.stringify(tools)).toBe(setting);
      expect(error.message).toMatch(message);
    }
  });
});

describe("server.dynamic_tools (deprecated)", () => {
  it("is read as the reference converts it, with a warning", () => {
    const { config, warnings } = parse(undefined, [
      { regexp: "mydb\\..*", prefix: "db_" },
      { regexp: "events\\..*", type: "write", mode: "insert" },
    ]);
    expect(warnings).toEqual(["config key server.dynamic_tools is deprecated: use server.tools"]);
    expect(config.staticTools).toBeUndefined();
    expect(config.rules.map((r) => [r.type, r.source, r.prefix])).toEqual([
      ["read", "mydb\\..*", "db_"],
      ["write", "events\\..*", ""],
    ]);
  });

  it("is ignored next to server.tools, with a warning", () => {
    const { config, warnings } = parse([{ type: "read", view_regexp: "a" }], [{ regexp: "b" }]);
    expect(config.rules.map((r) => r.source)).toEqual(["a"]);
    expect(warnings[0]).toMatch(/ignored/);
  });
});

describe("regexps written for the reference (RE2)", () => {
  it("translates RE2's leading flags, named groups and text anchors", () => {
    expect(compileRegexp("(?i)^Analytics\\.", "k").test("analytics.v")).toBe(true);
    expect(compileRegexp("(?P<db>\\w+)\\.v", "k").test("a.v")).toBe(true);
    expect(compileRegexp("\\Aa\\.b\\z", "k").test("a.b")).toBe(true);
    expect(compileRegexp("\\Aa\\.b\\z", "k").test("xa.b")).toBe(false);
  });

  it("refuses what JavaScript would read differently", () => {
    expect(configError(() => compileRegexp("(?U)a", "k")).message).toMatch(/\(\?U\)/);
    expect(configError(() => compileRegexp("[[:alpha:]]", "k")).message).toMatch(/POSIX/);
    expect(configError(() => compileRegexp("\\Qa.b\\E", "k")).message).toMatch(/\\Q/);
  });
});
