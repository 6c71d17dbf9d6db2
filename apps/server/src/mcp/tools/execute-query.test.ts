// execute_query's `params` over MCP, for tokens naming either protocol: values bound to
// `{name:Type}` placeholders, hostile values kept as values, refusals as tool errors.
import type { ConnectionClaims } from "@mcp/jwe";
import { FIXTURE_TABLES, harness } from "@mcp/test-harness";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  harnessClaims,
  mcpUrl,
  type TestServer,
  textOf,
  useTestServers,
} from "../../test-support/http-fixture.js";

let server: TestServer;

const startServer = useTestServers();

beforeAll(async () => {
  server = await startServer();
});

type Protocol = "http" | "tcp";

function claimsFor(protocol: Protocol, user: "password" | "readonly1" = "password"): ConnectionClaims {
  const claims = harnessClaims(user);
  return protocol === "tcp" ? { ...claims, port: harness().tcpPort, protocol: "tcp" } : claims;
}

async function callQuery(token: string, args: Record<string, unknown>): Promise<CallToolResult> {
  await using client = await connectClient("http", mcpUrl(server.url, "http", token));
  return (await client.callTool({ name: "execute_query", arguments: args })) as CallToolResult;
}

describe.each<Protocol>(["http", "tcp"])("execute_query params over %s", (protocol) => {
  it("binds values to placeholders and lists them in the tool's schema", async () => {
    const token = await server.mint(claimsFor(protocol));
    const result = await callQuery(token, {
      query: `SELECT name, moons FROM ${FIXTURE_TABLES.commented} WHERE moons >= {min:UInt16} AND name IN {names:Array(String)} ORDER BY id`,
      params: [
        { name: "min", value: 1 },
        { name: "names", value: ["Earth", "Mars", "Venus"] },
      ],
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { rows: unknown[] }).rows).toEqual([
      { name: "Earth", moons: 1 },
      { name: "Mars", moons: 2 },
    ]);
  });

  it("keeps an injection attempt a value", async () => {
    const token = await server.mint(claimsFor(protocol, "readonly1"));
    const value = "Earth' OR 1=1 --";
    const result = await callQuery(token, {
      query: `SELECT count() AS n, {v:String} AS v FROM ${FIXTURE_TABLES.commented} WHERE name = {v:String}`,
      params: [{ name: "v", value }],
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { rows: unknown[] }).rows).toEqual([{ n: "0", v: value }]);
  });

  it("reports a missing or ill-typed parameter as ClickHouse's error", async () => {
    const token = await server.mint(claimsFor(protocol));
    const missing = await callQuery(token, { query: "SELECT {x:UInt8} AS x" });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(
      /^Error QUERY_FAILED \(ClickHouse 456 UNKNOWN_QUERY_PARAMETER\): Substitution `x` is not set/,
    );
    const illTyped = await callQuery(token, {
      query: "SELECT {x:UInt8} AS x",
      params: [{ name: "x", value: "abc" }],
    });
    expect(textOf(illTyped)).toMatch(/^Error QUERY_FAILED \(ClickHouse 457 BAD_QUERY_PARAMETER\)/);
  });
});

describe("execute_query params: what the schema refuses", () => {
  it("refuses bad names, duplicates, objects and too many parameters", async () => {
    const token = await server.mint();
    const bad: unknown[] = [
      [{ name: "1x", value: 1 }],
      [{ name: "a;b", value: 1 }],
      [
        { name: "x", value: 1 },
        { name: "x", value: 2 },
      ],
      [{ name: "x", value: { nested: true } }],
      [{ name: "x", value: 1, extra: true }],
      Array.from({ length: 101 }, (_, i) => ({ name: `p${i}`, value: i })),
    ];
    for (const params of bad) {
      const result = await callQuery(token, { query: "SELECT 1", params });
      expect(result.isError, JSON.stringify(params).slice(0, 80)).toBe(true);
    }
    // null and an empty list mean none.
    for (const params of [null, []]) {
      const result = await callQuery(token, { query: "SELECT 1 AS one", params });
      expect(result.isError).toBeFalsy();
    }
  });
});

// Reads every row of the 3,000,000-row table; NARROW reads a granule or two (the key is id).
const FULL_SCAN = `SELECT sum(value) AS s FROM ${FIXTURE_TABLES.big}`;
const NARROW = `SELECT sum(value) AS s FROM ${FIXTURE_TABLES.big} WHERE id < 1000`;

describe("execute_query read budget", () => {
  let budgeted: TestServer;

  beforeAll(async () => {
    budgeted = await startServer({ limits: { maxRowsToRead: 100_000 } });
  });

  async function call(target: TestServer, token: string, args: Record<string, unknown>) {
    await using client = await connectClient("http", mcpUrl(target.url, "http", token));
    return (await client.callTool({ name: "execute_query", arguments: args })) as CallToolResult;
  }

  it.each<Protocol>(["http", "tcp"])(
    "refuses a query over the server's budget over %s, naming it",
    async (protocol) => {
      for (const user of ["password", "readonly1"] as const) {
        const token = await budgeted.mint(claimsFor(protocol, user));
        const refused = await call(budgeted, token, { query: FULL_SCAN });
        expect(refused.isError).toBe(true);
        expect(textOf(refused)).toMatch(
          /^Error READ_BUDGET_EXCEEDED( \(ClickHouse 158 TOO_MANY_ROWS\))?: The query (would read|read) more than 100000 rows \(the read budget\)/,
        );
        expect(textOf(refused)).toMatch(/Call execute_query with estimate: true/);
        const fine = await call(budgeted, token, { query: NARROW });
        expect(fine.isError, textOf(fine)).toBeFalsy();
      }
    },
  );

  it("lets a token's claims tighten the budget, never loosen it", async () => {
    const tighter = await budgeted.mint({ ...claimsFor("http"), max_rows_to_read: 1000 });
    expect(textOf(await call(budgeted, tighter, { query: NARROW }))).toMatch(
      /more than 1000 rows \(the read budget\)/,
    );
    const looser = await budgeted.mint({ ...claimsFor("http"), max_rows_to_read: 10_000_000 });
    expect(textOf(await call(budgeted, looser, { query: FULL_SCAN }))).toMatch(
      /more than 100000 rows \(the read budget\)/,
    );
    // Where the server has none, the claim is the budget; bytes too.
    const own = await server.mint({ ...claimsFor("tcp"), max_bytes_to_read: 100_000 });
    expect(textOf(await call(server, own, { query: FULL_SCAN }))).toMatch(
      /^Error READ_BUDGET_EXCEEDED \(ClickHouse 307 TOO_MANY_BYTES\): The query would read more than 100000 bytes/,
    );
    expect((await call(server, await server.mint(), { query: FULL_SCAN })).isError).toBeFalsy();
  });

  it("says so in the tool's description", async () => {
    await using client = await connectClient("http", mcpUrl(budgeted.url, "http", await budgeted.mint()));
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === "execute_query");
    expect(tool?.description).toMatch(
      /would read more than 100000 rows from tables is refused \(the read budget\)/,
    );
    expect(Object.keys(tool?.inputSchema.properties ?? {})).toEqual([
      "query",
      "settings",
      "params",
      "estimate",
    ]);
  });

  it.each<Protocol>(["http", "tcp"])(
    "estimates instead of running with estimate: true over %s",
    async (protocol) => {
      const token = await budgeted.mint(claimsFor(protocol));
      const over = await call(budgeted, token, { query: FULL_SCAN, estimate: true });
      expect(over.isError, textOf(over)).toBeFalsy();
      const structured = over.structuredContent as {
        rows: { database: string; table: string; rows: number; parts: number; bytes: number }[];
        estimate: { totalRows: number; overBudget: boolean; readBudget: unknown };
      };
      expect(structured.rows).toHaveLength(1);
      expect(structured.rows[0]).toMatchObject({ database: "fixtures", table: "big", rows: 3_000_000 });
      expect(structured.rows[0]?.bytes).toBeGreaterThan(0);
      expect(structured.estimate).toMatchObject({
        totalRows: 3_000_000,
        overBudget: true,
        readBudget: { maxRowsToRead: 100_000 },
      });
      const lines = textOf(over).split("\n");
      expect(lines[0]).toMatch(
        /^Estimate \(the query was not run\): ClickHouse would read ~3000000 rows \(at most ~[\d.]+ MiB uncompressed\) in \d+ parts? \(\d+ marks\) of 1 table/,
      );
      expect(lines[1]).toBe("database\ttable\tparts\trows\tmarks\tbytes");
      expect(lines[2]).toMatch(/^fixtures\tbig\t\d+\t3000000\t\d+\t\d+$/);
      expect(textOf(over)).toMatch(
        /Over the read budget \(100000 rows\): running it would most likely be refused/,
      );

      const within = await call(budgeted, token, {
        query: `SELECT sum(value) FROM ${FIXTURE_TABLES.big} WHERE id < {n:UInt64}`,
        params: [{ name: "n", value: 1000 }],
        estimate: true,
      });
      expect((within.structuredContent as { estimate: { overBudget: boolean } }).estimate.overBudget).toBe(
        false,
      );
      expect(textOf(within)).toMatch(/Within the read budget \(100000 rows\)\.$/);

      const none = await call(budgeted, token, { query: "SELECT count() FROM numbers(10)", estimate: true });
      expect(textOf(none)).toMatch(
        /ClickHouse has no estimate for this query\. Only MergeTree-family tables/,
      );
      const show = await call(budgeted, token, { query: "SHOW TABLES", estimate: true });
      expect(textOf(show)).toMatch(/^Error INVALID_ARGUMENT: Only SELECT queries/);
    },
  );
});
