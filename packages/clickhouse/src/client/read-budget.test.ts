// The read budget (QueryOptions.maxRowsToRead / maxBytesToRead) and estimateQuery over both
// protocols against the run's embedded ClickHouse: refused over it, fine under it, for every kind
// of user profile, and never lifted by the query's own SETTINGS.
import { BIG_TABLE_ROWS, FIXTURE_TABLES, harness, runningQueries, useTestDatabase } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
import type { Protocol } from "../connection/ports.js";
import { type ClickHousePool, createClickHousePool, DatabaseError, type QueryOptions } from "../index.js";
import { ReadBudgetWatch, readBudgetSettings, toReadBudgetError } from "./read-budget.js";

let pool: ClickHousePool;

beforeAll(() => {
  pool = createClickHousePool();
});

afterAll(async () => {
  await pool.close();
});

type User = "admin" | "readonly1" | "readonly2";

function claimsOf(user: User, protocol: Protocol): ConnectionClaims {
  const h = harness();
  return { host: h.host, port: protocol === "tcp" ? h.tcpPort : h.httpPort, protocol, ...h.users[user] };
}

async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DatabaseError)) throw new Error(`expected a DatabaseError, got ${String(error)}`);
  return error;
}

// Reads every row of the 3,000,000-row table (no trivial-count shortcut).
const FULL_SCAN = `SELECT sum(value) AS s FROM ${FIXTURE_TABLES.big}`;
// Reads a granule or two: the primary key is id.
const NARROW = `SELECT sum(value) AS s FROM ${FIXTURE_TABLES.big} WHERE id < 1000`;

describe("read budget: units", () => {
  it("turns the budget into settings, only when there is one", () => {
    expect(readBudgetSettings({})).toEqual({});
    expect(readBudgetSettings({ maxRowsToRead: 10 })).toEqual({
      max_rows_to_read: 10,
      read_overflow_mode: "throw",
    });
    expect(readBudgetSettings({ maxBytesToRead: 5 })).toEqual({
      max_bytes_to_read: 5,
      read_overflow_mode: "throw",
    });
  });

  it("maps only ClickHouse's read limits to READ_BUDGET_EXCEEDED", () => {
    const rows = new DatabaseError(
      "QUERY_FAILED",
      "Limit for rows or bytes to read exceeded, max rows: 1.00 thousand",
      {
        clickhouseCode: 158,
        clickhouseType: "TOO_MANY_ROWS",
      },
    );
    const mapped = toReadBudgetError(rows, { maxRowsToRead: 1000 }) as DatabaseError;
    expect(mapped.code).toBe("READ_BUDGET_EXCEEDED");
    expect(mapped.message).toMatch(
      /^The query would read more than 1000 rows \(the read budget\)\. Narrow it/,
    );
    expect(mapped).toMatchObject({ clickhouseCode: 158, clickhouseType: "TOO_MANY_ROWS" });
    // Not sent by us: the user's own profile limit.
    expect((toReadBudgetError(rows, undefined) as DatabaseError).message).toMatch(
      /^The query would read more rows than the ClickHouse user's own limit allows/,
    );
    const groupBy = new DatabaseError("QUERY_FAILED", "Limit for rows to GROUP BY exceeded", {
      clickhouseCode: 158,
    });
    expect(toReadBudgetError(groupBy, { maxRowsToRead: 1 })).toBe(groupBy);
    const other = new DatabaseError("QUERY_TIMEOUT", "to read");
    expect(toReadBudgetError(other, { maxRowsToRead: 1 })).toBe(other);
  });

  it("watches totals once past the budget", () => {
    const watch = new ReadBudgetWatch({ maxRowsToRead: 100, maxBytesToRead: 1000 });
    expect(watch.check({ rowsRead: 100, bytesRead: 1000 })).toBeUndefined();
    const error = watch.check({ rowsRead: 101, bytesRead: 0 });
    expect(error?.code).toBe("READ_BUDGET_EXCEEDED");
    expect(error?.message).toMatch(/^The query read more than 100 rows \(the read budget\): 101 rows so far/);
    expect(watch.check({ rowsRead: 500, bytesRead: 0 })).toBeUndefined();
    expect(watch.error).toBe(error);
    expect(
      new ReadBudgetWatch({ maxBytesToRead: 10 }).check({ rowsRead: 1e9, bytesRead: 11 })?.message,
    ).toMatch(/more than 10 bytes/);
  });
});

describe.each<Protocol>(["http", "tcp"])("read budget over %s", (protocol) => {
  const id = (name: string) => `${protocol}-budget-${name}-${Date.now()}`;
  const query = (sql: string, options: Partial<QueryOptions> = {}, user: User = "admin") =>
    pool.withClient(claimsOf(user, protocol), (client) =>
      client.executeQuery(sql, { readOnly: true, ...options }),
    );
  const estimate = (sql: string, options: Partial<QueryOptions> = {}, user: User = "admin") =>
    pool.withClient(claimsOf(user, protocol), (client) =>
      client.estimateQuery(sql, { readOnly: true, ...options }),
    );

  it("refuses a scan over the row budget, naming it, and leaves nothing running", async () => {
    const queryId = id("rows");
    const error = await failure(query(FULL_SCAN, { maxRowsToRead: 1000, queryId }));
    expect(error.code).toBe("READ_BUDGET_EXCEEDED");
    expect(error.clickhouseCode).toBe(158);
    expect(error.message).toMatch(/^The query would read more than 1000 rows \(the read budget\)/);
    expect(error.message).toMatch(/ClickHouse: Limit for rows/);
    expect(await runningQueries(queryId)).toBe(0);
  });

  it("refuses a scan over the byte budget", async () => {
    const error = await failure(query(FULL_SCAN, { maxBytesToRead: 100_000 }));
    expect(error.code).toBe("READ_BUDGET_EXCEEDED");
    expect(error.clickhouseCode).toBe(307);
    expect(error.message).toMatch(/^The query would read more than 100000 bytes \(the read budget\)/);
  });

  it("refuses a table function over the budget before it runs", async () => {
    const error = await failure(query("SELECT count() FROM numbers(100000000)", { maxRowsToRead: 1000 }));
    expect(error.code).toBe("READ_BUDGET_EXCEEDED");
    expect(error.message).toMatch(/max_rows_to_read/);
  });

  it("runs what stays under the budget", async () => {
    const result = await query(NARROW, { maxRowsToRead: 100_000, maxBytesToRead: 10_000_000 });
    expect(result.rows).toHaveLength(1);
    expect(result.statistics.rowsRead).toBeLessThanOrEqual(100_000);
  });

  it("cannot be lifted by the query's own SETTINGS, even when the caller allows them", async () => {
    for (const setting of ["max_rows_to_read = 0", "max_bytes_to_read = 0", "read_overflow_mode = 'break'"]) {
      const error = await failure(
        query(`${FULL_SCAN} SETTINGS ${setting}`, {
          maxRowsToRead: 1000,
          allowedSettings: ["max_rows_to_read", "max_bytes_to_read", "read_overflow_mode"],
        }),
      );
      expect(error.code, setting).toBe("READ_ONLY_VIOLATION");
    }
  });

  it("holds a readonly=2 user to it (settings, without `readonly`)", async () => {
    const error = await failure(query(FULL_SCAN, { maxRowsToRead: 1000 }, "readonly2"));
    expect(error.code).toBe("READ_BUDGET_EXCEEDED");
    expect(error.clickhouseCode).toBe(158);
    const ok = await query(NARROW, { maxRowsToRead: 100_000 }, "readonly2");
    expect(ok.rows).toHaveLength(1);
  });

  it("holds a readonly=1 user (no settings) to it on the client side", async () => {
    // Over before any progress report: refused from the answer's statistics.
    const quick = await failure(query(FULL_SCAN, { maxRowsToRead: 1000 }, "readonly1"));
    expect(quick.code).toBe("READ_BUDGET_EXCEEDED");
    expect(quick.message).toMatch(/^The query read more than 1000 rows \(the read budget\): \d+ rows so far/);
    // About 3 s unchecked (2 µs a row): stopped at a progress report while it runs, and killed.
    const queryId = id("readonly1-slow");
    const slow = await failure(
      query(
        `SELECT count() AS n FROM ${FIXTURE_TABLES.big} WHERE value > -1 AND sleepEachRow(0.000002) = 0`,
        { maxRowsToRead: 50_000, maxExecutionTime: 60, queryId },
        "readonly1",
      ),
    );
    expect(slow.code).toBe("READ_BUDGET_EXCEEDED");
    expect(await runningQueries(queryId)).toBe(0);
    const ok = await query(NARROW, { maxRowsToRead: 100_000 }, "readonly1");
    expect(ok.rows).toHaveLength(1);
  });

  it("does not limit writes", async () => {
    await using db = await useTestDatabase();
    await db.client.command({ query: "CREATE TABLE t (n UInt64) ENGINE = MergeTree ORDER BY n" });
    await pool.withClient(claimsOf("admin", protocol), (client) =>
      client.executeQuery(`INSERT INTO ${db.name}.t SELECT number FROM numbers(10000)`, {
        readOnly: false,
        maxRowsToRead: 100,
      }),
    );
    const count = await query(`SELECT count() AS n FROM ${db.name}.t`);
    expect(count.rows).toEqual([{ n: "10000" }]);
  });

  describe("estimateQuery", () => {
    it("gives parts, rows, marks and bytes per table without running the query", async () => {
      const result = await estimate(`SELECT * FROM ${FIXTURE_TABLES.big} WHERE id < {n:UInt64}`, {
        params: { n: 100_000 },
        // An estimate is never held to the budget: it is how the caller sees the cost.
        maxRowsToRead: 10,
      });
      expect(result.tables).toHaveLength(1);
      const [table] = result.tables;
      expect(table).toMatchObject({ database: "fixtures", table: "big" });
      expect(table?.rows).toBeGreaterThanOrEqual(100_000);
      expect(table?.rows).toBeLessThan(BIG_TABLE_ROWS);
      expect(table?.parts).toBeGreaterThanOrEqual(1);
      expect(table?.marks).toBeGreaterThanOrEqual(1);
      expect(table?.bytes).toBeGreaterThan(0);
      expect(result.totalRows).toBe(table?.rows);
      expect(result.totalBytes).toBe(table?.bytes);

      const full = await estimate(`SELECT * FROM ${FIXTURE_TABLES.big}`);
      expect(full.totalRows).toBe(BIG_TABLE_ROWS);
      expect(full.totalBytes).toBeGreaterThan(table?.bytes ?? 0);
    });

    it("works for a readonly=1 user, for joins, and lists nothing for non-MergeTree sources", async () => {
      const joined = await estimate(
        `SELECT count() FROM ${FIXTURE_TABLES.big} AS a JOIN ${FIXTURE_TABLES.commented} AS b ON a.id = b.id`,
        {},
        "readonly1",
      );
      expect(joined.tables.map((t) => t.table).sort()).toEqual(["big", "commented"]);
      const none = await estimate("SELECT count() FROM numbers(1000)");
      expect(none).toMatchObject({ tables: [], totalRows: 0, totalBytes: 0 });
    });

    it("refuses statements it cannot estimate and what the read-only check refuses", async () => {
      const show = await failure(estimate("SHOW TABLES"));
      expect(show.code).toBe("INVALID_ARGUMENT");
      expect(show.message).toMatch(/Only SELECT queries .* can be estimated \(got SHOW\)/);
      const file = await failure(estimate("SELECT * FROM file('/etc/passwd')"));
      expect(file.code).toBe("READ_ONLY_VIOLATION");
      const missing = await failure(estimate("SELECT {x:UInt8}"));
      expect(missing.clickhouseType).toBe("UNKNOWN_QUERY_PARAMETER");
    });
  });
});
