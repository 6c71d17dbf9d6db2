// View parameters from SQL, COMMENT metadata and tool names: the pure parts of discovery.
import { describe, expect, it } from "vitest";
import { parseToolComment } from "./comment.js";
import { snakeCase, toolName, uniqueNames } from "./names.js";
import { parseViewParameters, viewParameters } from "./view-params.js";

describe("view parameters read from the view's SQL", () => {
  it("finds each placeholder once, in order, with nested and quoted types", () => {
    const sql =
      "SELECT * FROM t WHERE a = {a:UInt32} AND b IN {b : Array(String)} AND c = {c:Enum8('x}y' = 1)} " +
      "AND d = {a:UInt32} AND e = {e:DateTime64(3, 'UTC')}";
    expect(parseViewParameters(sql)).toEqual({
      ok: true,
      parameters: [
        { name: "a", type: "UInt32" },
        { name: "b", type: "Array(String)" },
        { name: "c", type: "Enum8('x}y' = 1)" },
        { name: "e", type: "DateTime64(3, 'UTC')" },
      ],
    });
  });

  it("ignores braces in strings, quoted identifiers and comments, and maps that are not placeholders", () => {
    const sql =
      "SELECT '{x:UInt8}' AS s, `{y:UInt8}`, map('k', 1) -- {z:UInt8}\n /* {w:UInt8} */ FROM t WHERE v = {v:String}";
    expect(parseViewParameters(sql)).toEqual({ ok: true, parameters: [{ name: "v", type: "String" }] });
    expect(parseViewParameters("SELECT {'a': 1}")).toEqual({ ok: true, parameters: [] });
  });

  it("refuses a name used with two types", () => {
    const result = parseViewParameters("SELECT {a:UInt8}, {a:String}");
    expect(result.ok).toBe(false);
  });

  it("prefers ClickHouse's own list, ordered as the SQL names them", () => {
    const result = viewParameters("SELECT {b:String}, {a:UInt8}", [
      { name: "a", type: "UInt8" },
      { name: "b", type: "String" },
    ]);
    expect(result).toEqual({
      ok: true,
      parameters: [
        { name: "b", type: "String" },
        { name: "a", type: "UInt8" },
      ],
    });
  });
});

describe("COMMENT", () => {
  it("plain text is the description", () => {
    expect(parseToolComment(" Sessions of a user ")).toEqual({
      description: "Sessions of a user",
      params: {},
      structured: false,
    });
    expect(parseToolComment("")).toEqual({ params: {}, structured: false });
    expect(parseToolComment("{not json")).toMatchObject({ description: "{not json", structured: false });
  });

  it("JSON gives title, description, per-parameter descriptions and openWorldHint", () => {
    const comment = JSON.stringify({
      title: "GitHub Search",
      description: "Returns issues.",
      params: { query: "Words to look for", bad: 3 },
      annotations: { openWorldHint: true },
      extra: "ignored",
    });
    expect(parseToolComment(comment)).toEqual({
      title: "GitHub Search",
      description: "Returns issues.",
      params: { query: "Words to look for" },
      openWorldHint: true,
      structured: true,
    });
  });
});

describe("tool names", () => {
  it("are the reference's snake_case of prefix + database.object", () => {
    expect(snakeCase("Ro_Analytics.User-Sessions!")).toBe("ro_analytics_user_sessions");
    expect(toolName("ro_", "analytics", "user_sessions")).toBe("ro_analytics_user_sessions");
    expect(toolName("", "mydb", "users")).toBe("mydb_users");
    expect(toolName("log_", "events", "x", "clicks")).toBe("log_clicks");
    expect(toolName("", "ünï", "çödé")).toMatch(/^[a-z0-9_]+$/);
    expect(toolName("", "!!", "??")).toMatch(/^tool_[0-9a-f]{8}$/);
  });

  it("are at most 64 characters, distinct when cut", () => {
    const a = toolName("", "d", `${"x".repeat(80)}a`);
    const b = toolName("", "d", `${"x".repeat(80)}b`);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  it("are made unique in order, never taking a built-in's name", () => {
    const renames: string[] = [];
    const named = uniqueNames(
      [{ name: "execute_query" }, { name: "v" }, { name: "v" }, { name: "v_2" }],
      new Set(["execute_query"]),
      (_c, from, to) => renames.push(`${from}->${to}`),
    );
    expect(named.map((n) => n.name)).toEqual(["execute_query_2", "v", "v_2", "v_2_2"]);
    expect(renames).toEqual(["execute_query->execute_query_2", "v->v_2", "v_2->v_2_2"]);
  });
});
