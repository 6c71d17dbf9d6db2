// Integration tests of query execution against the run's embedded ClickHouse, over both
// protocols: the shared suite runs once per protocol (describe.each; where the two differ, the
// difference is in PROTOCOLS), then what only HTTP shows, then the native protocol compared
// with HTTP value by value. Never a failed native login here: the embedded engine exits after
// one (see drivers/native/native-login.test.ts).
import { createServer } from "node:net";
import { adminClient, FIXTURE_TABLES, harness, runningQueries, useTestDatabase } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
import type { Protocol } from "../connection/ports.js";
import {
  type ClickHousePool,
  createClickHousePool,
  DatabaseError,
  type PooledClient,
  type QueryOptions,
} from "../index.js";

let pool: ClickHousePool;

beforeAll(() => {
  pool = createClickHousePool();
});

afterAll(async () => {
  await pool.close();
});

type User = "admin" | "password" | "readonly1" | "readonly2" | "oneDb";

function claimsOf(user: User, protocol: Protocol): ConnectionClaims {
  const h = harness();
  const port = protocol === "tcp" ? h.tcpPort : h.httpPort;
  return { host: h.host, port, protocol, ...h.users[user] };
}

/** The helpers for one protocol; each takes another protocol last, for comparisons. */
function over(protocol: Protocol) {
  const claims = (user: User, p: Protocol = protocol) => claimsOf(user, p);
  const as = <T>(user: User, fn: (client: PooledClient) => Promise<T>, p: Protocol = protocol): Promise<T> =>
    pool.withClient(claims(user, p), fn);
  const query = (user: User, sql: string, options: Partial<QueryOptions> = {}, p: Protocol = protocol) =>
    as(user, (client) => client.executeQuery(sql, { readOnly: true, ...options }), p);
  return { claims, as, query };
}

async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DatabaseError)) throw new Error(`expected a DatabaseError, got ${String(error)}`);
  return error;
}

const running = runningQueries;

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
const BIG = `SELECT * FROM ${FIXTURE_TABLES.big} ORDER BY id`;

/** Where the protocols differ in the shared suite. */
const PROTOCOLS: { protocol: Protocol; printsOtherFormatsRaw: boolean }[] = [
  // A statement that prints in another format than asked (readonly=1 users get no
  // default_format) comes back as raw output over HTTP; the native protocol always has blocks.
  { protocol: "http", printsOtherFormatsRaw: true },
  { protocol: "tcp", printsOtherFormatsRaw: false },
];

describe.each(PROTOCOLS)("executeQuery over $protocol", ({ protocol, printsOtherFormatsRaw }) => {
  const { claims, query } = over(protocol);
  const id = (name: string) => `${protocol}-${name}-${Date.now()}`;

  describe("caps", () => {
    it("cuts exactly at maxRows on the big table, as HTTP does, marks the result and leaves nothing running", async () => {
      const queryId = id("cap-rows");
      const result = await query("admin", BIG, { maxRows: 1234, queryId });
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
      const http = await query("admin", BIG, { maxRows: 1234 }, "http");
      expect(result.columns).toEqual(http.columns);
      expect(result.rows).toEqual(http.rows);
    });

    it("cuts exactly at maxBytes (each row's values as compact JSON, plus a newline), at the very row HTTP cuts at, and leaves nothing running", async () => {
      const lines = await rawRowLines(`${BIG} LIMIT 5000`);
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
      const queryId = id("cap-bytes");
      const result = await query("admin", BIG, { maxBytes, queryId });
      expect(result.rowCount).toBe(expectedRows);
      expect(result.truncated).toEqual({ reason: "bytes", limit: maxBytes });
      expect(result.rows.at(-1)).toMatchObject({ id: String(expectedRows - 1) });
      const counted = result.rows.reduce<number>(
        (sum, row) => sum + Buffer.byteLength(JSON.stringify(Object.values(row))) + 1,
        0,
      );
      expect(counted).toBeLessThanOrEqual(maxBytes);
      expect(await running(queryId)).toBe(0);
      const http = await query("admin", BIG, { maxBytes }, "http");
      expect(result.rowCount).toBe(http.rowCount);
      expect(result.rows).toEqual(http.rows);
    });

    it("does not mark a result that fits exactly", async () => {
      const result = await query("admin", "SELECT number FROM numbers(10)", { maxRows: 10 });
      expect(result.rowCount).toBe(10);
      expect(result.truncated).toBeUndefined();
    });

    it("holds the caps even when the query's own SETTINGS lift the server-side limits (write mode)", async () => {
      const queryId = id("cap-override");
      const result = await query(
        "admin",
        `SELECT * FROM ${FIXTURE_TABLES.big} SETTINGS max_result_rows = 0, max_result_bytes = 0, result_overflow_mode = 'throw'`,
        { readOnly: false, maxRows: 10, queryId },
      );
      expect(result.rowCount).toBe(10);
      expect(result.truncated).toEqual({ reason: "rows", limit: 10 });
      expect(await running(queryId)).toBe(0);
    });

    it("reports statistics (HTTP: the summary header; native: the server's progress)", async () => {
      const result = await query("admin", `SELECT count() AS n FROM ${FIXTURE_TABLES.view}`);
      expect(result.rows).toEqual([{ n: "3000" }]);
      expect(result.statistics.rowsRead).toBeGreaterThan(0);
      expect(result.statistics.bytesRead).toBeGreaterThan(0);
      expect(result.statistics.elapsedMs).toBeGreaterThanOrEqual(0);
    });
  });

  describe("time limits and cancellation", () => {
    it("stops a query at maxExecutionTime with QUERY_TIMEOUT", async () => {
      const queryId = id("timeout");
      const error = await failure(query("admin", SLOW, { ...SLOW_SETTINGS, maxExecutionTime: 1, queryId }));
      expect(error.code).toBe("QUERY_TIMEOUT");
      expect(await running(queryId)).toBe(0);
    });

    it("enforces the deadline client-side when the query's SETTINGS lift max_execution_time", async () => {
      const queryId = id("timeout-override");
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

    it("cancels on abort (native: a Cancel packet): QUERY_CANCELLED, the query gone from system.processes, the client still usable", async () => {
      const queryId = id("abort");
      const controller = new AbortController();
      const pending = query("admin", SLOW, { ...SLOW_SETTINGS, queryId, signal: controller.signal });
      await waitUntilRunning(queryId);
      controller.abort();
      const error = await failure(pending);
      expect(error.code).toBe("QUERY_CANCELLED");
      expect(await running(queryId)).toBe(0);
      expect((await query("admin", "SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    });

    it("does not start a query whose signal is already aborted", async () => {
      const queryId = id("pre-aborted");
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
      expect({ code: error.code, ch: error.clickhouseCode }).toEqual({
        code: "READ_ONLY_VIOLATION",
        ch: 164,
      });
      const level = await query("admin", "SELECT toString(getSetting('readonly')) AS level");
      expect(level.rows).toEqual([{ level: "1" }]);
    });

    it("lets a readonly=2 setting level allow query SETTINGS when the operator chooses it", async () => {
      await using lenient = createClickHousePool({ readOnlyLevel: 2 });
      const result = await lenient.withClient(claims("admin"), (client) =>
        client.executeQuery("SELECT toString(getSetting('readonly')) AS level SETTINGS max_threads = 1", {
          readOnly: true,
          allowedSettings: ["max_threads"],
        }),
      );
      expect(result.rows).toEqual([{ level: "2" }]);
    });

    it("runs SELECTs for a user whose profile is readonly=1 (native: the server drops the connection that sent settings), capped exactly", async () => {
      // A pool of its own, so that this client learns the profile here.
      await using own = createClickHousePool();
      const queryId = id("ro1");
      const result = await own.withClient(claims("readonly1"), (client) =>
        client.executeQuery(BIG, { readOnly: true, maxRows: 3, queryId }),
      );
      expect(result.rows).toEqual([
        { id: "0", category: "red", value: 0, label: "row-0" },
        { id: "1", category: "green", value: 1 / 7, label: "row-1" },
        { id: "2", category: "blue", value: 2 / 7, label: "row-2" },
      ]);
      expect(result.truncated).toEqual({ reason: "rows", limit: 3 });
      expect(await running(queryId)).toBe(0);
      // Learnt once per client: a second query works the same way.
      const again = await own.withClient(claims("readonly1"), (client) =>
        client.executeQuery("SELECT toUInt64(18446744073709551615) AS big, 1 AS small", { readOnly: true }),
      );
      expect(again.rows).toEqual([{ big: "18446744073709551615", small: 1 }]);
    });

    it("enforces the client-side deadline for readonly=1 users, who cannot be sent max_execution_time", async () => {
      const queryId = id("ro1-timeout");
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

    it.runIf(printsOtherFormatsRaw)(
      "returns the raw output of a statement printed in another format (readonly=1 users get no default_format)",
      async () => {
        const result = await query("readonly1", `CHECK TABLE ${FIXTURE_TABLES.commented}`, {
          readOnly: false,
        });
        expect(result.columns).toEqual([{ name: "output", type: "String" }]);
        expect(result.rows).toHaveLength(1);
        expect(String(result.rows[0]?.output)).toMatch(/1/);
      },
    );

    it("refuses writes of readonly users even outside read-only mode", async () => {
      const error = await failure(
        query("readonly1", "CREATE TABLE default.nope (x UInt8) ENGINE = Memory", { readOnly: false }),
      );
      expect(error.code).toBe("READ_ONLY_VIOLATION");
    });
  });

  describe("write mode", () => {
    it("runs DDL and inserts (also with inline VALUES), and reads them back", async () => {
      await using db = await useTestDatabase();
      await pool.withClient({ ...claims("admin"), database: db.name }, async (client) => {
        const created = await client.executeQuery("CREATE TABLE w (x UInt64) ENGINE = MergeTree ORDER BY x", {
          readOnly: false,
        });
        expect(created).toMatchObject({ columns: [], rows: [], rowCount: 0 });
        await client.executeQuery("INSERT INTO w SELECT number FROM numbers(5)", { readOnly: false });
        const read = await client.executeQuery("SELECT sum(x) AS s FROM w", { readOnly: false });
        expect(read.rows).toEqual([{ s: "10" }]);
        await client.executeQuery("INSERT INTO w VALUES (100)", { readOnly: false });
        const again = await client.executeQuery("SELECT sum(x) AS s FROM w", { readOnly: false });
        expect(again.rows).toEqual([{ s: "110" }]);
      });
    });
  });
});

describe("over http", () => {
  const { as, query } = over("http");

  describe("results", () => {
    it("returns every fixture type exactly", async () => {
      const { rows } = await query(
        "admin",
        `SELECT * EXCEPT (fixed) FROM ${FIXTURE_TABLES.types} ORDER BY id`,
      );
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
      [
        "EXPLAIN SELECT 1",
        expect.arrayContaining([expect.objectContaining({ explain: expect.any(String) })]),
      ],
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
        {
          code: "QUERY_FAILED",
          clickhouseType: "SYNTAX_ERROR",
          message: expect.stringContaining("Expected"),
        },
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
      const databases = await pool.withClient(
        { host: h.host, port: h.httpPort, ...h.users.oneDb },
        (client) => client.listDatabases(),
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
});

describe("the native protocol compared with HTTP", () => {
  const { claims, as, query } = over("tcp");

  /** The same call over both protocols. */
  async function both(user: User, sql: string, options: Partial<QueryOptions> = {}) {
    const [tcp, http] = await Promise.all([query(user, sql, options), query(user, sql, options, "http")]);
    return { tcp, http };
  }

  describe("values over the native protocol", () => {
    it("returns every fixture type equal, value by value, to the HTTP path", async () => {
      const { tcp, http } = await both("admin", `SELECT * FROM ${FIXTURE_TABLES.types} ORDER BY id`);
      expect(tcp.columns).toEqual(http.columns);
      expect(tcp.rowCount).toBe(3);
      for (const [i, row] of tcp.rows.entries()) {
        for (const { name } of tcp.columns) {
          expect({ row: i, column: name, value: row[name] }).toEqual({
            row: i,
            column: name,
            value: http.rows[i]![name],
          });
        }
      }
      expect(tcp.rows[0]).toMatchObject({ f32: "nan", f64: "inf", json: { n: "1" } });
    });

    it("returns types the driver cannot decode natively as the same JSON values as HTTP", async () => {
      const sql = `SELECT 42::Int32::Dynamic AS d_int, 'x'::Dynamic AS d_str, [1, 2]::Array(UInt64)::Dynamic AS d_arr,
          7::UInt64::Variant(UInt64, String) AS v, NULL::Variant(UInt64, String) AS v_null,
          '{"a": {"b": 18446744073709551615}, "f": 1.5, "s": "x/y"}'::JSON AS j,
          INTERVAL 3 DAY AS i, sumState(toUInt64(5)) AS agg,
          [nan, inf, -inf]::Array(Float32) AS floats, toDecimal128('-12.3400', 4) AS dec,
          map(1, 'a') AS m, (1, 'b')::Tuple(n UInt8, s String) AS t`;
      const { tcp, http } = await both("admin", sql);
      expect(tcp.columns).toEqual(http.columns);
      expect(tcp.rows).toEqual(http.rows);
      expect(tcp.rows[0]).toMatchObject({ d_int: 42, j: { a: { b: "18446744073709551615" } }, v_null: null });
    });

    it("returns the same exact values to a readonly=1 user", async () => {
      const sql = `SELECT id, u64, i64, i128, u256, dec, dec_big, arr, map, tup FROM ${FIXTURE_TABLES.types} ORDER BY id`;
      const [admin, readonly1] = await Promise.all([query("admin", sql), query("readonly1", sql)]);
      expect(readonly1.rows).toEqual(admin.rows);
    });

    it.each([
      "SHOW TABLES FROM fixtures LIKE 'comm%'",
      "EXISTS TABLE fixtures.commented",
      "DESCRIBE TABLE fixtures.commented",
      "EXPLAIN SELECT 1",
      "-- why\n(SELECT 1 AS x); -- done",
    ])("runs %j in read-only mode with the HTTP path's result", async (sql) => {
      const { tcp, http } = await both("admin", sql);
      expect(tcp.rows.length).toBeGreaterThan(0);
      expect(tcp.columns).toEqual(http.columns);
      expect(tcp.rows).toEqual(http.rows);
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

    it("reports server errors with the same code, type and message as HTTP", async () => {
      // Not syntax errors: their message quotes the text, which over HTTP ends with a FORMAT clause.
      for (const sql of ["SELECT * FROM fixtures.nope", "SELECT no_such_function(1)", "SELECT 1 / 'a'"]) {
        const [tcp, http] = await Promise.all([
          failure(query("admin", sql)),
          failure(query("admin", sql, {}, "http")),
        ]);
        expect(tcp).toMatchObject({
          code: http.code,
          clickhouseCode: http.clickhouseCode,
          clickhouseType: http.clickhouseType,
          message: http.message,
        });
      }
      const syntax = await failure(query("admin", "SELECT 1 ORDER BY"));
      expect(syntax).toMatchObject({
        code: "QUERY_FAILED",
        clickhouseCode: 62,
        clickhouseType: "SYNTAX_ERROR",
      });
      expect(syntax.message).toContain("Expected one of");
    });

    it("applies allowed settings", async () => {
      const result = await query("admin", "SELECT toString(getSetting('max_threads')) AS t", {
        settings: { max_threads: 1 },
        allowedSettings: ["max_threads"],
      });
      expect(result.rows).toEqual([{ t: "1" }]);
    });
  });

  describe("metadata over the native protocol", () => {
    it("lists databases as HTTP does, and only those a restricted user may see", async () => {
      const [tcp, http] = await Promise.all([
        as("admin", (client) => client.listDatabases()),
        as("admin", (client) => client.listDatabases(), "http"),
      ]);
      expect(tcp).toEqual(http);
      const restricted = await as("oneDb", (client) => client.listDatabases());
      expect(restricted).toContain(harness().users.oneDb.database);
      expect(restricted).not.toContain(harness().fixturesDatabase);
    });

    it("pages through tables with the same cursors as HTTP", async () => {
      const db = harness().fixturesDatabase;
      const pages = async (protocol: Protocol) => {
        const out: unknown[] = [];
        let cursor: string | undefined;
        do {
          const page: { tables: unknown[]; nextCursor?: string } = await as(
            "admin",
            (client) => client.listTables(db, { pageSize: 3, ...(cursor && { cursor }) }),
            protocol,
          );
          out.push(page);
          cursor = page.nextCursor;
        } while (cursor);
        return out;
      };
      const tcp = await pages("tcp");
      expect(tcp).toHaveLength(2);
      expect(tcp).toEqual(await pages("http"));
    });

    it("describes a table as HTTP does, also for readonly=1 users", async () => {
      const tcp = await as("admin", (client) => client.describeTable("fixtures", "commented"));
      expect(tcp).toEqual(
        await as("admin", (client) => client.describeTable("fixtures", "commented"), "http"),
      );
      expect(tcp.columns[0]).toMatchObject({
        name: "id",
        comment: "Primary key of the planet",
        inPrimaryKey: true,
      });
      expect(await as("readonly1", (client) => client.describeTable("fixtures", "commented"))).toEqual(tcp);
    });

    it("reports an unknown table with the server's error", async () => {
      const error = await failure(as("admin", (client) => client.describeTable("fixtures", "nope")));
      expect(error).toMatchObject({
        code: "QUERY_FAILED",
        clickhouseCode: 60,
        clickhouseType: "UNKNOWN_TABLE",
      });
    });
  });

  describe("the pool with native-protocol claims", () => {
    it("shares one client between equal claims and keeps tcp and http apart", async () => {
      await using own = createClickHousePool();
      const h = harness();
      const tcpClaims = claims("admin");
      await own.withClient(tcpClaims, (client) => client.ping());
      await own.withClient({ ...tcpClaims, host: "127.1" }, (client) => client.ping());
      expect(own.stats()).toMatchObject({ creations: 1, hits: 1, misses: 1 });
      await own.withClient({ ...tcpClaims, protocol: "http", port: h.httpPort }, (client) => client.ping());
      await own.withClient({ ...tcpClaims, database: "fixtures" }, (client) => client.ping());
      expect(own.stats()).toMatchObject({ creations: 3, size: 3 });
    });

    it("reports CONNECT_FAILED for a port nobody listens on and for a port that does not speak the protocol", async () => {
      await using own = createClickHousePool();
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await expect(
        own.withClient({ ...claims("admin"), port }, (client) => client.ping()),
      ).rejects.toMatchObject({
        code: "CONNECT_FAILED",
        systemCode: "ECONNREFUSED",
      });
      // The HTTP port answers the native Hello with an HTTP error.
      const error = await failure(
        own.withClient({ ...claims("admin"), port: harness().httpPort }, (client) => client.ping()),
      );
      expect(error.code).toBe("CONNECT_FAILED");
      expect(error.message).not.toContain(harness().users.admin.password);
    });
  });
});
