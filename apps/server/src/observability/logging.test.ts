import { harness } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  harnessClaims,
  markSensitive,
  mcpUrl,
  sensitiveValues,
  startTestServer,
  type TestServer,
} from "../test-support/http-fixture.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    generator: { enabled: true, operatorKey: "operator-key-for-logging-test" },
  });
});

afterAll(async () => {
  await server.close();
});

describe("logs at debug level", () => {
  it("carry access and tool-call lines, and no token, password or secret", async () => {
    const token = await server.mint();
    const readOnlyToken = await server.mint({ ...harnessClaims(), read_only: true });
    const sqlMarker = `sql-marker-${Date.now()}`;

    // Both transports, path and header tokens, successes and failures of every kind.
    for (const kind of ["sse", "http"] as const) {
      await using byPath = await connectClient(kind, mcpUrl(server.url, kind, token));
      await byPath.callTool({ name: "execute_query", arguments: { query: `SELECT '${sqlMarker}' AS m` } });
      await byPath.callTool({ name: "execute_query", arguments: { query: "SELECT * FROM no_such_table" } });
      await byPath.callTool({ name: "list_databases", arguments: {} });
      await byPath.readResource({ uri: "clickhouse://schema" });
      await using byHeader = await connectClient(kind, mcpUrl(server.url, kind), {
        headers: { Authorization: `Bearer ${readOnlyToken}` },
      });
      await byHeader.callTool({
        name: "describe_table",
        arguments: { database: "fixtures", table: "commented" },
      });
    }
    await fetch(`${server.url}/${token.slice(0, -3)}abc/sse`).then((r) => r.body?.cancel());
    await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { "X-Altinity-MCP-Key": `${token}x` },
      body: "{}",
    });
    const generated = await fetch(`${server.url}/jwe-token-generator`, {
      method: "POST",
      headers: { Authorization: "Bearer operator-key-for-logging-test", "Content-Type": "application/json" },
      body: JSON.stringify({ ...harnessClaims("admin"), expiry: 60 }),
    });
    const { token: minted } = (await generated.json()) as { token: string };
    markSensitive(minted, token.slice(0, -3));
    await fetch(`${server.url}/jwe-token-generator`, {
      method: "POST",
      headers: { Authorization: "Bearer wrong-operator-key", "Content-Type": "application/json" },
      body: "{}",
    });

    const logs = server.logText();
    expect(logs.length).toBeGreaterThan(0);
    for (const value of [
      ...sensitiveValues(),
      harness().users.admin.password,
      "wrong-operator-key",
      sqlMarker,
    ]) {
      expect(logs).not.toContain(value);
    }

    const lines = server.logLines();
    const access = lines.filter((l) => l.msg === "request");
    expect(access.length).toBeGreaterThan(10);
    for (const line of access) {
      expect(line).toEqual(
        expect.objectContaining({
          reqId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          method: expect.any(String),
          path: expect.stringMatching(
            /^\/(<redacted>(\/(sse|mcp|message))?|mcp|sse|message|jwe-token-generator)$/,
          ),
          status: expect.any(Number),
          durationMs: expect.any(Number),
        }),
      );
    }
    expect(access.some((l) => l.path === "/<redacted>/sse" && l.status === 200)).toBe(true);
    expect(access.some((l) => l.path === "/<redacted>/message" && l.status === 202)).toBe(true);
    expect(access.some((l) => l.path === "/<redacted>/sse" && l.status === 401)).toBe(true);

    const tools = lines.filter((l) => l.msg === "tool call");
    expect(tools.map((l) => `${l.tool}:${l.outcome}`)).toEqual(
      expect.arrayContaining([
        "execute_query:ok",
        "execute_query:error",
        "list_databases:ok",
        "describe_table:ok",
      ]),
    );
    for (const line of tools) expect(line.durationMs).toEqual(expect.any(Number));
    expect(tools.find((l) => l.outcome === "error")).toMatchObject({
      clickhouseCode: 60,
      clickhouseType: "UNKNOWN_TABLE",
    });
    const rejected = lines.filter((l) => l.msg === "token rejected");
    expect(rejected.length).toBe(2);
    for (const line of rejected) expect(line.reason).toMatch(/^TOKEN_[A-Z_]+$/);
  });
});
