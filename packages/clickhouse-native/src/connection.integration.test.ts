// Against the run's embedded ClickHouse (native port), compared with the HTTP interface.
import { adminClient, FIXTURE_TABLES, harness, useTestDatabase } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connection, connect } from "./connection.js";
import { NativeError } from "./errors.js";
import type { ConnectionOptions } from "./options.js";
import type { Block } from "./protocol.js";

const info = harness();
const admin: ConnectionOptions = {
  host: info.host,
  port: info.tcpPort,
  username: info.users.admin.username,
  password: info.users.admin.password,
};
const http = adminClient();

/** The query's result over HTTP, as JSON values with 64-bit integers and decimals quoted. */
async function httpResult(query: string, settings: Record<string, string | number> = {}) {
  const result = await http.query({
    query,
    format: "JSONCompactEachRowWithNamesAndTypes",
    clickhouse_settings: {
      output_format_json_quote_64bit_integers: 1,
      output_format_json_quote_decimals: 1,
      ...settings,
    },
  });
  // Parsed line by line with JSON.parse so that -0 stays -0.
  const [names, types, ...rows] = (await result.text())
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as unknown[]);
  return { names, types, rows };
}

async function collect(
  connection: Connection,
  query: string,
  options: Parameters<Connection["query"]>[1] = {},
) {
  const result = await connection.query(query, options);
  const { rows } = await result.collect();
  return { result, rows };
}

let connection: Connection;

beforeAll(async () => {
  connection = await connect(admin);
});

afterAll(async () => {
  await connection?.close();
  await http.close();
});

describe("connect", () => {
  it("negotiates revision 54460 with the server", () => {
    expect(connection.revision).toBe(54460);
    expect(connection.server.revision).toBeGreaterThan(54460);
    expect(`${connection.server.versionMajor}.${connection.server.versionMinor}`).toBe(
      info.version.split(".").slice(0, 2).join("."),
    );
    expect(connection.server.timezone).not.toBe("");
  });

  it("answers a ping", async () => {
    await connection.ping();
    expect(connection.isOpen).toBe(true);
  });

  it("opens a user's session in the given database", async () => {
    const { oneDb } = info.users;
    await using own = await connect({
      ...admin,
      username: oneDb.username,
      password: oneDb.password,
      database: oneDb.database,
    });
    const { rows } = await collect(own, "SELECT currentDatabase(), count() FROM items");
    expect(rows).toEqual([[oneDb.database, "2"]]);
  });

  // Refused logins are tested against their own server (login.integration.test.ts): the
  // embedded server exits after any native login that fails.
  it("fails clearly for an unreachable port", async () => {
    await expect(connect({ ...admin, port: 1 })).rejects.toMatchObject({
      code: "CONNECT_FAILED",
      systemCode: "ECONNREFUSED",
    });
  });
});

describe("the fixture type matrix", () => {
  const query = `SELECT * FROM ${FIXTURE_TABLES.types} ORDER BY id`;

  const expressions: [string, string][] = [
    ["floats", "SELECT toFloat32(0.1) a, toFloat32(1/3) b, -0. c, nan d, inf e, toFloat64(1e308) f"],
    [
      "wide integers",
      "SELECT toInt128(-1) a, toUInt128('340282366920938463463374607431768211455') b, toInt256(-2) c, toUInt32(4294967295) d",
    ],
    ["decimals", "SELECT toDecimal32(-1.5, 2) a, toDecimal64(100, 3) b, toDecimal256('-1.000000001', 9) c"],
    [
      "dates in several zones",
      "SELECT toDateTime('2020-03-08 03:30:00', 'America/New_York') a, toDateTime64('2024-06-01 12:00:00.5', 1, 'Australia/Lord_Howe') b, toDateTime(0) c, toDate32('2299-12-31') d",
    ],
    [
      "addresses",
      "SELECT toIPv6('::1') a, toIPv6('1:0:0:1::') b, toIPv4('10.0.0.1') c, generateUUIDv4() = generateUUIDv4() d",
    ],
    [
      "composites",
      "SELECT [[1], []] a, map(1, [NULL, 'x']) b, tuple(1, 'a') c, CAST((1, [2]), 'Tuple(x UInt8, y Array(UInt8))') d, [map('k', (1, 'v'))] e",
    ],
    [
      "low cardinality",
      "SELECT toLowCardinality(toNullable(if(number % 2 = 0, NULL, toString(number)))) a, map(toLowCardinality(toString(number)), number) b FROM numbers(5)",
    ],
  ];

  it.each(expressions)("decodes %s like the HTTP interface", async (_, query) => {
    const expected = await httpResult(query);
    const { result, rows } = await collect(connection, query);
    expect(result.columns.map((c) => c.type)).toEqual(expected.types);
    expect(rows).toEqual(expected.rows);
  });

  it('gives NaN and infinities as text with nonFiniteFloats: "text", as HTTP does with quoted denormals', async () => {
    const query =
      "SELECT nan AS a, [inf, -inf, 1.5]::Array(Float32) AS b, toNullable(-nan) AS c, NULL::Nullable(Float64) AS d";
    const { rows } = await collect(connection, query, { nonFiniteFloats: "text" });
    expect(rows).toEqual((await httpResult(query, { output_format_json_quote_denormals: 1 })).rows);
    expect(rows).toEqual([["nan", ["inf", "-inf", 1.5], "nan", null]]);
    expect((await collect(connection, query)).rows).toEqual([[null, [null, null, 1.5], null, null]]);
  });

  it("fails with UNSUPPORTED_TYPE for undecodable columns, naming them, and stays usable", async () => {
    await expect(connection.query("SELECT '{}'::JSON AS j")).rejects.toMatchObject({
      code: "UNSUPPORTED_TYPE",
      message: expect.stringContaining("j (JSON)"),
      unsupportedColumns: [{ name: "j", type: "JSON" }],
    });
    expect((await collect(connection, "SELECT 2")).rows).toEqual([[2]]);
  });

  it("fails with UNSUPPORTED_TYPE before any row of the fixture table's JSON column", async () => {
    await expect(connection.query(query)).rejects.toMatchObject({
      code: "UNSUPPORTED_TYPE",
      unsupportedColumns: [{ name: "json", type: "JSON" }],
    });
    await connection.ping();
  });
});

describe("streaming", () => {
  const query = `SELECT * FROM ${FIXTURE_TABLES.big} WHERE id < 100000 ORDER BY id`;

  it.each([false, true])("reads a multi-block result (compression %s)", async (compression) => {
    const result = await connection.query(query, { compression, settings: { max_block_size: 10_000 } });
    const blocks: Block[] = [];
    for await (const block of result) blocks.push(block);
    expect(blocks.length).toBeGreaterThan(1);
    expect(blocks.reduce((n, b) => n + b.rowCount, 0)).toBe(100_000);
    const expected = await httpResult(`${query} LIMIT 3`);
    const first = blocks[0]!;
    expect([0, 1, 2].map((row) => first.values.map((column) => column[row]))).toEqual(expected.rows);
    const last = blocks.at(-1)!;
    expect(last.values[0]![last.rowCount - 1]).toBe("99999");
    expect(result.progress.readRows).toBeGreaterThanOrEqual(100_000);
    expect(result.profileInfo?.rows).toBe(100_000);
  });

  it("stops at an exact row count when the loop breaks, and the connection is usable again", async () => {
    const result = await connection.query(`SELECT id FROM ${FIXTURE_TABLES.big}`, {
      settings: { max_block_size: 1000 },
    });
    let count = 0;
    for await (const row of result.rows()) {
      count++;
      if (count === 2_500) break;
      expect(row).toHaveLength(1);
    }
    expect(count).toBe(2_500);
    expect(result.done).toBe(true);
    expect((await collect(connection, "SELECT 3")).rows).toEqual([[3]]);
  });

  it("cancels on abort, drains, and runs the next query on the same connection", async () => {
    const controller = new AbortController();
    const queryId = `native-cancel-${Date.now()}`;
    const result = await connection.query("SELECT number FROM system.numbers", {
      queryId,
      signal: controller.signal,
      settings: { max_block_size: 100 },
    });
    let count = 0;
    const reading = (async () => {
      for await (const _ of result.rows()) if (++count === 1_000) controller.abort();
    })();
    await expect(reading).rejects.toMatchObject({ code: "QUERY_CANCELLED" });
    expect(count).toBe(1_000);
    const { rows } = await collect(
      connection,
      `SELECT count() FROM system.processes WHERE query_id = '${queryId}'`,
    );
    expect(rows).toEqual([["0"]]);
  });

  it("cancels while waiting for the header", async () => {
    const result = connection.query("SELECT sleepEachRow(0.5) FROM numbers(20)", {
      signal: AbortSignal.timeout(200),
      settings: { max_block_size: 1 },
    });
    await expect(result.then((r) => r.collect())).rejects.toMatchObject({ code: "QUERY_CANCELLED" });
    expect((await collect(connection, "SELECT 4")).rows).toEqual([[4]]);
  });

  it("reads past the server's log packets", async () => {
    const { rows } = await collect(connection, "SELECT number FROM numbers(3)", {
      settings: { send_logs_level: "trace" },
    });
    expect(rows).toEqual([["0"], ["1"], ["2"]]);
  });

  it("reports progress", async () => {
    const increments: number[] = [];
    const totals: number[] = [];
    const result = await connection.query(
      `SELECT count() FROM ${FIXTURE_TABLES.big} WHERE NOT ignore(label)`,
      {
        onProgress: (progress, sums) => {
          increments.push(progress.readRows);
          totals.push(sums.readRows);
        },
      },
    );
    await result.collect();
    expect(increments.reduce((a, b) => a + b, 0)).toBe(result.progress.readRows);
    expect(result.progress.readRows).toBeGreaterThan(0);
    // Each call's totals are the sums of the increments up to and including it.
    expect(totals).toEqual(increments.map((_, i) => increments.slice(0, i + 1).reduce((a, b) => a + b, 0)));
  });
});

describe("exceptions", () => {
  it("before any data: code, name and message, connection still usable", async () => {
    const error = await connection.query("SELECT * FROM no_such_table").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NativeError);
    expect(error).toMatchObject({
      code: "SERVER_EXCEPTION",
      clickhouseCode: 60,
      clickhouseName: "UNKNOWN_TABLE",
    });
    expect((error as Error).message).toMatch(
      /^Unknown table expression identifier 'no_such_table'.*\(ClickHouse code 60 UNKNOWN_TABLE\)$/s,
    );
    expect((await collect(connection, "SELECT 5")).rows).toEqual([[5]]);
  });

  it("during data: the rows read so far, then the exception", async () => {
    const result = await connection.query(
      "SELECT number, throwIf(number = 3 AND sleepEachRow(0.3) = 0, 'boom') FROM numbers(10)",
      {
        settings: { max_block_size: 1, max_threads: 1 },
      },
    );
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const row of result.rows()) seen.push(row[0]);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["0", "1", "2"]);
    expect(error).toMatchObject({ code: "SERVER_EXCEPTION", clickhouseCode: 395 });
    expect((await collect(connection, "SELECT 6")).rows).toEqual([[6]]);
  });

  it("a timeout from max_execution_time", async () => {
    await expect(
      connection
        .query("SELECT sleepEachRow(0.2) FROM numbers(100)", {
          settings: { max_execution_time: 0.5, max_block_size: 1 },
        })
        .then((r) => r.collect()),
    ).rejects.toMatchObject({ clickhouseCode: 159, clickhouseName: "TIMEOUT_EXCEEDED" });
    await connection.ping();
  });

  it("a refused setting: the server drops the connection, and the connection says so", async () => {
    await using own = await connect(admin);
    await expect(own.query("SELECT 1", { settings: { no_such_setting: 1 } })).rejects.toMatchObject({
      clickhouseCode: 115,
      clickhouseName: "UNKNOWN_SETTING",
    });
    expect(own.isOpen).toBe(false);
    await expect(own.query("SELECT 1")).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
  });

  it("refuses a second query while one is running", async () => {
    await using own = await connect(admin);
    const running = await own.query("SELECT number FROM numbers(10)");
    await expect(own.query("SELECT 1")).rejects.toMatchObject({ code: "CONNECTION_BUSY" });
    await running.cancel();
    expect((await collect(own, "SELECT 7")).rows).toEqual([[7]]);
  });
});

describe("settings, parameters and query id", () => {
  const settings = { max_result_rows: 1000, result_overflow_mode: "break", readonly: 2 } as const;

  it("runs with them", async () => {
    const { rows } = await collect(
      connection,
      "SELECT {n:UInt32} + 1 AS n, {s:String} AS s, {list:Array(String)} AS list, getSetting('max_result_rows') AS m",
      { settings, params: { n: 41, s: "it's \\ a\ttab", list: ["a'b", "c"] } },
    );
    // UInt32 + 1 is a UInt64: quoted like any 64-bit integer.
    expect(rows).toEqual([["42", "it's \\ a\ttab", ["a'b", "c"], 1000]]);
  });

  it("the server runs the query under the given id, with the settings, over the native interface", async () => {
    const queryId = `native-running-${Date.now()}`;
    const running = await connection.query("SELECT sleepEachRow(0.1) FROM numbers(100)", {
      queryId,
      settings: { ...settings, max_block_size: 1 },
    });
    const seen = await httpResult(
      `SELECT query_id, interface, Settings['max_result_rows'], Settings['readonly'], client_name FROM system.processes WHERE query_id = '${queryId}'`,
    );
    await running.cancel();
    expect(seen.rows).toEqual([[queryId, 1, "1000", "2", "mcp-clickhouse-native"]]);
  });

  it("system.query_log has the query with its id and settings", async () => {
    const queryId = `native-logged-${Date.now()}`;
    await collect(connection, "SELECT {n:UInt8}", { queryId, settings, params: { n: 1 } });
    await http.command({ query: "SYSTEM FLUSH LOGS" });
    const log = await httpResult(
      `SELECT query_id, interface, Settings['max_result_rows'], Settings['readonly'] FROM system.query_log WHERE query_id = '${queryId}' AND type = 'QueryFinish'`,
    );
    expect(log.rows).toEqual([[queryId, 1, "1000", "2"]]);
  });
});

describe("read-only enforcement", () => {
  it("readonly=2 refuses writes and allows setting limits", async () => {
    await using db = await useTestDatabase();
    await db.client.command({ query: "CREATE TABLE t (x UInt8) ENGINE = Memory" });
    await expect(
      connection.query(`INSERT INTO ${db.name}.t VALUES (1)`, {
        settings: { readonly: 2, max_execution_time: 5 },
      }),
    ).rejects.toMatchObject({ clickhouseCode: 164, clickhouseName: "READONLY" });
    expect(
      (await collect(connection, `SELECT count() FROM ${db.name}.t`, { settings: { readonly: 2 } })).rows,
    ).toEqual([["0"]]);
  });

  it("a user whose profile is readonly=2 cannot write", async () => {
    const { readonly2 } = info.users;
    await using own = await connect({ ...admin, username: readonly2.username, password: readonly2.password });
    await expect(own.query("CREATE DATABASE never_created")).rejects.toMatchObject({ clickhouseCode: 164 });
    expect((await collect(own, "SELECT 1", { settings: { max_result_rows: 10 } })).rows).toEqual([[1]]);
  });

  it("a user whose profile is readonly=1 cannot change settings: the server then drops the connection", async () => {
    const { readonly1 } = info.users;
    await using own = await connect({ ...admin, username: readonly1.username, password: readonly1.password });
    await expect(own.query("SELECT 1", { settings: { max_execution_time: 5 } })).rejects.toMatchObject({
      code: "SERVER_EXCEPTION",
      clickhouseCode: 164,
    });
    expect(own.isOpen).toBe(false);
    await using again = await connect({
      ...admin,
      username: readonly1.username,
      password: readonly1.password,
    });
    expect((await collect(again, "SELECT 1")).rows).toEqual([[1]]);
  });
});

describe("statements without a result", () => {
  it("runs DDL and inserts; an INSERT without data inserts nothing", async () => {
    await using db = await useTestDatabase();
    const none = await connection.query(`CREATE TABLE ${db.name}.t (x UInt8, s String) ENGINE = Memory`);
    expect(none.columns).toEqual([]);
    expect(none.done).toBe(true);
    await (await connection.query(`INSERT INTO ${db.name}.t VALUES (1, 'a'), (2, 'b')`)).collect();
    await (await connection.query(`INSERT INTO ${db.name}.t FORMAT TSV`)).collect();
    expect((await collect(connection, `SELECT * FROM ${db.name}.t ORDER BY x`)).rows).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
  });
});
