// MCP sessions whose token says `protocol: "tcp"`: the tools run over ClickHouse's native
// protocol, plain and (the reference documentation's TLS example) through a TLS front of the
// native port, with the token minted by the token CLI.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ConnectionClaims } from "@mcp/jwe";
import { FIXTURE_TABLES, harness, startTlsProxy, type TlsProxy } from "@mcp/test-harness";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  harnessClaims,
  JWE_SECRET,
  JWT_SECRET,
  markSensitive,
  mcpUrl,
  sensitiveValues,
  startTestServer,
  type TestServer,
  type TransportKind,
} from "../test-support/http-fixture.js";

/** The token generator CLI, built by `pnpm turbo run build --filter=@mcp/token-cli...`. */
const TOKEN_CLI = fileURLToPath(new URL("../../../token-cli/dist/cli.js", import.meta.url));

let server: TestServer;
let mutual: TlsProxy;

beforeAll(async () => {
  [server, mutual] = await Promise.all([
    startTestServer(),
    startTlsProxy({ targetPort: harness().tcpPort, mode: "tcp", requireClientCert: true }),
  ]);
});

afterAll(async () => {
  await Promise.all([server?.close(), mutual?.close()]);
  const logs = server.logText();
  for (const value of sensitiveValues()) expect(logs).not.toContain(value);
});

function tcpClaims(): ConnectionClaims {
  return { ...harnessClaims("password"), port: harness().tcpPort, protocol: "tcp" };
}

async function call(
  client: Awaited<ReturnType<typeof connectClient>>,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
}

/** A result without what differs between two runs of the same query. */
function comparable(result: Record<string, unknown>) {
  const { queryId: _queryId, statistics: _statistics, ...rest } = result;
  return rest;
}

// `interface` in system.processes: 1 for the native protocol, 2 for HTTP.
const INTERFACE = "SELECT interface FROM system.processes WHERE query_id = queryID()";
const TYPES = `SELECT * FROM ${FIXTURE_TABLES.types} ORDER BY id`;

describe.each<TransportKind>(["http", "sse"])("a protocol: tcp token over %s", (kind) => {
  it("runs execute_query, list_tables and describe_table over the native protocol, as an HTTP token does", async () => {
    const tcpToken = await server.mint(tcpClaims());
    const httpToken = await server.mint(harnessClaims("password"));
    await using tcp = await connectClient(kind, mcpUrl(server.url, kind, tcpToken));
    await using http = await connectClient(kind, mcpUrl(server.url, kind, httpToken));

    expect((await call(tcp, "execute_query", { query: INTERFACE })).rows).toEqual([{ interface: 1 }]);
    expect((await call(http, "execute_query", { query: INTERFACE })).rows).toEqual([{ interface: 2 }]);

    const types = await call(tcp, "execute_query", { query: TYPES });
    expect(types.rowCount).toBe(3);
    expect(comparable(types)).toEqual(comparable(await call(http, "execute_query", { query: TYPES })));

    // The server's row cap (500) cuts the big table over either protocol at the same row.
    const big = `SELECT * FROM ${FIXTURE_TABLES.big} ORDER BY id`;
    const capped = await call(tcp, "execute_query", { query: big });
    expect(capped).toMatchObject({ rowCount: 500, truncated: { reason: "rows", limit: 500 } });
    expect(comparable(capped)).toEqual(comparable(await call(http, "execute_query", { query: big })));

    const database = harness().fixturesDatabase;
    const tables = await call(tcp, "list_tables", { database, like: "big%" });
    expect((tables.tables as { name: string }[]).map((t) => t.name)).toEqual(["big", "big_view"]);
    expect(tables).toEqual(await call(http, "list_tables", { database, like: "big%" }));

    const described = await call(tcp, "describe_table", { database, table: "commented" });
    expect(described).toMatchObject({ comment: "Planets of the solar system" });
    expect(described).toEqual(await call(http, "describe_table", { database, table: "commented" }));
  });

  it("reports ClickHouse errors of a tcp session as tool errors with the server's code", async () => {
    const token = await server.mint(tcpClaims());
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT * FROM fixtures.no_such_table" },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/QUERY_FAILED.*60.*UNKNOWN_TABLE/);
  });
});

describe("the reference documentation's TLS example", () => {
  it("a token minted by the CLI with --protocol=tcp --tls and a CA and client certificate gives a working MCP session", async () => {
    const { username, password } = harness().users.password;
    const token = execFileSync(
      process.execPath,
      [
        TOKEN_CLI,
        `--jwe-secret-key=${JWE_SECRET}`,
        `--jwt-secret-key=${JWT_SECRET}`,
        "--host=localhost",
        `--port=${mutual.port}`,
        `--database=${harness().fixturesDatabase}`,
        `--username=${username}`,
        `--password=${password}`,
        "--protocol=tcp",
        "--tls",
        `--tls-ca-cert=${mutual.caCertPath}`,
        `--tls-client-cert=${mutual.clientCertPath}`,
        `--tls-client-key=${mutual.clientKeyPath}`,
        "--expiry=3600",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    ).trim();
    markSensitive(token);

    for (const kind of ["http", "sse"] as const) {
      await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
      const result = await call(client, "execute_query", {
        query: `SELECT currentDatabase() AS db, count() AS planets FROM commented`,
      });
      expect(result.rows).toEqual([{ db: harness().fixturesDatabase, planets: "4" }]);
      expect((await call(client, "execute_query", { query: INTERFACE })).rows).toEqual([{ interface: 1 }]);
      const tables = await call(client, "list_tables", { database: harness().fixturesDatabase });
      expect((tables.tables as { name: string }[]).map((t) => t.name)).toContain("commented");
      const described = await call(client, "describe_table", {
        database: harness().fixturesDatabase,
        table: "commented",
      });
      expect((described.columns as unknown[]).length).toBe(4);
    }
  });
});
