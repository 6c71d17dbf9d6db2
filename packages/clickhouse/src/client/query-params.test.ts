// `{name:Type}` query parameters (QueryOptions.params) over both protocols, against the run's
// embedded ClickHouse: every kind of value comes back as itself, hostile values stay values, and
// what ClickHouse or the checks refuse is refused clearly.
import { FIXTURE_TABLES, harness, useTestDatabase } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
import type { Protocol } from "../connection/ports.js";
import {
  type ClickHousePool,
  createClickHousePool,
  DatabaseError,
  MAX_QUERY_PARAMS,
  MAX_QUERY_PARAMS_BYTES,
  type QueryOptions,
} from "../index.js";

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

// Values a model might send to break out of a placeholder: quotes, backslashes, comments,
// statement separators, a closing brace, a FORMAT/SETTINGS tail, control characters.
const HOSTILE = [
  "' OR 1=1 --",
  "'); DROP TABLE victim; --",
  "\\'; SELECT 1; --",
  "x} UNION ALL SELECT name FROM system.users --",
  "1 SETTINGS readonly=0",
  "a\tb\nc\rd\\e'f\"g`h",
  "\u0000\u0001 nul and control",
  "Ünïcödé ✓ 𝔘 — \u2028",
  "{x:String}",
  "$$heredoc$$",
];

describe.each<Protocol>(["http", "tcp"])("query parameters over %s", (protocol) => {
  const query = (sql: string, options: Partial<QueryOptions> = {}, user: User = "admin") =>
    pool.withClient(claimsOf(user, protocol), (client) =>
      client.executeQuery(sql, { readOnly: true, ...options }),
    );

  it("binds every kind of value as itself", async () => {
    const result = await query(
      `SELECT {s:String} AS s, {i:Int32} AS i, {u:UInt64} AS u, {big:UInt64} AS big, {f:Float64} AS f,
              {b:Bool} AS b, {flag:UInt8} AS flag, {n:Nullable(String)} AS n, {strings:Array(String)} AS strings,
              {ints:Array(Nullable(Int64))} AS ints, {nested:Array(Array(UInt8))} AS nested,
              {d:Date} AS d, {dt:DateTime('UTC')} AS dt, {dec:Decimal(18, 4)} AS dec, {uuid:UUID} AS uuid,
              {e:Enum8('a' = 1, 'b' = 2)} AS e, {empty:Array(String)} AS empty`,
      {
        params: {
          s: "plain",
          i: -42,
          u: 7,
          big: 18446744073709551615n,
          f: 1.5,
          b: true,
          flag: false,
          n: null,
          strings: ["it's", "back\\slash", "tab\there", "", "[]"],
          ints: [1, null, -3],
          nested: [[1, 2], [], [3]],
          d: "2024-02-29",
          dt: "2024-02-29 12:34:56",
          dec: "123.4567",
          uuid: "123e4567-e89b-12d3-a456-426614174000",
          e: "b",
          empty: [],
        },
      },
    );
    expect(result.rows).toEqual([
      {
        s: "plain",
        i: -42,
        u: "7",
        big: "18446744073709551615",
        f: 1.5,
        b: true,
        flag: 0,
        n: null,
        strings: ["it's", "back\\slash", "tab\there", "", "[]"],
        ints: ["1", null, "-3"],
        nested: [[1, 2], [], [3]],
        d: "2024-02-29",
        dt: "2024-02-29 12:34:56",
        dec: "123.4567",
        uuid: "123e4567-e89b-12d3-a456-426614174000",
        e: "b",
        empty: [],
      },
    ]);
  });

  it("keeps hostile values as values, at the top level and inside arrays", async () => {
    for (const value of HOSTILE) {
      const result = await query(
        "SELECT {v:String} AS v, {list:Array(String)} AS list, length({v:String}) AS n",
        {
          params: { v: value, list: [value, value] },
        },
      );
      expect(result.rows, JSON.stringify(value)).toEqual([
        { v: value, list: [value, value], n: String(Buffer.byteLength(value)) },
      ]);
    }
  });

  it("filters a table with a bound value and names a table with an Identifier", async () => {
    const result = await query(
      "SELECT count() AS n FROM {db:Identifier}.{t:Identifier} WHERE id < {limit:UInt64} AND category = {c:String}",
      { params: { db: "fixtures", t: "big", limit: 1000, c: "red" } },
    );
    expect(Number(result.rows[0]?.n)).toBeGreaterThan(0);
    expect(Number(result.rows[0]?.n)).toBeLessThan(1000);
    // A hostile identifier is one (unknown) name, not SQL.
    const error = await failure(
      query("SELECT count() FROM {t:Identifier}", { params: { t: `${FIXTURE_TABLES.big}; DROP TABLE x` } }),
    );
    expect(error.code).toBe("QUERY_FAILED");
    expect(error.clickhouseType).toBe("UNKNOWN_TABLE");
  });

  it("cannot turn an Identifier into a table function or a setting name", async () => {
    // ClickHouse's parser takes no placeholder as a function or setting name: a syntax error.
    for (const sql of [
      "SELECT * FROM {f:Identifier}('/etc/passwd', 'TSV')",
      "SELECT {f:Identifier}('/etc/hostname')",
      "SELECT 1 SETTINGS {s:Identifier} = 0",
    ]) {
      const error = await failure(query(sql, { params: { f: "file", s: "readonly" } }));
      expect(error.clickhouseType, sql).toBe("SYNTAX_ERROR");
    }
  });

  it("leaves the data alone whatever a value says", async () => {
    await using db = await useTestDatabase();
    await db.client.command({ query: "CREATE TABLE victim (s String) ENGINE = MergeTree ORDER BY s" });
    await db.client.command({ query: "INSERT INTO victim VALUES ('kept')" });
    for (const value of HOSTILE) {
      const result = await query(`SELECT count() AS n FROM ${db.name}.victim WHERE s = {v:String}`, {
        params: { v: value },
      });
      expect(result.rows).toEqual([{ n: "0" }]);
    }
    const kept = await query(`SELECT s FROM ${db.name}.victim`);
    expect(kept.rows).toEqual([{ s: "kept" }]);
  });

  it("reports a missing or ill-typed value as ClickHouse does", async () => {
    const missing = await failure(query("SELECT {x:UInt8} AS x", { params: { y: 1 } }));
    expect(missing).toMatchObject({ code: "QUERY_FAILED", clickhouseType: "UNKNOWN_QUERY_PARAMETER" });
    expect(missing.message).toMatch(/Substitution `x` is not set/);
    const illTyped = await failure(query("SELECT {x:UInt8} AS x", { params: { x: "abc" } }));
    expect(illTyped).toMatchObject({ code: "QUERY_FAILED", clickhouseType: "BAD_QUERY_PARAMETER" });
    expect(illTyped.message).toMatch(/cannot be parsed as UInt8 for query parameter 'x'/);
    // ClickHouse parses the value as its text formats do: an integer out of range wraps.
    const wrapped = await query("SELECT {x:UInt8} AS x", { params: { x: 300 } });
    expect(wrapped.rows).toEqual([{ x: 44 }]);
    const badDate = await failure(query("SELECT {d:Date} AS d", { params: { d: "2024-13-45; DROP" } }));
    expect(badDate.code).toBe("QUERY_FAILED");
  });

  it("works for users whose profile refuses settings (readonly=1) and readonly=2", async () => {
    for (const user of ["readonly1", "readonly2"] as const) {
      const result = await query(
        "SELECT {s:String} AS s, {n:Array(UInt8)} AS n",
        { params: { s: "ok'", n: [1] } },
        user,
      );
      expect(result.rows).toEqual([{ s: "ok'", n: [1] }]);
    }
  });

  it("refuses bad names, shapes, counts and sizes before sending anything", async () => {
    const bad: [unknown, RegExp][] = [
      [{ "1x": 1 }, /name "1x" is not allowed/],
      [{ "a-b": 1 }, /name "a-b" is not allowed/],
      [{ "x y": 1 }, /not allowed/],
      [{ "": 1 }, /not allowed/],
      [{ ["a".repeat(129)]: 1 }, /at most 128 characters/],
      [{ o: { k: "v" } }, /must be a string, number, boolean, null or an array/],
      [{ u: undefined }, /must be a string, number, boolean, null or an array/],
      [
        Object.fromEntries(Array.from({ length: MAX_QUERY_PARAMS + 1 }, (_, i) => [`p${i}`, i])),
        /At most 100/,
      ],
      [{ big: "x".repeat(MAX_QUERY_PARAMS_BYTES) }, /larger than the limit of 131072 bytes/],
      [{ deep: [[[[[[[[[1]]]]]]]]] }, /nests arrays deeper than 8/],
    ];
    for (const [params, message] of bad) {
      const error = await failure(
        query("SELECT 1", { params: params as QueryOptions["params"], queryId: "never-sent" }),
      );
      expect(error.code).toBe("INVALID_ARGUMENT");
      expect(error.message).toMatch(message);
    }
    // The most that fits is fine.
    const result = await query("SELECT length({big:String}) AS n", {
      params: { big: "x".repeat(MAX_QUERY_PARAMS_BYTES - 3) },
    });
    expect(result.rows).toEqual([{ n: String(MAX_QUERY_PARAMS_BYTES - 3) }]);
  });

  it("reads placeholders without confusing the read-only check", async () => {
    // Braces, colons and types with parentheses are neither table functions nor SETTINGS clauses;
    // a type without a value kind of its own takes ClickHouse's text in a string.
    const result = await query(
      "SELECT {t:Array(Tuple(UInt8, UInt8))} AS t, number FROM numbers({n:UInt8}) WHERE number >= {from:UInt8}",
      { params: { t: "[(1,2)]", n: 5, from: 3 } },
    );
    expect(result.rows).toEqual([
      { t: [[1, 2]], number: "3" },
      { t: [[1, 2]], number: "4" },
    ]);
  });
});
