// Integration tests of `protocol: "tcp"` claims against the run's embedded ClickHouse's native
// port, each compared with what the same call gives over HTTP. Never a failed native login here:
// the embedded engine exits after one (see native-login.test.ts).
import { createServer } from "node:net";
import { adminClient, FIXTURE_TABLES, harness, useTestDatabase } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
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

type User = "admin" | "readonly1" | "readonly2" | "oneDb";
type Protocol = "tcp" | "http";

function claims(user: User, protocol: Protocol = "tcp"): ConnectionClaims {
  const h = harness();
  const port = protocol === "tcp" ? h.tcpPort : h.httpPort;
  return { host: h.host, port, protocol, ...h.users[user] };
}

function as<T>(user: User, fn: (client: PooledClient) => Promise<T>, protocol: Protocol = "tcp"): Promise<T> {
  return pool.withClient(claims(user, protocol), fn);
}

function query(user: User, sql: string, options: Partial<QueryOptions> = {}, protocol: Protocol = "tcp") {
  return as(user, (client) => client.executeQuery(sql, { readOnly: true, ...options }), protocol);
}

/** The same call over both protocols. */
async function both(user: User, sql: string, options: Partial<QueryOptions> = {}) {
  const [tcp, http] = await Promise.all([query(user, sql, options), query(user, sql, options, "http")]);
  return { tcp, http };
}

async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DatabaseError)) throw new Error(`expected a DatabaseError, got ${String(error)}`);
  return error;
}

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

const SLOW = "SELECT sleepEachRow(1) AS s, number FROM numbers(30)";
const SLOW_SETTINGS = { settings: { max_block_size: 1 }, allowedSettings: ["max_block_size"] };
const BIG = `SELECT * FROM ${FIXTURE_TABLES.big} ORDER BY id`;

describe("caps over the native protocol", () => {
  it("cuts exactly at maxRows, as HTTP does, and leaves nothing running", async () => {
    const queryId = `tcp-cap-rows-${Date.now()}`;
    const tcp = await query("admin", BIG, { maxRows: 1234, queryId });
    const http = await query("admin", BIG, { maxRows: 1234 }, "http");
    expect(tcp.rowCount).toBe(1234);
    expect(tcp.truncated).toEqual({ reason: "rows", limit: 1234 });
    expect(tcp.queryId).toBe(queryId);
    expect(tcp.columns).toEqual(http.columns);
    expect(tcp.rows).toEqual(http.rows);
    expect(await running(queryId)).toBe(0);
  });

  it("cuts at maxBytes at the very row HTTP cuts at, and leaves nothing running", async () => {
    const queryId = `tcp-cap-bytes-${Date.now()}`;
    const maxBytes = 100_000;
    const tcp = await query("admin", BIG, { maxBytes, queryId });
    const http = await query("admin", BIG, { maxBytes }, "http");
    expect(tcp.truncated).toEqual({ reason: "bytes", limit: maxBytes });
    expect(tcp.rowCount).toBe(http.rowCount);
    expect(tcp.rows).toEqual(http.rows);
    const used = tcp.rows.reduce<number>(
      (sum, row) => sum + Buffer.byteLength(JSON.stringify(Object.values(row))) + 1,
      0,
    );
    expect(used).toBeLessThanOrEqual(maxBytes);
    expect(await running(queryId)).toBe(0);
  });

  it("does not mark a result that fits exactly", async () => {
    const result = await query("admin", "SELECT number FROM numbers(10)", { maxRows: 10 });
    expect(result.rowCount).toBe(10);
    expect(result.truncated).toBeUndefined();
  });

  it("holds the caps when the query's own SETTINGS lift the server-side limits (write mode)", async () => {
    const queryId = `tcp-cap-override-${Date.now()}`;
    const result = await query(
      "admin",
      `SELECT * FROM ${FIXTURE_TABLES.big} SETTINGS max_result_rows = 0, max_result_bytes = 0, result_overflow_mode = 'throw'`,
      { readOnly: false, maxRows: 10, queryId },
    );
    expect(result.rowCount).toBe(10);
    expect(result.truncated).toEqual({ reason: "rows", limit: 10 });
    expect(await running(queryId)).toBe(0);
  });

  it("reports statistics from the server's progress", async () => {
    const result = await query("admin", `SELECT count() AS n FROM ${FIXTURE_TABLES.view}`);
    expect(result.rows).toEqual([{ n: "3000" }]);
    expect(result.statistics.rowsRead).toBeGreaterThan(0);
    expect(result.statistics.bytesRead).toBeGreaterThan(0);
  });
});

describe("time limits and cancellation over the native protocol", () => {
  it("stops a query at maxExecutionTime with QUERY_TIMEOUT", async () => {
    const queryId = `tcp-timeout-${Date.now()}`;
    const error = await failure(query("admin", SLOW, { ...SLOW_SETTINGS, maxExecutionTime: 1, queryId }));
    expect(error.code).toBe("QUERY_TIMEOUT");
    expect(await running(queryId)).toBe(0);
  });

  it("enforces the deadline client-side when the query's SETTINGS lift max_execution_time", async () => {
    const queryId = `tcp-timeout-override-${Date.now()}`;
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

  it("cancels on abort (Cancel packet): QUERY_CANCELLED, the query gone, the client still usable", async () => {
    const queryId = `tcp-abort-${Date.now()}`;
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
    const error = await failure(query("admin", "SELECT 1", { signal: AbortSignal.abort() }));
    expect(error.code).toBe("QUERY_CANCELLED");
  });
});

describe("read-only mode over the native protocol", () => {
  it.each([
    "SELECT 1; DROP TABLE t",
    "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
    "INSERT INTO FUNCTION null('x UInt8') SELECT 1",
    "ALTER TABLE t DELETE WHERE 1",
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

  it("runs SELECTs for a user whose profile is readonly=1 (the server drops the connection that sent settings), capped exactly", async () => {
    // A pool of its own, so that this client learns the profile here.
    await using own = createClickHousePool();
    const queryId = `tcp-ro1-${Date.now()}`;
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
    const again = await own.withClient(claims("readonly1"), (client) =>
      client.executeQuery("SELECT toUInt64(18446744073709551615) AS big, 1 AS small", { readOnly: true }),
    );
    expect(again.rows).toEqual([{ big: "18446744073709551615", small: 1 }]);
  });

  it("enforces the client-side deadline for readonly=1 users", async () => {
    const queryId = `tcp-ro1-timeout-${Date.now()}`;
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

  it("refuses writes of readonly users even outside read-only mode", async () => {
    const error = await failure(
      query("readonly1", "CREATE TABLE default.nope (x UInt8) ENGINE = Memory", { readOnly: false }),
    );
    expect(error.code).toBe("READ_ONLY_VIOLATION");
  });
});

describe("write mode over the native protocol", () => {
  it("runs DDL and inserts, and reads them back", async () => {
    await using db = await useTestDatabase();
    await pool.withClient({ ...claims("admin"), database: db.name }, async (client) => {
      const created = await client.executeQuery("CREATE TABLE w (x UInt64) ENGINE = MergeTree ORDER BY x", {
        readOnly: false,
      });
      expect(created).toMatchObject({ columns: [], rows: [], rowCount: 0 });
      await client.executeQuery("INSERT INTO w SELECT number FROM numbers(5)", { readOnly: false });
      await client.executeQuery("INSERT INTO w VALUES (100)", { readOnly: false });
      const read = await client.executeQuery("SELECT sum(x) AS s FROM w", { readOnly: false });
      expect(read.rows).toEqual([{ s: "110" }]);
    });
  });
});

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
    expect(tcp).toEqual(await as("admin", (client) => client.describeTable("fixtures", "commented"), "http"));
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
