// Integration tests of query execution against the run's embedded ClickHouse.

import { adminClient, FIXTURE_TABLES, harness, useTestDatabase } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
import { type ClickHousePool, createClickHousePool, DatabaseError, type PooledClient } from "../index.js";

let pool: ClickHousePool;

beforeAll(() => {
  pool = createClickHousePool();
});

afterAll(async () => {
  await pool.close();
});

type User = "admin" | "password" | "readonly1" | "readonly2";

function claims(user: User): ConnectionClaims {
  const h = harness();
  return { host: h.host, port: h.httpPort, ...h.users[user] };
}

function as<T>(user: User, fn: (client: PooledClient) => Promise<T>): Promise<T> {
  return pool.withClient(claims(user), fn);
}

function query(user: User, sql: string, options: Partial<Parameters<PooledClient["executeQuery"]>[1]> = {}) {
  return as(user, (client) => client.executeQuery(sql, { readOnly: true, ...options }));
}

async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DatabaseError)) throw new Error(`expected a DatabaseError, got ${String(error)}`);
  return error;
}

/** How many queries with this id the server is running now. */
async function running(queryId: string): Promise<number> {
  const admin = adminClient();
  try {
    const result = await admin.query({
      query: "SELECT count() AS n FROM system.processes WHERE query_id = {id:String}",
      query_params: { id: queryId },
      format: "JSONEachRow",
    });
    const rows = await result.json<{ n: string | number }>();
    return Number(rows[0]?.n);
  } finally {
    await admin.close();
  }
}

async function waitUntilRunning(queryId: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if ((await running(queryId)) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`query ${queryId} never showed up in system.processes`);
}

/** The exact row lines ClickHouse sends for this query, with the settings the client uses. */
async function rawRowLines(sql: string): Promise<string[]> {
  const admin = adminClient();
  try {
    const result = await admin.exec({
      query: `${sql} FORMAT JSONCompactEachRow`,
      clickhouse_settings: {
        output_format_json_quote_64bit_integers: 1,
        output_format_json_quote_decimals: 1,
      },
    });
    let text = "";
    for await (const chunk of result.stream) text += chunk.toString();
    return text.split("\n").filter((line) => line !== "");
  } finally {
    await admin.close();
  }
}

// The slow query of these tests: one row per second, streamed, without burning CPU.
const SLOW = "SELECT sleepEachRow(1) AS s, number FROM numbers(30)";
const SLOW_SETTINGS = { settings: { max_block_size: 1 }, allowedSettings: ["max_block_size"] };

describe("caps", () => {
  it("cuts exactly at maxRows on the big table, marks the result and leaves nothing running", async () => {
    const queryId = `cap-rows-${Date.now()}`;
    const result = await query("admin", `SELECT * FROM ${FIXTURE_TABLES.big} ORDER BY id`, {
      maxRows: 1234,
      queryId,
    });
    expect(result.rowCount).toBe(1234);
    expect(result.rows).toHaveLength(1234);
    expect(result.rows[0]).toEqual({ id: "0", category: "red", value: 0, label: "row-0" });
    expect(result.rows.at(-1)).toMatchObject({ id: "1233", label: "row-1233" });
    expect(result.truncated).toEqual({ reason: "rows", limit: 1234 });
    expect(result.queryId).toBe(queryId);
    expect(result.columns).toEqual([
      { name: "id", type: "UInt64" },
      { name: "category", type: "LowCardinality(String)" },
      { name: "value", type: "Float64" },
      { name: "label", type: "String" },
    ]);
    expect(await running(queryId)).toBe(0);
  });

  it("cuts exactly at maxBytes (each row's values as compact JSON, plus a newline) and leaves nothing running", async () => {
    const sql = `SELECT * FROM ${FIXTURE_TABLES.big} ORDER BY id`;
    const lines = await rawRowLines(`${sql} LIMIT 5000`);
    const maxBytes = 100_000;
    let expectedRows = 0;
    let used = 0;
    for (const line of lines) {
      // ClickHouse writes `["0", "red", 0, "row-0"]`; the cap counts `["0","red",0,"row-0"]` + "\n".
      const size = Buffer.byteLength(JSON.stringify(JSON.parse(line))) + 1;
      if (used + size > maxBytes) break;
      used += size;
      expectedRows += 1;
    }
    expect(expectedRows).toBeLessThan(lines.length);
    const queryId = `cap-bytes-${Date.now()}`;
    const result = await query("admin", sql, { maxBytes, queryId });
    expect(result.rowCount).toBe(expectedRows);
    expect(result.truncated).toEqual({ reason: "bytes", limit: maxBytes });
    expect(result.rows.at(-1)).toMatchObject({ id: String(expectedRows - 1) });
    expect(await running(queryId)).toBe(0);
  });

  it("does not mark a result that fits exactly", async () => {
    const result = await query("admin", "SELECT number FROM numbers(10)", { maxRows: 10 });
    expect(result.rowCount).toBe(10);
    expect(result.truncated).toBeUndefined();
  });

  it("holds the caps even when the query's own SETTINGS lift the server-side limits (write mode)", async () => {
    const queryId = `cap-override-${Date.now()}`;
    const result = await query(
      "admin",
      `SELECT * FROM ${FIXTURE_TABLES.big} SETTINGS max_result_rows = 0, max_result_bytes = 0, result_overflow_mode = 'throw'`,
      { readOnly: false, maxRows: 10, queryId },
    );
    expect(result.rowCount).toBe(10);
    expect(result.truncated).toEqual({ reason: "rows", limit: 10 });
    expect(await running(queryId)).toBe(0);
  });

  it("reports statistics", async () => {
    const result = await query("admin", `SELECT count() AS n FROM ${FIXTURE_TABLES.view}`);
    expect(result.rows).toEqual([{ n: "3000" }]);
    expect(result.statistics.rowsRead).toBeGreaterThan(0);
    expect(result.statistics.bytesRead).toBeGreaterThan(0);
    expect(result.statistics.elapsedMs).toBeGreaterThanOrEqual(0);
  });
});

describe("time limits and cancellation", () => {
  it("stops a query at maxExecutionTime with QUERY_TIMEOUT", async () => {
    const queryId = `timeout-${Date.now()}`;
    const error = await failure(query("admin", SLOW, { ...SLOW_SETTINGS, maxExecutionTime: 1, queryId }));
    expect(error.code).toBe("QUERY_TIMEOUT");
    expect(await running(queryId)).toBe(0);
  });

  it("enforces the deadline client-side when the query's SETTINGS lift max_execution_time", async () => {
    const queryId = `timeout-override-${Date.now()}`;
    const error = await failure(
      query("admin", `${SLOW} SETTINGS max_block_size = 1, max_execution_time = 0`, {
        readOnly: false,
        maxExecutionTime: 1,
        queryId,
      }),
    );
    expect(error.code).toBe("QUERY_TIMEOUT");
    expect(error.clickhouseCode).toBeUndefined(); // the server did not stop it; the client did
    expect(await running(queryId)).toBe(0);
  });

  it("stops a query over maxMemoryUsage with ClickHouse's MEMORY_LIMIT_EXCEEDED", async () => {
    const sql = "SELECT length(groupArray(number)) AS n FROM numbers(20000000)";
    const error = await failure(query("admin", sql, { readOnly: true, maxMemoryUsage: 16 * 1024 * 1024 }));
    expect(error.code).toBe("QUERY_FAILED");
    expect(error.clickhouseCode).toBe(241);
    const result = await query("admin", "SELECT length(groupArray(number)) AS n FROM numbers(1000)", {
      readOnly: true,
      maxMemoryUsage: 16 * 1024 * 1024,
    });
    expect(result.rows).toEqual([{ n: "1000" }]);
  });

  it("cancels on abort: QUERY_CANCELLED, and the query is gone from system.processes", async () => {
    const queryId = `abort-${Date.now()}`;
    const controller = new AbortController();
    const pending = query("admin", SLOW, { ...SLOW_SETTINGS, queryId, signal: controller.signal });
    await waitUntilRunning(queryId);
    controller.abort();
    const error = await failure(pending);
    expect(error.code).toBe("QUERY_CANCELLED");
    expect(await running(queryId)).toBe(0);
  });

  it("does not start a query whose signal is already aborted", async () => {
    const queryId = `pre-aborted-${Date.now()}`;
    const error = await failure(query("admin", "SELECT 1", { queryId, signal: AbortSignal.abort() }));
    expect(error.code).toBe("QUERY_CANCELLED");
  });
});

describe("read-only mode", () => {
  it.each([
    "SELECT 1; DROP TABLE t",
    "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
    "/* SELECT */ DROP TABLE t",
    "-- SELECT\nINSERT INTO t VALUES (1)",
    "INSERT INTO FUNCTION null('x UInt8') SELECT 1",
    "CREATE TABLE t2 ENGINE = Memory AS SELECT 1",
    "ALTER TABLE t DELETE WHERE 1",
    "SET readonly = 0",
  ])("refuses %j without touching the table", async (sql) => {
    await using db = await useTestDatabase();
    await db.client.command({ query: "CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x" });
    await db.client.command({ query: "INSERT INTO t VALUES (1)" });
    const error = await failure(
      pool.withClient({ ...claims("admin"), database: db.name }, (client) =>
        client.executeQuery(sql, { readOnly: true }),
      ),
    );
    expect(error.code).toBe("READ_ONLY_VIOLATION");
    const rows = await (
      await db.client.query({ query: "SELECT toUInt8(count()) AS n FROM t", format: "JSONEachRow" })
    ).json();
    expect(rows).toEqual([{ n: 1 }]);
  });

  it("refuses SETTINGS readonly=0, limit overrides and table functions itself, before sending them", async () => {
    for (const sql of [
      "SELECT 1 SETTINGS readonly = 0",
      `SELECT * FROM ${FIXTURE_TABLES.big} SETTINGS max_result_rows = 0`,
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
    ]) {
      const error = await failure(query("admin", sql, { maxRows: 5 }));
      expect({ sql, code: error.code, ch: error.clickhouseCode }).toEqual({
        sql,
        code: "READ_ONLY_VIOLATION",
        ch: undefined, // ClickHouse never saw it
      });
    }
  });

  it("has the server refuse what the classifier lets through: an allowed setting in the query's own SETTINGS", async () => {
    const error = await failure(
      query("admin", "SELECT 1 SETTINGS max_threads = 1", { allowedSettings: ["max_threads"] }),
    );
    expect({ code: error.code, ch: error.clickhouseCode }).toEqual({ code: "READ_ONLY_VIOLATION", ch: 164 });
    const level = await query("admin", "SELECT toString(getSetting('readonly')) AS level");
    expect(level.rows).toEqual([{ level: "1" }]);
  });

  it("lets a readonly=2 setting level allow query SETTINGS when the operator chooses it", async () => {
    const h = harness();
    await using lenient = createClickHousePool({ readOnlyLevel: 2 });
    const result = await lenient.withClient({ host: h.host, port: h.httpPort, ...h.users.admin }, (client) =>
      client.executeQuery("SELECT toString(getSetting('readonly')) AS level SETTINGS max_threads = 1", {
        readOnly: true,
        allowedSettings: ["max_threads"],
      }),
    );
    expect(result.rows).toEqual([{ level: "2" }]);
  });

  it("runs SELECTs for a user whose profile is readonly=1, still capped exactly", async () => {
    const queryId = `ro1-${Date.now()}`;
    const result = await query("readonly1", `SELECT * FROM ${FIXTURE_TABLES.big} ORDER BY id`, {
      maxRows: 3,
      queryId,
    });
    expect(result.rows).toEqual([
      { id: "0", category: "red", value: 0, label: "row-0" },
      { id: "1", category: "green", value: 1 / 7, label: "row-1" },
      { id: "2", category: "blue", value: 2 / 7, label: "row-2" },
    ]);
    expect(result.truncated).toEqual({ reason: "rows", limit: 3 });
    expect(await running(queryId)).toBe(0);
    // Learnt once per client: a second query works the same way.
    const again = await query("readonly1", "SELECT toUInt64(18446744073709551615) AS big, 1 AS small");
    expect(again.rows).toEqual([{ big: "18446744073709551615", small: 1 }]);
  });

  it("enforces the client-side deadline for readonly=1 users, who cannot be sent max_execution_time", async () => {
    const queryId = `ro1-timeout-${Date.now()}`;
    const error = await failure(query("readonly1", "SELECT sleep(3)", { maxExecutionTime: 1, queryId }));
    expect(error.code).toBe("QUERY_TIMEOUT");
    expect(await running(queryId)).toBe(0);
  });

  it("runs capped SELECTs for a user whose profile is readonly=2", async () => {
    const result = await query("readonly2", `SELECT id FROM ${FIXTURE_TABLES.big} ORDER BY id`, {
      maxRows: 2,
    });
    expect(result.rows).toEqual([{ id: "0" }, { id: "1" }]);
    expect(result.truncated).toEqual({ reason: "rows", limit: 2 });
  });

  it("returns the raw output of a statement printed in another format (readonly=1 users get no default_format)", async () => {
    const result = await query("readonly1", `CHECK TABLE ${FIXTURE_TABLES.commented}`, { readOnly: false });
    expect(result.columns).toEqual([{ name: "output", type: "String" }]);
    expect(result.rows).toHaveLength(1);
    expect(String(result.rows[0]?.output)).toMatch(/1/);
  });

  it("refuses writes of readonly users even outside read-only mode", async () => {
    const error = await failure(
      query("readonly1", "CREATE TABLE default.nope (x UInt8) ENGINE = Memory", { readOnly: false }),
    );
    expect(error.code).toBe("READ_ONLY_VIOLATION");
  });
});

describe("write mode", () => {
  it("runs DDL and inserts, and reads them back", async () => {
    await using db = await useTestDatabase();
    await pool.withClient({ ...claims("admin"), database: db.name }, async (client) => {
      const created = await client.executeQuery("CREATE TABLE w (x UInt64) ENGINE = MergeTree ORDER BY x", {
        readOnly: false,
      });
      expect(created).toMatchObject({ columns: [], rows: [], rowCount: 0 });
      await client.executeQuery("INSERT INTO w SELECT number FROM numbers(5)", { readOnly: false });
      const read = await client.executeQuery("SELECT sum(x) AS s FROM w", { readOnly: false });
      expect(read.rows).toEqual([{ s: "10" }]);
    });
  });
});

describe("results", () => {
  it("returns every fixture type exactly", async () => {
    const { rows } = await query("admin", `SELECT * EXCEPT (fixed) FROM ${FIXTURE_TABLES.types} ORDER BY id`);
    const expected = await query(
      "admin",
      `SELECT toString(u64) AS u64, toString(i64) AS i64, toString(i128) AS i128, toString(u256) AS u256,
              toString(dec) AS dec, toString(dec_big) AS dec_big, toString(dt64_ns) AS dt64_ns,
              toString(d32) AS d32, toString(uuid) AS uuid, toString(ip6) AS ip6, str
       FROM ${FIXTURE_TABLES.types} ORDER BY id`,
    );
    expect(
      rows.map((row) => Object.fromEntries(Object.keys(expected.rows[0]!).map((k) => [k, row[k]]))),
    ).toEqual(expected.rows);
    const [first, second, third] = rows;
    expect(first).toMatchObject({
      u64: "18446744073709551615",
      i64: "-9223372036854775808",
      u256: "115792089237316195423570985008687907853269984665640564039457584007913129639935",
      f32: "nan",
      f64: "inf",
      dec_big: "1234567890123456789012345678.0123456789",
      nullable_int: null,
      arr: [1, -2, 2147483647],
      arr_nullable: ["a", null, ""],
      tup: { name: "first", n: 255 },
      map: { a: "18446744073709551615", b: "0" },
      flag: true,
    });
    expect(second).toMatchObject({
      u64: "9007199254740993",
      f64: "-inf",
      nullable_str: "héllo wörld 世界 🎉",
      f32: 1.5,
    });
    expect(third).toMatchObject({
      str: "say \"hi\"\ttab\nnewline \\ backslash 'quote'",
      nullable_str: null,
      map: { "": "1" },
    });
  });

  it("returns the same exact values to a readonly=1 user, whose server output is unquoted", async () => {
    const columns = "id, u64, i64, i128, u256, dec, dec_big, arr, map, tup";
    const sql = `SELECT ${columns} FROM ${FIXTURE_TABLES.types} ORDER BY id`;
    const [admin, readonly1] = await Promise.all([query("admin", sql), query("readonly1", sql)]);
    expect(readonly1.rows).toEqual(admin.rows);
  });

  it.each([
    ["SHOW TABLES FROM fixtures LIKE 'comm%'", [{ name: "commented" }]],
    ["EXISTS TABLE fixtures.commented", [{ result: 1 }]],
    [
      "DESCRIBE TABLE fixtures.commented",
      expect.arrayContaining([expect.objectContaining({ name: "id", type: "UInt32" })]),
    ],
    ["EXPLAIN SELECT 1", expect.arrayContaining([expect.objectContaining({ explain: expect.any(String) })])],
    ["-- why\n(SELECT 1 AS x); -- done", [{ x: 1 }]],
  ])("runs %j in read-only mode", async (sql, rows) => {
    expect((await query("admin", sql)).rows).toEqual(rows);
  });

  it("turns an exception thrown mid-stream into QUERY_FAILED with the ClickHouse code", async () => {
    const error = await failure(
      query("admin", "SELECT throwIf(number = 100000, 'boom') AS x FROM numbers(200000)", {
        readOnly: false,
      }),
    );
    expect(error).toMatchObject({ code: "QUERY_FAILED", clickhouseCode: 395 });
    expect(error.message).toContain("boom");
  });
});

describe("errors", () => {
  it.each<[string, string, Partial<Parameters<PooledClient["executeQuery"]>[1]>, Partial<DatabaseError>]>([
    [
      "syntax error",
      "SELEC 1",
      { readOnly: false },
      { code: "QUERY_FAILED", clickhouseCode: 62, clickhouseType: "SYNTAX_ERROR" },
    ],
    [
      "syntax error, full message",
      "SELECT 1 ORDER BY",
      {},
      { code: "QUERY_FAILED", clickhouseType: "SYNTAX_ERROR", message: expect.stringContaining("Expected") },
    ],
    ["unknown table", "SELECT * FROM fixtures.nope", {}, { code: "QUERY_FAILED", clickhouseCode: 60 }],
    ["too long", "SELECT 'aaaaaaaaaa'", { maxQueryLength: 10 }, { code: "QUERY_TOO_LARGE" }],
    ["setting not allowed", "SELECT 1", { settings: { max_threads: 1 } }, { code: "SETTING_NOT_ALLOWED" }],
    [
      "setting outside the list",
      "SELECT 1",
      { settings: { max_threads: 1 }, allowedSettings: ["max_block_size"] },
      { code: "SETTING_NOT_ALLOWED" },
    ],
    ["empty", "  -- nothing\n", {}, { code: "INVALID_QUERY" }],
    ["unterminated", "SELECT 'x", {}, { code: "INVALID_QUERY" }],
    ["two statements in write mode", "SELECT 1; SELECT 2", { readOnly: false }, { code: "INVALID_QUERY" }],
  ])("%s", async (_name, sql, options, expected) => {
    const error = await failure(query("admin", sql, options));
    expect(error).toMatchObject(expected);
  });

  it("applies allowed settings", async () => {
    const result = await query("admin", "SELECT toString(getSetting('max_threads')) AS t", {
      settings: { max_threads: 1 },
      allowedSettings: ["max_threads"],
    });
    expect(result.rows).toEqual([{ t: "1" }]);
  });
});

describe("metadata", () => {
  it("lists databases", async () => {
    const databases = await as("admin", (client) => client.listDatabases());
    expect(databases).toContain(harness().fixturesDatabase);
    expect(databases).toEqual([...databases].sort());
  });

  it("lists only the databases a restricted user may see", async () => {
    const h = harness();
    const databases = await pool.withClient({ host: h.host, port: h.httpPort, ...h.users.oneDb }, (client) =>
      client.listDatabases(),
    );
    expect(databases).toContain(h.users.oneDb.database);
    expect(databases).not.toContain(h.fixturesDatabase);
  });

  it("pages through tables with an opaque cursor, filtered by LIKE", async () => {
    const db = harness().fixturesDatabase;
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page: { tables: { name: string }[]; nextCursor?: string } = await as("admin", (client) =>
        client.listTables(db, { pageSize: 2, ...(cursor && { cursor }) }),
      );
      names.push(...page.tables.map((t) => t.name));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(names).toEqual(["big", "big_view", "commented", "types"]);
    expect(pages).toBe(2);

    const { tables, nextCursor } = await as("admin", (client) => client.listTables(db, { like: "big%" }));
    expect(nextCursor).toBeUndefined();
    expect(tables.map((t) => t.name)).toEqual(["big", "big_view"]);
    expect(tables[0]).toMatchObject({ database: db, engine: "MergeTree", totalRows: "3000000" });
    expect(tables[1]).toMatchObject({ engine: "View", totalRows: null, totalBytes: null });
  });

  it("refuses a cursor from another listing", async () => {
    const db = harness().fixturesDatabase;
    const first = await as("admin", (client) => client.listTables(db, { pageSize: 1 }));
    const error = await failure(
      as("admin", (client) => client.listTables("system", { cursor: first.nextCursor! })),
    );
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect((await failure(as("admin", (client) => client.listTables(db, { cursor: "%%%" })))).code).toBe(
      "INVALID_ARGUMENT",
    );
  });

  it("treats names as data, never as SQL", async () => {
    const tables = await as("admin", (client) =>
      client.listTables("fixtures' OR 1 = 1 --", { like: "%' OR '1'='1" }),
    );
    expect(tables.tables).toEqual([]);
    const error = await failure(
      as("admin", (client) => client.describeTable("fixtures", "types`; DROP TABLE x; --")),
    );
    expect(error).toMatchObject({ code: "QUERY_FAILED", clickhouseType: "UNKNOWN_TABLE" });
  });

  it("describes a table with comments, defaults and key membership", async () => {
    const description = await as("admin", (client) => client.describeTable("fixtures", "commented"));
    expect(description).toMatchObject({
      database: "fixtures",
      name: "commented",
      engine: "MergeTree",
      comment: "Planets of the solar system",
    });
    expect(description.columns[0]).toEqual({
      name: "id",
      type: "UInt32",
      defaultKind: "",
      defaultExpression: "",
      comment: "Primary key of the planet",
      inPrimaryKey: true,
      inSortingKey: true,
      inPartitionKey: false,
    });
    expect(description.columns.map((c) => c.name)).toEqual(["id", "name", "mass_kg", "moons"]);
  });

  it("reports an unknown table with the server's error", async () => {
    const error = await failure(as("admin", (client) => client.describeTable("fixtures", "nope")));
    expect(error).toMatchObject({
      code: "QUERY_FAILED",
      clickhouseCode: 60,
      clickhouseType: "UNKNOWN_TABLE",
    });
  });

  it("works for readonly=1 users", async () => {
    const tables = await as("readonly1", (client) => client.listTables("fixtures", { like: "comm%" }));
    expect(tables.tables.map((t) => t.name)).toEqual(["commented"]);
    const description = await as("readonly1", (client) => client.describeTable("fixtures", "commented"));
    expect(description.columns).toHaveLength(4);
  });
});
