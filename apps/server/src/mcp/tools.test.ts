import { FIXTURE_TABLES, harness, useTestDatabase } from "@mcp/test-harness";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  eventually,
  harnessClaims,
  mcpUrl,
  type TestServer,
  type TransportKind,
  useTestServers,
} from "../test-support/http-fixture.js";

let server: TestServer;

// Closed after the file, and its logs checked for every token and secret in play.
const startServer = useTestServers();

beforeAll(async () => {
  server = await startServer();
});

const kinds: TransportKind[] = ["sse", "http"];

describe.each(kinds)("MCP over %s", (kind) => {
  it("initializes and lists the tools with strict schemas, annotations and output schemas", async () => {
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    expect(client.getServerVersion()?.name).toBe("altinity-mcp");
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual([
      "describe_table",
      "execute_query",
      "list_databases",
      "list_tables",
      "search_schema",
      "write_query",
    ]);
    for (const tool of tools) {
      expect(tool.inputSchema.additionalProperties).toBe(false);
      expect(tool.outputSchema).toBeDefined();
      expect(tool.annotations?.openWorldHint).toBe(false);
    }
    expect(byName.get("execute_query")?.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
    });
    expect(byName.get("write_query")?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    expect(byName.get("list_tables")?.inputSchema.properties).toHaveProperty("cursor");
  });

  it("runs execute_query with structured content and a text block of TSV rows, not the JSON again", async () => {
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: `SELECT id, name, moons FROM ${FIXTURE_TABLES.commented} ORDER BY id` },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as {
      rows: { name: string }[];
      rowCount: number;
      columns: { name: string; type: string }[];
      truncated?: unknown;
    };
    expect(structured.rowCount).toBe(4);
    expect(structured.rows.map((r) => r.name)).toEqual(["Mercury", "Venus", "Earth", "Mars"]);
    expect(structured.columns).toEqual([
      { name: "id", type: "UInt32" },
      { name: "name", type: "String" },
      { name: "moons", type: "UInt16" },
    ]);
    expect(structured.truncated).toBeUndefined();
    expect(result.content).toHaveLength(1);
    const lines = (result.content[0] as { text: string }).text.split("\n");
    expect(lines[0]).toBe("4 rows; columns: id UInt32, name String, moons UInt16");
    expect(lines.slice(1, 6)).toEqual([
      "id\tname\tmoons",
      "1\tMercury\t0",
      "2\tVenus\t0",
      "3\tEarth\t1",
      "4\tMars\t2",
    ]);
    expect(lines[6]).toMatch(/^ClickHouse read \d+ rows? \(.+\) in \d+ ms\. Query id [0-9a-f-]+\.$/);
    expect(lines).toHaveLength(7);
  });

  it("caps rows and adds a partial-result note", async () => {
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: `SELECT id FROM ${FIXTURE_TABLES.big} ORDER BY id` },
    })) as CallToolResult;
    const structured = result.structuredContent as {
      rowCount: number;
      truncated?: { reason: string; limit: number };
    };
    expect(structured.rowCount).toBe(500);
    expect(structured.truncated).toEqual({ reason: "rows", limit: 500 });
    const text = (result.content[0] as { text: string }).text;
    expect(text).toMatch(/^500 rows \(partial\); columns: id /);
    expect(text.split("\n").at(-1)).toMatch(/partial.*500 rows/);
  });

  it("lists databases, tables (with LIKE and cursor) and describes a table", async () => {
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const dbs = (await client.callTool({ name: "list_databases", arguments: {} })) as CallToolResult;
    expect((dbs.structuredContent as { databases: string[] }).databases).toContain(
      harness().fixturesDatabase,
    );

    const all = (await client.callTool({
      name: "list_tables",
      arguments: { database: harness().fixturesDatabase },
    })) as CallToolResult;
    const names = (all.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["big", "big_view", "commented", "types"]));

    const liked = (await client.callTool({
      name: "list_tables",
      arguments: { database: harness().fixturesDatabase, like: "big%" },
    })) as CallToolResult;
    expect((liked.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name)).toEqual([
      "big",
      "big_view",
    ]);

    const first = (await client.callTool({
      name: "list_tables",
      arguments: { database: harness().fixturesDatabase, limit: 2 },
    })) as CallToolResult;
    const page1 = first.structuredContent as { tables: { name: string }[]; nextCursor?: string };
    expect(page1.tables).toHaveLength(2);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const second = (await client.callTool({
      name: "list_tables",
      arguments: { database: harness().fixturesDatabase, limit: 2, cursor: page1.nextCursor },
    })) as CallToolResult;
    const page2 = second.structuredContent as { tables: { name: string }[] };
    expect([...page1.tables, ...page2.tables].map((t) => t.name)).toEqual(
      names.slice(0, page1.tables.length + page2.tables.length),
    );

    const described = (await client.callTool({
      name: "describe_table",
      arguments: { database: harness().fixturesDatabase, table: "commented" },
    })) as CallToolResult;
    const table = described.structuredContent as {
      comment: string;
      columns: { name: string; comment: string }[];
    };
    expect(table.comment).toBe("Planets of the solar system");
    expect(table.columns[0]).toMatchObject({
      name: "id",
      comment: "Primary key of the planet",
      inPrimaryKey: true,
    });
  });

  it("reads the schema resource and the table template", async () => {
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain("clickhouse://schema");
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain("clickhouse://table/{database}/{table}");

    const schema = await client.readResource({ uri: "clickhouse://schema" });
    const parsed = JSON.parse((schema.contents[0] as { text: string }).text) as {
      databases: { name: string; tables: { name: string }[] }[];
    };
    const fixtures = parsed.databases.find((d) => d.name === harness().fixturesDatabase);
    expect(fixtures?.tables.map((t) => t.name)).toEqual(expect.arrayContaining(["big", "commented"]));

    const table = await client.readResource({
      uri: `clickhouse://table/${harness().fixturesDatabase}/commented`,
    });
    const description = JSON.parse((table.contents[0] as { text: string }).text) as {
      columns: { name: string }[];
    };
    expect(description.columns.map((c) => c.name)).toEqual(["id", "name", "mass_kg", "moons"]);

    await expect(client.readResource({ uri: "clickhouse://table/no_such_db/nothing" })).rejects.toThrow(
      /UNKNOWN/,
    );
  });

  it("returns ClickHouse errors as isError results with code and type", async () => {
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT * FROM fixtures.no_such_table" },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    const text = (result.content[0] as { text: string }).text;
    expect(text).toMatch(/ClickHouse 60 UNKNOWN_TABLE/);
    expect(text).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("rejects unknown arguments (strict input schemas)", async () => {
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT 1", extra: true },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect((result.content[0] as { text: string }).text).toMatch(/Input validation error/);
  });

  it("refuses writes through execute_query and runs them through write_query", async () => {
    await using db = await useTestDatabase();
    await db.client.command({
      query: `CREATE TABLE ${db.name}.t (id UInt32) ENGINE = MergeTree ORDER BY id`,
    });
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const refused = (await client.callTool({
      name: "execute_query",
      arguments: { query: `INSERT INTO ${db.name}.t VALUES (1)` },
    })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect((refused.content[0] as { text: string }).text).toMatch(/READ_ONLY_VIOLATION/);

    const written = (await client.callTool({
      name: "write_query",
      arguments: { query: `INSERT INTO ${db.name}.t VALUES (1), (2)` },
    })) as CallToolResult;
    expect(written.isError).toBeFalsy();
    expect((written.structuredContent as { queryId: string }).queryId).toMatch(/[0-9a-f-]{36}/);
    const count = await db.client.query({
      query: `SELECT count() AS n FROM ${db.name}.t`,
      format: "JSONEachRow",
    });
    expect((await count.json<{ n: string | number }>()).map((r) => Number(r.n))).toEqual([2]);
  });

  it("hides write_query for a read_only token and tightens limits from the claims", async () => {
    const token = await server.mint({ ...harnessClaims(), read_only: true, limit: 3, max_execution_time: 5 });
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).not.toContain("write_query");
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: `SELECT id FROM ${FIXTURE_TABLES.big}` },
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ rowCount: 3, truncated: { reason: "rows", limit: 3 } });
  });

  it("does not let a claim loosen the server's row cap", async () => {
    const token = await server.mint({ ...harnessClaims(), limit: 100_000 });
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: `SELECT id FROM ${FIXTURE_TABLES.big}` },
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({
      rowCount: 500,
      truncated: { reason: "rows", limit: 500 },
    });
  });

  it("only accepts allowed settings", async () => {
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const ok = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT getSetting('max_threads') AS t", settings: { max_threads: 1 } },
    })) as CallToolResult;
    expect(ok.isError).toBeFalsy();
    expect(Number((ok.structuredContent as { rows: { t: unknown }[] }).rows[0]?.t)).toBe(1);
    // null means "not set": strict tool-schema converters make every property required.
    const nulls = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT 1 AS one", settings: { max_threads: null, join_algorithm: null } },
    })) as CallToolResult;
    expect(nulls.isError, JSON.stringify(nulls.content)).toBeFalsy();
    const refused = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT 1", settings: { max_result_rows: 0 } },
    })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect((refused.content[0] as { text: string }).text).toMatch(/Unrecognized key: "max_result_rows"/);
    // A SETTINGS clause in the query is judged by the same list.
    const inline = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT 1 SETTINGS max_result_rows = 0" },
    })) as CallToolResult;
    expect(inline.isError).toBe(true);
    expect((inline.content[0] as { text: string }).text).toMatch(
      /READ_ONLY_VIOLATION: the setting "max_result_rows" is not allowed/,
    );
  });
});

describe("server-wide read-only", () => {
  it("hides write_query when the server is read-only whatever the token says", async () => {
    await using readOnly = await startServer({ limits: { readOnly: true } });
    const token = await readOnly.mint({ ...harnessClaims(), read_only: false });
    await using client = await connectClient("http", mcpUrl(readOnly.url, "http", token));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).not.toContain("write_query");
  });
});

describe("cancellation", () => {
  const slowQuery = (marker: string) =>
    `SELECT '${marker}' AS marker, count() FROM numbers(100000000000) WHERE NOT ignore(sipHash64(number))`;

  async function running(marker: string): Promise<number> {
    await using db = await useTestDatabase();
    const result = await db.client.query({
      query: `SELECT count() AS n FROM system.processes WHERE query LIKE {pattern:String} AND query NOT LIKE '%system.processes%'`,
      query_params: { pattern: `%${marker}%` },
      format: "JSONEachRow",
    });
    const rows = await result.json<{ n: string | number }>();
    return Number(rows[0]?.n ?? 0);
  }

  it("stops the query on notifications/cancelled (SSE)", async () => {
    const marker = `cancel_${Date.now()}_a`;
    const token = await server.mint();
    await using client = await connectClient("sse", mcpUrl(server.url, "sse", token));
    const controller = new AbortController();
    const call = client.callTool(
      { name: "execute_query", arguments: { query: slowQuery(marker) } },
      undefined,
      {
        signal: controller.signal,
      },
    );
    call.catch(() => {});
    await eventually(async () => (await running(marker)) > 0, "the query runs");
    controller.abort();
    await expect(call).rejects.toThrow();
    await eventually(async () => (await running(marker)) === 0, "the query is gone");
    await eventually(
      async () => server.logLines().some((l) => l.msg === "tool call" && l.outcome === "cancelled"),
      "the call is logged as cancelled",
    );
  });

  it("stops the query when the SSE stream closes", async () => {
    const marker = `cancel_${Date.now()}_b`;
    const token = await server.mint();
    const client = await connectClient("sse", mcpUrl(server.url, "sse", token));
    const call = client.callTool({ name: "execute_query", arguments: { query: slowQuery(marker) } });
    call.catch(() => {});
    await eventually(async () => (await running(marker)) > 0, "the query runs");
    await client.close();
    await eventually(async () => (await running(marker)) === 0, "the query is gone");
  });

  it("stops the query when the Streamable HTTP request is aborted", async () => {
    const marker = `cancel_${Date.now()}_c`;
    const token = await server.mint();
    const client = await connectClient("http", mcpUrl(server.url, "http", token));
    const call = client.callTool({ name: "execute_query", arguments: { query: slowQuery(marker) } });
    call.catch(() => {});
    await eventually(async () => (await running(marker)) > 0, "the query runs");
    await client.close(); // aborts the in-flight POST
    await eventually(async () => (await running(marker)) === 0, "the query is gone");
  });
});
