// The current protocol (2026-07-28) as the v2 SDK client and raw HTTP see it: negotiation with no
// fallback, discovery, cache fields, header validation, the resource-not-found error, completions,
// prompts, and bad tokens as 401 with the reason.
import { FIXTURE_TABLES, harness } from "@mcp/test-harness";
import { Client, SdkHttpError, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
} from "@modelcontextprotocol/server";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestServer, useTestServers } from "../test-support/http-fixture.js";

const MODERN = "2026-07-28";
let server: TestServer;

// Closed after the file, and its logs checked for every token and secret in play.
const startServer = useTestServers();

beforeAll(async () => {
  server = await startServer();
});

/** A v2 client pinned to 2026-07-28: it never falls back to the 2025 handshake. */
async function connectModern(url: string): Promise<Client & AsyncDisposable> {
  const client = new Client(
    { name: "protocol-2026-test", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: MODERN } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

/** One raw 2026-07-28 request: the envelope in `_meta` and the standard headers. */
async function modernRequest(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": MODERN,
      "mcp-method": method,
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          [PROTOCOL_VERSION_META_KEY]: MODERN,
          [CLIENT_INFO_META_KEY]: { name: "raw", version: "1" },
          [CLIENT_CAPABILITIES_META_KEY]: {},
        },
      },
    }),
  });
  const text = await response.text();
  const json = text.startsWith("{")
    ? JSON.parse(text)
    : JSON.parse(
        text
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .at(-1)
          ?.slice(6) ?? "null",
      );
  return { status: response.status, json } as {
    status: number;
    json: { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };
  };
}

describe("protocol 2026-07-28 with the v2 client", () => {
  it("negotiates the modern era with no fallback and runs the tools", async () => {
    const token = await server.mint();
    await using client = await connectModern(`${server.url}/${token}/mcp`);
    expect(client.getProtocolEra()).toBe("modern");
    expect(client.getServerVersion()?.name).toBe("altinity-mcp");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "describe_table",
      "execute_query",
      "list_databases",
      "list_tables",
      "search_schema",
      "write_query",
    ]);
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: `SELECT name FROM ${FIXTURE_TABLES.commented} ORDER BY id LIMIT 2` },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      rowCount: 2,
      rows: [{ name: "Mercury" }, { name: "Venus" }],
    });
  });

  it("answers on every token endpoint: /<token>/mcp, /<token> and a header token on /mcp", async () => {
    const token = await server.mint();
    for (const url of [`${server.url}/${token}/mcp`, `${server.url}/${token}`]) {
      await using client = await connectModern(url);
      expect(client.getProtocolEra()).toBe("modern");
    }
    const client = new Client({ name: "t", version: "1" }, { versionNegotiation: { mode: { pin: MODERN } } });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { "x-altinity-mcp-key": token } },
      }),
    );
    expect(client.getProtocolEra()).toBe("modern");
    await client.close();
  });

  it("server/discover identifies the server and carries cache fields; lists are cached privately", async () => {
    const token = await server.mint();
    const url = `${server.url}/${token}/mcp`;
    const discover = await modernRequest(url, "server/discover");
    expect(discover.status).toBe(200);
    const result = discover.json.result as {
      supportedVersions?: string[];
      serverInfo?: { name: string; version: string };
      capabilities?: Record<string, unknown>;
      ttlMs?: number;
      cacheScope?: string;
    };
    expect(JSON.stringify(result)).toContain(MODERN);
    expect(JSON.stringify(result)).toContain("altinity-mcp");
    expect(result.ttlMs).toBeGreaterThan(0);
    expect(result.cacheScope).toBe("private");
    // Nothing changes while a client is connected: no listChanged is advertised anywhere.
    expect(JSON.stringify(result.capabilities ?? {})).not.toContain('"listChanged":true');

    const tools = await modernRequest(url, "tools/list");
    expect(tools.json.result).toMatchObject({ cacheScope: "private" });
    expect((tools.json.result as { ttlMs: number }).ttlMs).toBeGreaterThan(0);
    const read = await modernRequest(
      url,
      "resources/read",
      { uri: "clickhouse://schema" },
      { "mcp-name": "clickhouse://schema" },
    );
    expect(read.json.result).toMatchObject({ cacheScope: "private" });
    expect((read.json.result as { ttlMs: number }).ttlMs).toBeLessThanOrEqual(60_000);
  });

  it("refuses a request whose Mcp-Method header disagrees with its body, or lacks Mcp-Name", async () => {
    const token = await server.mint();
    const url = `${server.url}/${token}/mcp`;
    const mismatch = await modernRequest(url, "tools/list", {}, { "mcp-method": "prompts/list" });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error?.code).toBe(-32020);
    const noName = await modernRequest(url, "tools/call", { name: "list_databases", arguments: {} });
    expect(noName.status).toBe(400);
    expect(noName.json.error?.code).toBe(-32020);
    const named = await modernRequest(
      url,
      "tools/call",
      { name: "list_databases", arguments: {} },
      { "mcp-name": "list_databases" },
    );
    expect(named.status).toBe(200);
    expect(named.json.result).toMatchObject({ structuredContent: { databases: expect.any(Array) } });
  });

  it("reads a table resource, and answers a missing one with the resource-not-found error", async () => {
    const token = await server.mint();
    await using client = await connectModern(`${server.url}/${token}/mcp`);
    const db = harness().fixturesDatabase;
    const found = await client.readResource({ uri: `clickhouse://table/${db}/commented` });
    expect(JSON.parse((found.contents[0] as { text: string }).text)).toMatchObject({ name: "commented" });
    const uri = `clickhouse://table/${db}/no_such_table`;
    const error = await client.readResource({ uri }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: -32602 });
    expect(String((error as Error).message)).toMatch(/UNKNOWN_TABLE/);
    expect(JSON.stringify((error as { data?: unknown }).data)).toContain(uri);
  });

  it("completes database and table names of the table resource from the connection's catalog", async () => {
    const token = await server.mint();
    await using client = await connectModern(`${server.url}/${token}/mcp`);
    const db = harness().fixturesDatabase;
    const ref = { type: "ref/resource" as const, uri: "clickhouse://table/{database}/{table}" };
    const databases = await client.complete({ ref, argument: { name: "database", value: db.slice(0, 3) } });
    expect(databases.completion.values).toContain(db);
    for (const value of databases.completion.values) expect(value.startsWith(db.slice(0, 3))).toBe(true);
    const tables = await client.complete({
      ref,
      argument: { name: "table", value: "comm" },
      context: { arguments: { database: db } },
    });
    expect(tables.completion.values).toEqual(["commented"]);
    // LIKE wildcards in what was typed match themselves only.
    const wildcard = await client.complete({
      ref,
      argument: { name: "table", value: "%" },
      context: { arguments: { database: db } },
    });
    expect(wildcard.completion.values).toEqual([]);
    // Without the database argument there is nothing to complete a table from.
    const noDb = await client.complete({ ref, argument: { name: "table", value: "c" } });
    expect(noDb.completion.values).toEqual([]);
  });

  it("serves prompts built from the live schema, with completion of their database argument", async () => {
    const token = await server.mint();
    await using client = await connectModern(`${server.url}/${token}/mcp`);
    const db = harness().fixturesDatabase;
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(["explore_database", "write_query_for_question"]);

    const explore = await client.getPrompt({ name: "explore_database", arguments: { database: db } });
    const overview = (explore.messages[0]?.content as { text: string } | undefined)?.text ?? "";
    expect(overview).toContain(`Explore the ClickHouse database ${db}`);
    expect(overview).toMatch(/- big \(MergeTree, 3000000 rows, .*ORDER BY id/);
    expect(overview).toMatch(/- commented \(.*\) -- /);

    const query = await client.getPrompt({
      name: "write_query_for_question",
      arguments: { database: db, question: "Which planets in the commented table have moons?" },
    });
    expect((query.messages[0]?.content as { text: string } | undefined)?.text).toContain(
      "ClickHouse SQL hints",
    );
    const embedded = query.messages
      .slice(1)
      .map((m) => m.content as { type: string; resource: { uri: string; text: string } });
    expect(embedded[0]).toMatchObject({
      type: "resource",
      resource: { uri: `clickhouse://table/${db}/commented` },
    });
    expect(embedded[0]?.resource.text).toMatch(/^moons UInt16/m);

    const missing = await client
      .getPrompt({ name: "explore_database", arguments: { database: "no_such_db" } })
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: -32602 });
    expect(String((missing as Error).message)).toMatch(
      /"no_such_db" does not exist or this connection cannot see it/,
    );

    const completion = await client.complete({
      ref: { type: "ref/prompt", name: "explore_database" },
      argument: { name: "database", value: db.slice(0, 4) },
    });
    expect(completion.completion.values).toContain(db);
  });

  it("answers a bad token with 401 and the reason, which the pinned client surfaces", async () => {
    for (const url of [`${server.url}/mcp`, `${server.url}/${(await server.mint()).slice(0, -4)}AAAA/mcp`]) {
      const error = await connectModern(url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SdkHttpError);
      expect((error as SdkHttpError).message).toMatch(/401|token/i);
    }
    const raw = await modernRequest(`${server.url}/mcp`, "server/discover");
    expect(raw.status).toBe(401);
    expect(JSON.stringify(raw.json)).toMatch(/token/i);
  });

  it("counts every call against the per-token cap, whatever its Mcp-Method header claims", async () => {
    const capped = await startServer({ http: { maxConcurrentCallsPerToken: 2 } });
    const token = await capped.mint();
    const call = (id: number) =>
      fetch(`${capped.url}/${token}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          // A 2025-era request: nobody checks its headers against its body.
          "mcp-method": "subscriptions/listen",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "execute_query", arguments: { query: "SELECT sleep(1) AS s" } },
        }),
      }).then(async (r) => {
        await r.text();
        return r.status;
      });
    const statuses = await Promise.all([1, 2, 3, 4, 5].map(call));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(2);
  });

  it("acknowledges a subscription to list changes with nothing to deliver, and ends it at once", async () => {
    const token = await server.mint();
    const response = await fetch(`${server.url}/${token}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": MODERN,
        "mcp-method": "subscriptions/listen",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "subscriptions/listen",
        params: {
          notifications: { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true },
          _meta: {
            [PROTOCOL_VERSION_META_KEY]: MODERN,
            [CLIENT_INFO_META_KEY]: { name: "raw", version: "1" },
            [CLIENT_CAPABILITIES_META_KEY]: {},
          },
        },
      }),
    });
    expect(response.status).toBe(200);
    // The whole stream arrives: the server advertises no listChanged, so nothing is held open.
    const events = (await response.text()).split("\n").filter((line) => line.startsWith("data: "));
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[0]?.slice(6) ?? "{}")).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: {} },
    });
    expect(JSON.parse(events[1]?.slice(6) ?? "{}")).toMatchObject({
      id: 1,
      result: { resultType: "complete" },
    });
  });
});
