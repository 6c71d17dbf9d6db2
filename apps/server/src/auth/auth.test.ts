import { randomBytes } from "node:crypto";
import { mintToken } from "@mcp/jwe";
import { harness } from "@mcp/test-harness";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  harnessClaims,
  JWE_SECRET,
  JWT_SECRET,
  markSensitive,
  mcpUrl,
  type TestServer,
  useTestServers,
} from "../test-support/http-fixture.js";

/** Shaped like a compact JWE (so it reaches the token routes), but no token. */
const MALFORMED = "bad.token.not.a.jwe";

const extraServer = useTestServers();
let server: TestServer;

beforeAll(async () => {
  server = await extraServer();
});

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

/** Opens the legacy SSE stream by hand; returns the response (whose body the caller must cancel). */
async function openSse(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers: { Accept: "text/event-stream", ...headers } });
}

async function endpointOf(response: Response): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  const match = /event: endpoint\ndata: (\S+)\n\n/.exec(text);
  if (!match?.[1]) throw new Error("no endpoint event");
  return match[1];
}

function postMcp(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(INITIALIZE),
  });
}

async function expect401(response: Response, description: RegExp): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe("invalid_token");
  expect(body.error_description).toMatch(description);
}

function tamper(token: string): string {
  const parts = token.split(".");
  const ciphertext = parts[3] as string;
  const flipped = ciphertext[5] === "A" ? "B" : "A";
  parts[3] = `${ciphertext.slice(0, 5)}${flipped}${ciphertext.slice(6)}`;
  return parts.join(".");
}

describe("every way a token is refused, on both transports, before any stream opens", () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    ["malformed", async () => MALFORMED, /malformed/],
    [
      "expiring beyond the maximum token lifetime",
      async () => {
        const token = await mintToken(
          { ...harnessClaims(), exp: 253_402_300_799 }, // 9999-12-31
          { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET, maxTokenLifetime: Number.MAX_SAFE_INTEGER },
        );
        markSensitive(token);
        return token;
      },
      /maximum token lifetime/,
    ],
    ["tampered", async () => tamper(await server.mint()), /decrypted|malformed/],
    [
      "encrypted with another secret",
      async () => {
        const other = `other-${randomBytes(8).toString("hex")}`;
        markSensitive(other);
        const token = await mintToken(harnessClaims(), { jweSecret: other, jwtSecret: JWT_SECRET });
        markSensitive(token);
        return token;
      },
      /decrypted/,
    ],
    [
      "unsigned while a JWT secret is configured",
      () => server.mint(harnessClaims(), { jwtSecret: null }),
      /must be signed/,
    ],
    [
      "signed with another JWT secret",
      async () => {
        const other = `other-${randomBytes(8).toString("hex")}`;
        markSensitive(other);
        return server.mint(harnessClaims(), { jwtSecret: other });
      },
      /signature invalid/,
    ],
    [
      "expired",
      async () => {
        const token = await mintToken(harnessClaims(), {
          jweSecret: JWE_SECRET,
          jwtSecret: JWT_SECRET,
          currentDate: new Date(Date.now() - 7200_000),
        });
        markSensitive(token);
        return token;
      },
      /expired/,
    ],
    [
      "not yet valid",
      () => server.mint({ ...harnessClaims(), nbf: Math.floor(Date.now() / 1000) + 3600 }),
      /not yet valid/,
    ],
    [
      "without a host",
      () =>
        server.mint({
          username: harness().users.password.username,
          password: harness().users.password.password,
        }),
      /claims invalid: host required/,
    ],
  ];

  it.each(cases)("%s: SSE in the path", async (_name, make, description) => {
    const token = await make();
    await expect401(await openSse(`${server.url}/${token}/sse`), description);
  });

  it.each(cases)("%s: Streamable HTTP in a header", async (_name, make, description) => {
    const token = await make();
    await expect401(await postMcp(`${server.url}/mcp`, { Authorization: `Bearer ${token}` }), description);
    await expect401(await postMcp(`${server.url}/${token}`), description);
  });

  it("missing token", async () => {
    await expect401(await openSse(`${server.url}/sse`), /missing/);
    await expect401(await postMcp(`${server.url}/mcp`), /missing/);
    await expect401(
      await fetch(`${server.url}/message?sessionId=x`, { method: "POST", body: "{}" }),
      /missing/,
    );
  });

  it("too large", async () => {
    const small = await extraServer({ jwe: { maxTokenBytes: 200 } });
    const token = await small.mint();
    await expect401(await openSse(`${small.url}/${token}/sse`), /too large/);
    await expect401(await postMcp(`${small.url}/mcp`, { "X-Altinity-MCP-Key": token }), /too large/);
  });

  it("each SDK client surfaces a refused token as 401, with the reason where the client shows the body", async () => {
    const expired = await server.mint(undefined, { expiresIn: 60 });
    server.clock.advance(3600);
    try {
      // v1 over Streamable HTTP (2025-11-25) shows the body.
      const http = await connectClient("http", `${server.url}/${expired}/mcp`).catch((e: Error) => e);
      expect(String(http)).toContain('"error_description":"token expired"');
      // v2 pinned to 2026-07-28: a typed 401 carrying the body; never taken for a 2025-only server.
      const modern = new ModernClient(
        { name: "t", version: "1" },
        { versionNegotiation: { mode: { pin: "2026-07-28" } } },
      );
      const v2 = await modern
        .connect(new ModernTransport(new URL(`${server.url}/${expired}/mcp`)))
        .catch((e: unknown) => e);
      expect(v2).toMatchObject({ code: "CLIENT_HTTP_AUTHENTICATION", data: { status: 401 } });
      expect((v2 as { data: { text: string } }).data.text).toContain('"error_description":"token expired"');
      // v1 over SSE reports the status only; the same reason is in the body it did not show.
      const sse = await connectClient("sse", `${server.url}/${expired}/sse`).catch((e: Error) => e);
      expect(String(sse)).toMatch(/401/);
      await expect401(await openSse(`${server.url}/${expired}/sse`), /token expired/);
    } finally {
      server.clock.advance(-3600);
    }
  });

  it("the SDK clients fail to connect with a bad token", async () => {
    await expect(connectClient("sse", `${server.url}/${MALFORMED}/sse`)).rejects.toThrow(/401/);
    await expect(connectClient("http", `${server.url}/${MALFORMED}/mcp`)).rejects.toThrow(
      /401|invalid_token/,
    );
  });

  it("counts rejections by reason in the metrics", async () => {
    await openSse(`${server.url}/${MALFORMED}/sse`).then((r) => r.body?.cancel());
    expect(server.metrics.render()).toMatch(/mcp_token_rejections_total\{reason="TOKEN_MALFORMED"\} [1-9]/);
  });
});

describe("header tokens and precedence", () => {
  it("accepts Authorization: Bearer and X-Altinity-MCP-Key on /sse and /mcp", async () => {
    const token = await server.mint();
    for (const kind of ["sse", "http"] as const) {
      const variants: Record<string, string>[] = [
        { Authorization: `Bearer ${token}` },
        { "X-Altinity-MCP-Key": token },
      ];
      for (const headers of variants) {
        await using client = await connectClient(kind, mcpUrl(server.url, kind), { headers });
        const result = (await client.callTool({
          name: "execute_query",
          arguments: { query: "SELECT 1 AS one" },
        })) as CallToolResult;
        expect(result.isError).toBeFalsy();
      }
    }
  });

  it("uses the path token first, then Authorization, then X-Altinity-MCP-Key", async () => {
    const good = await server.mint();
    // path wins over headers
    expect((await postMcp(`${server.url}/${good}/mcp`, { Authorization: "Bearer bad" })).status).toBe(200);
    await expect401(
      await postMcp(`${server.url}/${MALFORMED}/mcp`, { Authorization: `Bearer ${good}` }),
      /malformed/,
    );
    // Authorization wins over X-Altinity-MCP-Key
    expect(
      (await postMcp(`${server.url}/mcp`, { Authorization: `Bearer ${good}`, "X-Altinity-MCP-Key": "bad" }))
        .status,
    ).toBe(200);
    await expect401(
      await postMcp(`${server.url}/mcp`, { Authorization: "Bearer bad", "X-Altinity-MCP-Key": good }),
      /malformed/,
    );
    // another Authorization scheme is not a token
    expect(
      (
        await postMcp(`${server.url}/mcp`, {
          Authorization: "Basic dXNlcjpwdw==",
          "X-Altinity-MCP-Key": good,
        })
      ).status,
    ).toBe(200);
  });

  it("serves Streamable HTTP at /<token> as the reference does, and refuses GET/DELETE (stateless)", async () => {
    const token = await server.mint();
    await using client = await connectClient("http", `${server.url}/${token}`);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    for (const method of ["GET", "DELETE"]) {
      const response = await fetch(`${server.url}/${token}/mcp`, {
        method,
        headers: { Accept: "text/event-stream" },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
    }
  });
});

describe("SSE sessions are bound to their token", () => {
  it("refuses a POST with another token (403), an unknown session (404) and no token (401)", async () => {
    const tokenA = await server.mint();
    const tokenB = await server.mint({ ...harnessClaims(), read_only: true });
    const stream = await openSse(`${server.url}/${tokenA}/sse`);
    try {
      expect(stream.status).toBe(200);
      const endpoint = await endpointOf(stream);
      expect(endpoint).toMatch(
        new RegExp(`^/${tokenA.replace(/[.]/g, "\\.")}/message\\?sessionId=[0-9a-f-]{36}$`),
      );
      const sessionId = new URL(endpoint, server.url).searchParams.get("sessionId");
      const post = (path: string, headers: Record<string, string> = {}) =>
        fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...headers },
          body: JSON.stringify(INITIALIZE),
        });

      const other = await post(`/${tokenB}/message?sessionId=${sessionId}`);
      expect(other.status).toBe(403);
      expect(await other.json()).toMatchObject({ error: "forbidden" });
      expect(
        (await post(`/message?sessionId=${sessionId}`, { Authorization: `Bearer ${tokenB}` })).status,
      ).toBe(403);
      expect((await post(`/${tokenA}/message?sessionId=00000000-0000-0000-0000-000000000000`)).status).toBe(
        404,
      );
      expect((await post(`/message?sessionId=${sessionId}`)).status).toBe(401);
      // the same token, in a header instead of the path, is the same session owner
      expect((await post(`/message?sessionId=${sessionId}`, { "X-Altinity-MCP-Key": tokenA })).status).toBe(
        202,
      );
      expect((await post(endpoint)).status).toBe(202);
    } finally {
      await stream.body?.cancel();
    }
  });

  it("stops a session's new requests once its token expires", async () => {
    const clockServer = await extraServer();
    const token = await clockServer.mint(harnessClaims(), { expiresIn: 60 });
    await using sse = await connectClient("sse", mcpUrl(clockServer.url, "sse", token));
    await using http = await connectClient("http", mcpUrl(clockServer.url, "http", token));
    const query = { name: "execute_query", arguments: { query: "SELECT 1" } };
    expect(((await sse.callTool(query)) as CallToolResult).isError).toBeFalsy();
    expect(((await http.callTool(query)) as CallToolResult).isError).toBeFalsy();
    clockServer.clock.advance(120);
    await expect(sse.callTool(query)).rejects.toThrow(/401/);
    await expect(http.callTool(query)).rejects.toThrow();
    expect(clockServer.metrics.render()).toMatch(
      /mcp_token_rejections_total\{reason="TOKEN_EXPIRED"\} [1-9]/,
    );
  });
});

describe("connection from the token", () => {
  it("with fillFromDefault, fills a token without host from the operator's ClickHouse", async () => {
    const filling = await extraServer({ jwe: { fillFromDefault: true } });
    const token = await filling.mint({});
    await using client = await connectClient("http", mcpUrl(filling.url, "http", token));
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT currentUser() AS user" },
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ rows: [{ user: harness().users.password.username }] });
  });

  it("never fills the operator's credentials into a token naming another host", async () => {
    const filling = await extraServer({ jwe: { fillFromDefault: true } });
    // "localhost" reaches the same ClickHouse, but it is not the operator's host as configured.
    const token = await filling.mint({ host: "localhost", port: harness().httpPort });
    await using client = await connectClient("http", mcpUrl(filling.url, "http", token));
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT currentUser() AS user" },
    })) as CallToolResult;
    // ClickHouse's own default user, not the operator's.
    expect(result.structuredContent).toMatchObject({ rows: [{ user: "default" }] });
  });

  it("accepts tokens encrypted with a previous JWE secret (rotation)", async () => {
    const previous = `previous-${randomBytes(8).toString("hex")}`;
    const rotated = await extraServer({
      jwe: { jweSecretKeys: [`current-${randomBytes(8).toString("hex")}`, previous] },
    });
    const token = await mintToken(harnessClaims(), { jweSecret: previous, jwtSecret: JWT_SECRET });
    markSensitive(previous, token);
    await using client = await connectClient("sse", mcpUrl(rotated.url, "sse", token));
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });
});

describe("without JWE", () => {
  it("serves /sse and /mcp with the configured ClickHouse and has no token routes", async () => {
    const open = await extraServer({ jwe: { allow: false, jweSecretKeys: [] } });
    for (const kind of ["sse", "http"] as const) {
      await using client = await connectClient(kind, mcpUrl(open.url, kind));
      const result = (await client.callTool({
        name: "execute_query",
        arguments: { query: "SELECT currentUser() AS user" },
      })) as CallToolResult;
      expect(result.structuredContent).toMatchObject({ rows: [{ user: harness().users.password.username }] });
    }
    const token = await server.mint();
    expect((await openSse(`${open.url}/${token}/sse`)).status).toBe(404);
  });
});
