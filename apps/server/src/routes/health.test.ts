import { createServer } from "node:net";
import { harness } from "@mcp/test-harness";
import { describe, expect, it } from "vitest";
import { connectClient, mcpUrl, useTestServers } from "../test-support/http-fixture.js";

const start = useTestServers();

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("/health and /livez", () => {
  it("with JWE: ok, version and auth mode, without touching any ClickHouse", async () => {
    const server = await start({ clickhouse: { port: await closedPort() } });
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ok",
      version: "0.0.0-test",
      auth: "jwe",
      transports: ["sse", "http"],
    });
  });

  it("without JWE: checks the configured ClickHouse, 503 when it is down", async () => {
    const up = await start({ jwe: { allow: false, jweSecretKeys: [] } });
    const ok = await fetch(`${up.url}/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: "ok", auth: "none", clickhouse: "ok" });

    const down = await start({
      jwe: { allow: false, jweSecretKeys: [] },
      clickhouse: { port: await closedPort() },
    });
    const failed = await fetch(`${down.url}/health`);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({
      status: "error",
      clickhouse: "unavailable",
      reason: "CONNECT_FAILED",
    });

    const wrongPassword = await start({
      jwe: { allow: false, jweSecretKeys: [] },
      clickhouse: { password: "definitely-wrong-password" },
    });
    const refused = await fetch(`${wrongPassword.url}/health`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ reason: "AUTH_FAILED" });
  });

  it("livez answers whatever ClickHouse does", async () => {
    const server = await start({
      jwe: { allow: false, jweSecretKeys: [] },
      clickhouse: { port: await closedPort() },
    });
    const response = await fetch(`${server.url}/livez`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers 503 once shutdown has begun", async () => {
    const server = await start();
    await server.serverApp.shutdown(100);
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "shutting_down" });
  });
});

describe("/metrics", () => {
  it("exposes requests, tool calls, latency, pool stats, SSE sessions and rejections, with no token in any label", async () => {
    const server = await start();
    const token = await server.mint();
    await fetch(`${server.url}/not.a.token.at.all/sse`).then((r) => r.body?.cancel());
    await fetch(`${server.url}/not-a-token/sse`).then((r) => r.body?.cancel()); // no token route: 404
    await using sse = await connectClient("sse", mcpUrl(server.url, "sse", token));
    await sse.callTool({ name: "execute_query", arguments: { query: "SELECT 1" } });
    await sse.callTool({
      name: "execute_query",
      arguments: { query: "SELECT * FROM no_such_table_anywhere" },
    });

    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/mcp_http_requests_total\{method="GET",route="\/<redacted>\/sse",status="200"\} 1/);
    expect(text).toMatch(/mcp_http_requests_total\{method="GET",route="\/<redacted>\/sse",status="401"\} 1/);
    expect(text).toMatch(/mcp_tool_calls_total\{tool="execute_query",outcome="ok"\} 1/);
    expect(text).toMatch(/mcp_tool_calls_total\{tool="execute_query",outcome="error"\} 1/);
    expect(text).toMatch(/mcp_tool_call_duration_seconds_count\{tool="execute_query"\} 2/);
    expect(text).toMatch(/mcp_tool_call_duration_seconds_bucket\{tool="execute_query",le="\+Inf"\} 2/);
    expect(text).toMatch(/mcp_http_requests_total\{method="GET",route="\/<redacted>\/sse",status="404"\} 1/);
    expect(text).toMatch(/mcp_token_rejections_total\{reason="TOKEN_MALFORMED"\} 1/);
    expect(text).toMatch(/mcp_sse_sessions_open 1/);
    expect(text).toMatch(/mcp_clickhouse_pool_size 1/);
    expect(text).toMatch(/mcp_clickhouse_pool_evictions_lru 0/);
    expect(text).not.toContain(token);
    expect(text).not.toContain(harness().users.password.password);
    expect(text).not.toContain("not-a-token");
    expect(text).not.toContain("not.a.token");
  });
});
