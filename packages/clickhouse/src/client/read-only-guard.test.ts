// Integration tests of the read-only guard against the run's embedded ClickHouse: every table
// function the running server has, outside the allow-list, in every statement form, over both
// protocols and for every kind of user, is refused before anything reaches ClickHouse (checked
// in system.query_log and by an HTTP canary that url()-like functions would call); the
// allow-listed ones still work. Users whose profile is readonly=2 get the same guard and limits.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { adminClient, harness } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
import {
  type ClickHousePool,
  createClickHousePool,
  DatabaseError,
  type PooledClient,
  type QueryOptions,
  READ_ONLY_TABLE_FUNCTIONS,
} from "../index.js";

type User = "admin" | "readonly1" | "readonly2";
type Protocol = "http" | "tcp";
const PROTOCOLS: Protocol[] = ["http", "tcp"];
const USERS: User[] = ["admin", "readonly1", "readonly2"];

let pool: ClickHousePool;
let canary: Server;
let canaryHits = 0;
let canaryPort = 0;
let tableFunctions: string[] = [];
// Every query of this file carries a marker that starts with this, to find them in query_log.
const RUN = `roguard_${randomBytes(6).toString("hex")}`;
let counter = 0;
const marker = (kind: "refused" | "control") => `${RUN}_${kind}_${counter++}`;

beforeAll(async () => {
  pool = createClickHousePool();
  canary = createServer((_request, response) => {
    canaryHits++;
    response.end("a\tb\n1\t2\n");
  });
  await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
  canaryPort = (canary.address() as { port: number }).port;
  tableFunctions = (
    await adminRows<{ name: string }>("SELECT name FROM system.table_functions ORDER BY name")
  ).map((row) => row.name);
});

afterAll(async () => {
  await pool?.close();
  canary?.close();
});

async function adminRows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const admin = adminClient();
  try {
    const result = await admin.query({ query, query_params: params, format: "JSONEachRow" });
    return await result.json<T>();
  } finally {
    await admin.close();
  }
}

/** How many queries containing `text` ClickHouse logged (after flushing its logs). */
async function logged(text: string): Promise<number> {
  const admin = adminClient();
  try {
    await admin.command({ query: "SYSTEM FLUSH LOGS" });
  } finally {
    await admin.close();
  }
  const rows = await adminRows<{ n: string }>(
    "SELECT uniqExact(query_id) AS n FROM system.query_log WHERE position(query, {text:String}) > 0 AND event_time > now() - INTERVAL 1 HOUR",
    { text },
  );
  return Number(rows[0]?.n);
}

function claims(user: User, protocol: Protocol): ConnectionClaims {
  const h = harness();
  return { host: h.host, port: protocol === "tcp" ? h.tcpPort : h.httpPort, protocol, ...h.users[user] };
}

function query(
  user: User,
  protocol: Protocol,
  sql: string,
  options: Partial<QueryOptions> = {},
  on: ClickHousePool = pool,
) {
  return on.withClient(claims(user, protocol), (client: PooledClient) =>
    client.executeQuery(sql, { readOnly: true, maxRows: 100, maxExecutionTime: 10, ...options }),
  );
}

async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DatabaseError)) throw new Error(`expected a DatabaseError, got ${String(error)}`);
  return error;
}

/** A comment with the marker just after the first keyword (leading and trailing comments are not sent). */
function withMarker(sql: string, mark: string): string {
  return sql.replace(/^(\(*\s*\w+)/, `$1 /* ${mark} */`);
}

/** Each statement form a table function call `call` can take in a read. */
function forms(call: string): string[] {
  return [
    `SELECT * FROM ${call}`,
    `EXPLAIN SELECT * FROM ${call}`,
    `EXPLAIN PLAN SELECT * FROM ${call}`,
    `DESCRIBE TABLE ${call}`,
    `DESCRIBE ${call}`,
    `DESC ${call}`,
    `SHOW CREATE TABLE ${call}`,
    `SELECT * FROM (SELECT * FROM ${call})`,
    `SELECT count() FROM numbers(3) WHERE number IN (SELECT 1 FROM ${call})`,
    `WITH t AS (SELECT * FROM ${call}) SELECT * FROM t`,
    `SELECT 1 UNION ALL SELECT * FROM ${call}`,
    `SELECT * FROM numbers(1), ${call}`,
    `SELECT * FROM numbers(1) AS a JOIN ${call} AS b ON 1`,
    `SELECT * FROM view(SELECT * FROM ${call})`,
  ];
}

/** Arguments for any table function: a URL of the canary, which counts what reaches it. */
const args = () => `('http://127.0.0.1:${canaryPort}/${RUN}', 'TSVWithNames')`;

describe("table functions in read-only calls", () => {
  it("knows every allow-listed table function, and the server has more than those", () => {
    const names = new Set(tableFunctions.map((name) => name.toLowerCase()));
    for (const allowed of READ_ONLY_TABLE_FUNCTIONS)
      expect(names.has(allowed.toLowerCase()), allowed).toBe(true);
    expect(tableFunctions.length).toBeGreaterThan(READ_ONLY_TABLE_FUNCTIONS.length + 50);
  });

  it("refuses every other table function of the running server in every form, quoted or not, over both protocols and for every user, before sending anything", async () => {
    const allowed = new Set(READ_ONLY_TABLE_FUNCTIONS.map((name) => name.toLowerCase()));
    const denied = tableFunctions.filter((name) => !allowed.has(name.toLowerCase()));
    expect(denied).toEqual(
      expect.arrayContaining(["file", "url", "remote", "mysql", "postgresql", "s3", "eval"]),
    );
    const unexpected: string[] = [];
    let calls = 0;
    for (const name of denied) {
      const calls_ = [
        `${name}${args()}`,
        `\`${name}\`${args()}`,
        `"${name}" /* between */ ${args()}`,
        `${name.toUpperCase()}\n${args()}`,
      ];
      const statements = calls_.flatMap((call) => forms(call));
      // Outside table position as well, except fuzzQuery, which is also a harmless scalar function.
      if (name !== "fuzzQuery") statements.push(`SELECT 1 IN ${name}${args()}`, `SELECT ${name}${args()}`);
      for (const sql of statements) {
        for (const protocol of PROTOCOLS) {
          for (const user of USERS) {
            const error = await failure(query(user, protocol, withMarker(sql, marker("refused"))));
            calls++;
            if (
              error.code !== "READ_ONLY_VIOLATION" ||
              error.clickhouseCode !== undefined ||
              !error.message.includes(`function "`)
            ) {
              unexpected.push(`${protocol} ${user} ${sql} -> ${error.code} ${error.message}`);
            }
          }
        }
      }
    }
    expect(unexpected).toEqual([]);
    expect(calls).toBeGreaterThan(denied.length * 50);
    expect(await logged(`${RUN}_refused_`)).toBe(0);
    expect(canaryHits).toBe(0);
  }, 120_000);

  it("names the refused function in the message", async () => {
    const error = await failure(query("admin", "http", "DESCRIBE TABLE file('/etc/passwd', 'TSVWithNames')"));
    expect(error.code).toBe("READ_ONLY_VIOLATION");
    expect(error.message).toMatch(/^table function "file" is not allowed in read-only mode/);
  });

  // One working statement per allow-listed table function, and how many rows it gives.
  const ALLOWED_SAMPLES: Record<string, [string, number]> = {
    numbers: ["SELECT * FROM numbers(3)", 3],
    numbers_mt: ["SELECT * FROM numbers_mt(3)", 3],
    zeros: ["SELECT * FROM zeros(3)", 3],
    zeros_mt: ["SELECT * FROM zeros_mt(3)", 3],
    primes: ["SELECT * FROM primes(3)", 3],
    generate_series: ["SELECT * FROM generate_series(1, 3)", 3],
    generateSeries: ["SELECT * FROM generateSeries(1, 3)", 3],
    generateRandom: ["SELECT * FROM generateRandom('a UInt8', 1) LIMIT 3", 3],
    values: ["SELECT * FROM values('x UInt8', 1, 2, 3)", 3],
    null: ["SELECT * FROM null('x UInt8')", 0],
    view: ["SELECT * FROM view(SELECT number FROM numbers(3))", 3],
    format: [`SELECT * FROM format(JSONEachRow, '{"a": 1}\n{"a": 2}\n{"a": 3}')`, 3],
  };

  it("has a sample for every allow-listed table function", () => {
    expect(Object.keys(ALLOWED_SAMPLES).sort()).toEqual([...READ_ONLY_TABLE_FUNCTIONS].sort());
  });

  it.each(PROTOCOLS)(
    "still runs the allow-listed table functions and the scalar format() (%s)",
    async (protocol) => {
      // ClickHouse's own readonly=1 (sent for admin, the profile of readonly1) refuses the table
      // functions it does not flag allow_readonly (zeros, zeros_mt, format): that refusal is
      // ClickHouse's (code 164), not the guard's. readonly2 users may run them all.
      const readonlyOk = new Set(
        (
          await adminRows<{ name: string }>("SELECT name FROM system.table_functions WHERE allow_readonly")
        ).map((row) => row.name),
      );
      const mark = marker("control");
      for (const [name, [sql, rows]] of Object.entries(ALLOWED_SAMPLES)) {
        for (const user of USERS) {
          const outcome = await query(user, protocol, withMarker(sql, mark)).then(
            (result) => ({ rows: result.rowCount }),
            (error: DatabaseError) => ({ code: error.code, ch: error.clickhouseCode }),
          );
          const expected =
            user === "readonly2" || readonlyOk.has(name)
              ? { rows }
              : { code: "READ_ONLY_VIOLATION", ch: 164 };
          expect({ name, user, outcome }).toEqual({ name, user, outcome: expected });
        }
      }
      for (const sql of [
        "DESCRIBE TABLE numbers(3)",
        "DESC format(JSONEachRow, '{\"a\": 1}')",
        "EXPLAIN SELECT * FROM numbers(1) AS a, numbers_mt(1) AS b",
        "WITH t AS (SELECT * FROM numbers(2)) SELECT * FROM t, values('y UInt8', 1) AS v",
      ]) {
        const result = await query("admin", protocol, withMarker(sql, mark));
        expect(result.rowCount, sql).toBeGreaterThan(0);
      }
      const formatted = await query("admin", protocol, "SELECT format('{} {}', 'a', 'b') AS s, 'file(' AS t");
      expect(formatted.rows).toEqual([{ s: "a b", t: "file(" }]);
      // The control: these did reach ClickHouse, so the query_log check above would see a leak.
      expect(await logged(mark)).toBeGreaterThan(0);
    },
  );
});

describe("users whose profile is readonly=2", () => {
  // ClickHouse itself would let these run for such users: the profile allows settings and table
  // functions, and it refuses to be sent readonly=1.
  it.each(PROTOCOLS)(
    "cannot lift the limits with the query's own SETTINGS, nor reach out (%s)",
    async (protocol) => {
      const mark = marker("refused");
      const cases: [string, string][] = [
        ["SELECT count() FROM numbers(10) SETTINGS max_execution_time = 0", '"max_execution_time"'],
        [
          "SELECT number FROM numbers(10) SETTINGS max_result_rows = 0, max_result_bytes = 0",
          '"max_result_rows"',
        ],
        ["SELECT count() FROM numbers(10) SETTINGS max_memory_usage = 0", '"max_memory_usage"'],
        ["SELECT 1 SETTINGS result_overflow_mode = 'throw'", '"result_overflow_mode"'],
        ["SELECT 1 SETTINGS readonly = 0", '"readonly"'],
        ["SELECT 1 SETTINGS max_threads = 1", '"max_threads"'],
        [`SELECT * FROM url('http://127.0.0.1:${canaryPort}/${RUN}', 'LineAsString')`, '"url"'],
        ["SELECT * FROM file('/etc/passwd', 'LineAsString')", '"file"'],
        ["SELECT file('/etc/passwd')", '"file"'],
        ["DESC file('/etc/passwd', 'TSVWithNames')", '"file"'],
      ];
      for (const [sql, name] of cases) {
        const error = await failure(query("readonly2", protocol, withMarker(sql, mark)));
        expect({ sql, code: error.code, ch: error.clickhouseCode }).toEqual({
          sql,
          code: "READ_ONLY_VIOLATION",
          ch: undefined,
        });
        expect(error.message).toContain(name);
      }
      expect(await logged(mark)).toBe(0);
      expect(canaryHits).toBe(0);
    },
  );

  it.each(PROTOCOLS)("may name the caller's allowed settings, not the limits (%s)", async (protocol) => {
    const result = await query(
      "readonly2",
      protocol,
      "SELECT toString(getSetting('max_threads')) AS t SETTINGS max_threads = 1",
      { allowedSettings: ["max_threads"] },
    );
    expect(result.rows).toEqual([{ t: "1" }]);
    const error = await failure(
      query("readonly2", protocol, "SELECT 1 SETTINGS max_execution_time = 0", {
        allowedSettings: ["max_threads", "max_execution_time"],
      }),
    );
    expect(error.code).toBe("READ_ONLY_VIOLATION");
  });

  it.each(PROTOCOLS)("get the limits sent, the caps and the deadline (%s)", async (protocol) => {
    const limits = await query(
      "readonly2",
      protocol,
      "SELECT toString(getSetting('max_execution_time')) AS t, toString(getSetting('max_memory_usage')) AS m, toString(getSetting('readonly')) AS r",
      { maxExecutionTime: 7, maxMemoryUsage: 123_456_789 },
    );
    expect(limits.rows).toEqual([{ t: "7", m: "123456789", r: "2" }]);
    const capped = await query("readonly2", protocol, "SELECT number FROM numbers(1000)", { maxRows: 5 });
    expect(capped.rowCount).toBe(5);
    expect(capped.truncated).toEqual({ reason: "rows", limit: 5 });
    const started = Date.now();
    const error = await failure(query("readonly2", protocol, "SELECT sleep(3)", { maxExecutionTime: 1 }));
    expect(error.code).toBe("QUERY_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(2_900);
  });

  it.each(PROTOCOLS)(
    "get the same guard when the operator sends readonly=2 (readOnlyLevel: 2) (%s)",
    async (protocol) => {
      await using lenient = createClickHousePool({ readOnlyLevel: 2 });
      const mark = marker("refused");
      for (const sql of [
        `SELECT * FROM url('http://127.0.0.1:${canaryPort}/${RUN}', 'LineAsString')`,
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT 1 SETTINGS max_execution_time = 0",
      ]) {
        const error = await failure(query("admin", protocol, withMarker(sql, mark), {}, lenient));
        expect({ sql, code: error.code }).toEqual({ sql, code: "READ_ONLY_VIOLATION" });
      }
      expect(await logged(mark)).toBe(0);
      expect(canaryHits).toBe(0);
    },
  );
});
