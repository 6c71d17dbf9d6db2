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
