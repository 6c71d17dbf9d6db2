// search_schema over MCP on the shared harness (its ranking, paging and a 10,000-table catalog
// are tested in packages/clickhouse/src/client/search-schema.test.ts): the text block, the
// structured hits, grants, the annotations and both protocols.
import type { ConnectionClaims } from "@mcp/jwe";
import { FIXTURES_DATABASE, harness } from "@mcp/test-harness";
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

function claimsFor(
  protocol: Protocol,
  user: "password" | "oneDb" | "readonly1" = "password",
): ConnectionClaims {
  const claims = harnessClaims(user);
  return protocol === "tcp" ? { ...claims, port: harness().tcpPort, protocol: "tcp" } : claims;
}

async function search(token: string, args: Record<string, unknown>): Promise<CallToolResult> {
  await using client = await connectClient("http", mcpUrl(server.url, "http", token));
  return (await client.callTool({ name: "search_schema", arguments: args })) as CallToolResult;
}

describe.each<Protocol>(["http", "tcp"])("search_schema over %s", (protocol) => {
  it("gives ranked hits, one line each, with types, comments and why they matched", async () => {
    const token = await server.mint(claimsFor(protocol, "readonly1"));
    const result = await search(token, { query: "PLANET", database: FIXTURES_DATABASE });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result).split("\n")).toEqual([
      '3 matches for "PLANET", best first:',
      "table fixtures.commented (MergeTree) [comment contains it] -- Planets of the solar system",
      "column fixtures.commented.id UInt32 [comment contains it] -- Primary key of the planet",
      "column fixtures.commented.name String [comment contains it] -- Planet name in English",
    ]);
    expect(result.structuredContent).toEqual({
      hits: [
        {
          kind: "table",
          database: "fixtures",
          table: "commented",
          column: null,
          type: "MergeTree",
          comment: "Planets of the solar system",
          match: "comment",
        },
        {
          kind: "column",
          database: "fixtures",
          table: "commented",
          column: "id",
          type: "UInt32",
          comment: "Primary key of the planet",
          match: "comment",
        },
        {
          kind: "column",
          database: "fixtures",
          table: "commented",
          column: "name",
          type: "String",
          comment: "Planet name in English",
          match: "comment",
        },
      ],
    });
    const exact = await search(token, { query: "moons" });
    expect(textOf(exact).split("\n")[1]).toBe(
      "column fixtures.commented.moons UInt16 [exact name] -- Number of known moons",
    );
  });

  it("pages with a cursor and says how to get the next page", async () => {
    const token = await server.mint(claimsFor(protocol));
    const first = await search(token, { query: "a", database: FIXTURES_DATABASE, limit: 2 });
    const { hits, nextCursor } = first.structuredContent as { hits: unknown[]; nextCursor?: string };
    expect(hits).toHaveLength(2);
    expect(nextCursor).toBeDefined();
    expect(textOf(first)).toMatch(/^2 matches for "a", best first \(more pages follow\):/);
    expect(textOf(first)).toContain(`Next page: call search_schema again with cursor "${nextCursor}".`);
    const second = await search(token, {
      query: "a",
      database: FIXTURES_DATABASE,
      limit: 2,
      cursor: nextCursor,
    });
    expect(second.isError).toBeFalsy();
    expect((second.structuredContent as { hits: unknown[] }).hits).not.toEqual(hits);
    const wrong = await search(token, { query: "b", database: FIXTURES_DATABASE, cursor: nextCursor });
    expect(textOf(wrong)).toMatch(/^Error INVALID_ARGUMENT: The cursor is not valid for this search/);
  });

  it("finds only what the token's user may see, and says when nothing matches", async () => {
    const token = await server.mint(claimsFor(protocol, "oneDb"));
    const result = await search(token, { query: "name" });
    const hits = (result.structuredContent as { hits: { database: string }[] }).hits;
    expect(hits.length).toBeGreaterThan(0);
    expect(new Set(hits.map((hit) => hit.database))).toEqual(new Set(["harness_one_db"]));
    const none = await search(token, { query: "moons" });
    expect(textOf(none)).toBe(
      'No table or column name or comment contains "moons" in what this connection can see (the system databases are searched only when database names one).',
    );
    expect(none.structuredContent).toEqual({ hits: [] });
  });
});

describe("search_schema definition", () => {
  it("is listed as a read-only tool with a strict input schema", async () => {
    await using client = await connectClient("http", mcpUrl(server.url, "http", await server.mint()));
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === "search_schema");
    expect(tool?.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
      openWorldHint: false,
    });
    expect(tool?.inputSchema.additionalProperties).toBe(false);
    expect(tool?.inputSchema.required).toEqual(["query"]);
    const refused = await search(await server.mint(), { query: "" });
    expect(refused.isError).toBe(true);
  });
});
