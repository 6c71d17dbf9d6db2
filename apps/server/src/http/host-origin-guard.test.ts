import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { connectClient, eventually, mcpUrl, useTestServers } from "../test-support/http-fixture.js";

const start = useTestServers();

/** Reads an SSE response until `pattern` shows up in the text. */
async function readUntil(response: Response, pattern: RegExp): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  return text;
}

describe("CORS", () => {
  const origin = "http://app.example";

  it("answers preflight requests for the MCP endpoints", async () => {
    const server = await start({ http: { corsOrigin: origin } });
    const token = await server.mint();
    for (const path of [`/${token}/sse`, "/mcp", `/${token}/message`]) {
      const response = await fetch(`${server.url}${path}`, {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization,content-type,mcp-protocol-version",
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
        "x-altinity-mcp-key",
      );
      expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    }
  });

  it("keeps SSE streams working, with the CORS headers on them", async () => {
    const server = await start({ http: { corsOrigin: origin } });
    const token = await server.mint();
    const response = await fetch(`${server.url}/${token}/sse`, {
      headers: { Accept: "text/event-stream", Origin: origin },
    });
    try {
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(await readUntil(response, /event: endpoint\ndata: \S+\n\n/)).toMatch(/message\?sessionId=/);
    } finally {
      await response.body?.cancel();
    }
    await using client = await connectClient("sse", mcpUrl(server.url, "sse", token), {
      headers: { Origin: origin },
    });
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT 1 AS x" },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
  });

  it("puts the CORS headers on refusals too, so browser clients can read them", async () => {
    const server = await start({ http: { corsOrigin: origin } });
    const response = await fetch(`${server.url}/bad.token.not.a.jwe/mcp`, {
      method: "POST",
      headers: { Origin: origin },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe(origin);
    expect(response.headers.get("access-control-expose-headers")?.toLowerCase()).toContain(
      "www-authenticate",
    );
  });

  it("sends no CORS headers when no origin is configured", async () => {
    const server = await start();
    const response = await fetch(`${server.url}/livez`, { headers: { Origin: origin } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("Host and Origin allow-lists (DNS rebinding)", () => {
  it("refuses a Host that is not listed", async () => {
    const allowed = await start({ http: { allowedHosts: ["127.0.0.1"] } });
    expect((await fetch(`${allowed.url}/livez`)).status).toBe(200);
    const refused = await start({ http: { allowedHosts: ["mcp.example.com"] } });
    const response = await fetch(`${refused.url}/livez`);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: "forbidden" });
  });

  it("refuses an Origin that is not listed, and lets requests without Origin through", async () => {
    const server = await start({ http: { allowedOrigins: ["http://good.example"] } });
    const token = await server.mint();
    expect((await fetch(`${server.url}/livez`, { headers: { Origin: "http://evil.example" } })).status).toBe(
      403,
    );
    expect((await fetch(`${server.url}/livez`, { headers: { Origin: "http://good.example" } })).status).toBe(
      200,
    );
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);
    const sse = await fetch(`${server.url}/${token}/sse`, { headers: { Origin: "http://evil.example" } });
    expect(sse.status).toBe(403);
  });
});

describe("request body limit", () => {
  it("answers 413 above the limit, with or without Content-Length", async () => {
    const server = await start({ http: { maxBodyBytes: 1024 } });
    const token = await server.mint();
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(2048) } });
    for (const path of [`/${token}/mcp`, `/${token}/message?sessionId=x`, "/jwe-token-generator"]) {
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
        body: big,
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ error: "payload_too_large" });
    }
    const chunked = await fetch(`${server.url}/${token}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });
});

describe("SSE sessions", () => {
  it("refuses sessions beyond the cap with 503 and a clear error", async () => {
    const server = await start({ http: { maxSseSessions: 2 } });
    const token = await server.mint();
    await using first = await connectClient("sse", mcpUrl(server.url, "sse", token));
    const second = await connectClient("sse", mcpUrl(server.url, "sse", token));
    const refused = await fetch(`${server.url}/${token}/sse`, { headers: { Accept: "text/event-stream" } });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: "too_many_sessions" });
    await second.close();
    const deadline = Date.now() + 5000;
    let status = 503;
    while (status === 503 && Date.now() < deadline) {
      const again = await fetch(`${server.url}/${token}/sse`, { headers: { Accept: "text/event-stream" } });
      status = again.status;
      await again.body?.cancel();
      if (status === 503) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
    expect((await first.listTools()).tools.length).toBeGreaterThan(0);
  });

  it("sends keep-alive comments", async () => {
    const server = await start({ http: { sseKeepAliveMs: 50 } });
    const token = await server.mint();
    const response = await fetch(`${server.url}/${token}/sse`, { headers: { Accept: "text/event-stream" } });
    try {
      const text = await readUntil(response, /: keep-alive\n\n[\s\S]*: keep-alive\n\n/);
      expect(text.startsWith("event: endpoint\n")).toBe(true);
    } finally {
      await response.body?.cancel();
    }
  });
});

describe("shutdown", () => {
  it("refuses new work, lets a running call finish, then ends the SSE streams", async () => {
    const server = await start();
    const token = await server.mint();
    await using client = await connectClient("sse", mcpUrl(server.url, "sse", token));
    const call = client.callTool({ name: "execute_query", arguments: { query: "SELECT sleep(1) AS slept" } });
    // Let the call reach ClickHouse before shutting down.
    const deadline = Date.now() + 5000;
    while (server.pool.stats().inFlight === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const shutdown = server.serverApp.shutdown(10_000);
    const refused = await fetch(`${server.url}/${token}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: "{}",
    });
    expect(refused.status).toBe(503);
    const result = (await call) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ rowCount: 1 });
    await shutdown;
    expect(server.metrics.render()).toMatch(/mcp_sse_sessions_open 0/);
    expect(server.logLines().filter((l) => l.msg === "SSE session closed")).toHaveLength(1);
  });

  it("cancels calls still running when the grace period ends", async () => {
    const server = await start();
    const token = await server.mint();
    await using client = await connectClient("http", mcpUrl(server.url, "http", token));
    const call = client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT count() FROM numbers(100000000000) WHERE NOT ignore(sipHash64(number))" },
    });
    call.catch(() => {});
    const deadline = Date.now() + 5000;
    while (server.pool.stats().inFlight === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await server.serverApp.shutdown(200);
    await eventually(
      () => server.logLines().some((l) => l.msg === "tool call" && l.outcome === "cancelled"),
      "the call is logged as cancelled",
    );
    expect(
      server.logLines().some((l) => l.msg === "grace period over: cancelling requests still running"),
    ).toBe(true);
  });
});
