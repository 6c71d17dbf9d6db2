// View-backed read tools and table-backed insert tools on the embedded ClickHouse: a view with a
// parameter of every mapped type called with good values and with hostile ones (refused before
// anything runs: checked in system.query_log), a view with a JSON COMMENT, views a user may not
// read (not listed), a view that cannot be mapped (skipped, with the reason logged), insert tools
// only for write-capable tokens, and every schema convertible to OpenAI's strict mode.
import { randomBytes } from "node:crypto";
import { adminClient, harness, useTestDatabase } from "@mcp/test-harness";
import { mcpToFunctionTool } from "@openai/agents-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, mcpUrl, structuredOf, textOf } from "../../src/test-support/http-fixture.js";
import { type OperatorServer, useOperatorServers } from "./fixture.js";

const startServer = useOperatorServers();
let server: OperatorServer;
let db: Awaited<ReturnType<typeof useTestDatabase>>;
/** A view in the one database the harness's oneDb user may read. */
const oneDbView = `ot_${randomBytes(4).toString("hex")}`;
const oneDb = () => harness().users.oneDb.database;

const TYPES_VIEW = `CREATE VIEW v_types AS SELECT
  {u8:UInt8} AS u8, {i32:Int32} AS i32, {u64:UInt64} AS u64, {i128:Int128} AS i128, {f:Float64} AS f,
  {d:Decimal(10, 2)} AS d, {s:String} AS s, {fs:FixedString(4)} AS fs, {b:Bool} AS b, {id:UUID} AS id,
  {day:Date} AS day, {d32:Date32} AS d32, {ts:DateTime('UTC')} AS ts, {ts64:DateTime64(3, 'UTC')} AS ts64,
  {e:Enum8('red' = 1, 'green' = 2)} AS e, {n:Nullable(UInt32)} AS n, {arr:Array(String)} AS arr,
  {lc:LowCardinality(String)} AS lc`;

const GOOD = {
  u8: 255,
  i32: -2147483648,
  u64: "18446744073709551615",
  i128: "-170141183460469231731687303715884105728",
  f: 1.5,
  d: "12345678.12",
  s: "it's; DROP TABLE canary --",
  fs: "abcd",
  b: true,
  id: "61f0c404-5cb3-11e7-907b-a6006ad3dba0",
  day: "2024-02-29",
  d32: "1900-01-01",
  ts: "2024-01-31T12:00:00+02:00",
  ts64: "2024-01-31 12:00:00.123",
  e: "green",
  n: null,
  arr: ["a", "b'c", "\\N"],
  lc: "x",
};

beforeAll(async () => {
  db = await useTestDatabase();
  for (const statement of [
    "CREATE TABLE canary (x UInt8) ENGINE = Memory",
    "INSERT INTO canary VALUES (1)",
    "CREATE TABLE events (id UInt32, name String) ENGINE = MergeTree ORDER BY id",
    "INSERT INTO events VALUES (1, 'start'), (2, 'stop'), (3, 'start')",
    TYPES_VIEW,
    `CREATE VIEW by_name AS SELECT id, name FROM events WHERE name = {name:String} ORDER BY id COMMENT '${JSON.stringify(
      {
        title: "Events by name",
        description: "The events with this name, oldest first.",
        params: { name: "The event's name, e.g. start" },
        annotations: { openWorldHint: true },
      },
    ).replace(/'/g, "\\'")}'`,
    "CREATE VIEW everything AS SELECT * FROM events COMMENT 'Every event.'",
    "CREATE VIEW with_map AS SELECT {m:Map(String, UInt8)} AS m",
    "CREATE TABLE inbox (id UInt32 COMMENT 'Message id', body String, note Nullable(String), at DateTime DEFAULT now(), up String MATERIALIZED upper(body)) ENGINE = MergeTree ORDER BY id",
  ]) {
    await db.client.command({ query: statement });
  }
  const admin = adminClient();
  try {
    await admin.command({ query: `CREATE VIEW ${oneDb()}.${oneDbView} AS SELECT 1 AS one` });
  } finally {
    await admin.close();
  }
  server = await startServer({
    tools: [
      { type: "read", name: "execute_query" },
      { type: "write", name: "write_query" },
      { type: "read", view_regexp: `^(${db.name}|${oneDb()})\\.`, prefix: "ot_" },
      { type: "write", table_regexp: `^${db.name}\\.inbox$`, prefix: "add_", mode: "insert" },
    ],
  });
});

afterAll(async () => {
  const admin = adminClient();
  try {
    await admin.command({ query: `DROP VIEW IF EXISTS ${oneDb()}.${oneDbView}` });
  } finally {
    await admin.close();
  }
  await db?.[Symbol.asyncDispose]();
});

const name = (view: string) => `ot_${db.name}_${view}`;

async function client(
  user: "admin" | "oneDb" = "admin",
  options: { readOnly?: boolean; protocol?: "http" | "tcp" } = {},
) {
  const token = await server.mint(user, options);
  return connectClient("http", mcpUrl(server.url, "http", token));
}

/** Queries ClickHouse received that mention this text (query_log flushed first). */
async function queriesMentioning(text: string): Promise<number> {
  const admin = adminClient();
  try {
    await admin.command({ query: "SYSTEM FLUSH LOGS" });
    const result = await admin.query({
      query:
        "SELECT count() AS n FROM system.query_log WHERE position(query, {text:String}) > 0 AND query NOT LIKE '%system.query_log%'",
      query_params: { text },
      format: "JSONEachRow",
    });
    const rows = await result.json<{ n: string }>();
    return Number(rows[0]?.n);
  } finally {
    await admin.close();
  }
}

describe("discovery", () => {
  it("lists the views a rule matches as read tools and the table as an insert tool; a view that cannot be mapped is skipped with the reason logged", async () => {
    await using c = await client();
    const { tools } = await c.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "execute_query",
        "write_query",
        name("v_types"),
        name("by_name"),
        name("everything"),
        `ot_${oneDb()}_${oneDbView}`,
        `add_${db.name}_inbox`,
      ]),
    );
    expect(names).not.toContain(name("with_map"));
    const skipped = server
      .logLines()
      .find((l) => l.msg === "operator tools: skipped or renamed" && l.object === `${db.name}.with_map`);
    expect(String(skipped?.reason)).toMatch(
      /parameter m: the type Map\(String, UInt8\) has no JSON Schema mapping/,
    );
  });

  it("maps each parameter's type to a precise JSON Schema", async () => {
    await using c = await client();
    const { tools } = await c.listTools();
    const tool = tools.find((t) => t.name === name("v_types"))!;
    const props = tool.inputSchema.properties as Record<string, Record<string, unknown>>;
    expect(tool.inputSchema).toMatchObject({ type: "object", additionalProperties: false });
    expect(tool.inputSchema.required).toEqual(Object.keys(GOOD));
    expect(props.u8).toMatchObject({ type: "integer", minimum: 0, maximum: 255 });
    expect(props.i32).toMatchObject({ type: "integer", minimum: -2147483648, maximum: 2147483647 });
    expect(props.u64).toMatchObject({ type: "string", pattern: "^\\d{1,20}$" });
    expect(props.d).toMatchObject({ type: "string", pattern: "^-?\\d{1,8}(\\.\\d{1,2})?$" });
    expect(props.f).toMatchObject({ type: "number" });
    expect(props.fs).toMatchObject({ type: "string", maxLength: 4 });
    expect(props.b).toMatchObject({ type: "boolean" });
    expect(props.id).toMatchObject({ type: "string", format: "uuid" });
    expect(props.day).toMatchObject({ type: "string", format: "date" });
    expect(props.ts).toMatchObject({ type: "string", format: "date-time" });
    expect(props.e).toMatchObject({ type: "string", enum: ["red", "green"] });
    expect(props.n).toMatchObject({ anyOf: [{ type: "integer" }, { type: "null" }] });
    expect(props.arr).toMatchObject({ type: "array", items: { type: "string" } });
    expect(tool.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
      openWorldHint: false,
    });
  });

  it("takes title, description, parameter descriptions and openWorldHint from a JSON COMMENT", async () => {
    await using c = await client();
    const { tools } = await c.listTools();
    const tool = tools.find((t) => t.name === name("by_name"))!;
    expect(tool.title).toBe("Events by name");
    expect(tool.description).toMatch(/^The events with this name, oldest first\./);
    expect(
      (tool.inputSchema.properties as Record<string, { description: string }>).name?.description,
    ).toMatch(/^The event's name, e\.g\. start/);
    expect(tool.annotations?.openWorldHint).toBe(true);
    expect(tools.find((t) => t.name === name("everything"))?.description).toMatch(/^Every event\./);
  });

  it("lists only what the token's user may read", async () => {
    await using c = await client("oneDb");
    const names = (await c.listTools()).tools.map((t) => t.name);
    expect(names).toContain(`ot_${oneDb()}_${oneDbView}`);
    expect(names.filter((n) => n.startsWith(`ot_${db.name}`) || n.startsWith("add_"))).toEqual([]);
  });

  it("every tool converts to OpenAI's strict mode as @openai/agents does it", async () => {
    await using c = await client();
    const { tools } = await c.listTools();
    for (const tool of tools) {
      // biome-ignore lint/suspicious/noExplicitAny: the converter only reads the tool and the server's name
      const converted = mcpToFunctionTool(tool as any, { name: "clickhouse" } as any, true);
      expect(converted.strict, tool.name).toBe(true);
    }
  });
});

describe("read tools", () => {
  it("bind every value as a query parameter and return the view's rows", async () => {
    await using c = await client();
    const result = await c.callTool({ name: name("v_types"), arguments: GOOD });
    expect(result.isError, textOf(result)).toBeFalsy();
    const row = (result.structuredContent as { rows: Record<string, unknown>[] }).rows[0]!;
    expect(row).toMatchObject({
      u8: 255,
      i32: -2147483648,
      u64: "18446744073709551615",
      i128: "-170141183460469231731687303715884105728",
      d: "12345678.12",
      s: "it's; DROP TABLE canary --",
      fs: "abcd",
      b: true,
      id: "61f0c404-5cb3-11e7-907b-a6006ad3dba0",
      day: "2024-02-29",
      d32: "1900-01-01",
      ts: "2024-01-31 10:00:00",
      ts64: "2024-01-31 12:00:00.123",
      e: "green",
      n: null,
      arr: ["a", "b'c", "\\N"],
      lc: "x",
    });
    const admin = adminClient({ database: db.name });
    try {
      const canary = await (
        await admin.query({ query: "SELECT count() AS n FROM canary", format: "JSONEachRow" })
      ).json();
      expect(canary).toEqual([{ n: 1 }]);
    } finally {
      await admin.close();
    }
  });

  it("refuse hostile and malformed values with a clear error, before anything reaches ClickHouse", async () => {
    await using c = await client();
    const before = await queriesMentioning("v_types");
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ u8: 256 }, /u8/],
      [{ u8: -1 }, /u8/],
      [{ i32: 2147483648 }, /i32/],
      [{ u8: "1; DROP TABLE canary" }, /u8/],
      [{ u64: "1 OR 1=1" }, /u64/],
      [{ u64: "18446744073709551616" }, /u64/],
      [{ d: "1.234" }, /d/],
      [{ day: "2024-02-30" }, /day/],
      [{ day: "2024-01-01' OR '1'='1" }, /day/],
      [{ day: "1969-12-31" }, /day/],
      [{ ts: "2024-01-31 25:00:00" }, /ts/],
      [{ ts64: "2024-01-31 12:00:00.1234" }, /ts64/],
      [{ e: "blue" }, /e/],
      [{ id: "not-a-uuid" }, /id/],
      [{ fs: "abcde" }, /fs/],
      [{ n: "null" }, /n/],
      [{ extra: 1 }, /extra|Unrecognized/i],
    ];
    for (const [change, message] of cases) {
      const result = await c
        .callTool({ name: name("v_types"), arguments: { ...GOOD, ...change } })
        .catch((e: Error) => e);
      const text = result instanceof Error ? result.message : textOf(result);
      if (!(result instanceof Error)) expect(result.isError, JSON.stringify(change)).toBe(true);
      expect(text, JSON.stringify(change)).toMatch(/invalid|validation/i);
      expect(text, JSON.stringify(change)).toMatch(message);
    }
    const { u8: _missing, ...withoutU8 } = GOOD;
    const missing = await c.callTool({ name: name("v_types"), arguments: withoutU8 }).catch((e: Error) => e);
    expect(missing instanceof Error ? missing.message : textOf(missing)).toMatch(/u8/);
    expect(await queriesMentioning("v_types")).toBe(before);
  });

  it("work over the native protocol too", async () => {
    await using c = await client("admin", { protocol: "tcp" });
    const result = await c.callTool({ name: name("by_name"), arguments: { name: "start" } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structuredOf(result)).toContain('"rows":[{"id":1,"name":"start"},{"id":3,"name":"start"}]');
    expect(textOf(result)).toMatch(/^2 rows; columns: id UInt32, name String/);
  });
});

describe("insert tools", () => {
  it("are not offered to a read-only token, and cannot be called by one", async () => {
    await using c = await client("admin", { readOnly: true });
    const names = (await c.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain(`add_${db.name}_inbox`);
    expect(names).toContain(name("by_name"));
    const result = await c
      .callTool({ name: `add_${db.name}_inbox`, arguments: { id: 9, body: "x" } })
      .catch((e: Error) => e);
    expect(result instanceof Error ? result.message : textOf(result)).toMatch(/not found|unknown tool/i);
  });

  it("insert one row for a write-capable token: columns without defaults required, the others optional", async () => {
    await using c = await client();
    const tool = (await c.listTools()).tools.find((t) => t.name === `add_${db.name}_inbox`)!;
    expect(tool.inputSchema.required).toEqual(["id", "body"]);
    const props = tool.inputSchema.properties as Record<string, { description?: string }>;
    expect(Object.keys(props)).toEqual(["id", "body", "note", "at"]); // MATERIALIZED `up` is left out
    expect(props.id?.description).toMatch(/^Message id/);
    expect(tool.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });

    const first = await c.callTool({
      name: tool.name,
      arguments: { id: 1, body: "it's {x:String}", note: null },
    });
    expect(first.isError, textOf(first)).toBeFalsy();
    const second = await c.callTool({
      name: tool.name,
      arguments: { id: 2, body: "b", note: "n", at: "2024-01-31T00:00:00Z" },
    });
    expect(second.isError, textOf(second)).toBeFalsy();
    const missing = await c.callTool({ name: tool.name, arguments: { id: 3 } }).catch((e: Error) => e);
    expect(missing instanceof Error ? missing.message : textOf(missing)).toMatch(/body/);

    const admin = adminClient({ database: db.name });
    try {
      const rows = await (
        await admin.query({
          query: "SELECT id, body, note, at > '2025-01-01' AS recent, up FROM inbox ORDER BY id",
          format: "JSONEachRow",
        })
      ).json();
      expect(rows).toEqual([
        { id: 1, body: "it's {x:String}", note: null, recent: 1, up: "IT'S {X:STRING}" },
        { id: 2, body: "b", note: "n", recent: 0, up: "B" },
      ]);
    } finally {
      await admin.close();
    }
  });
});
