/**
 * The attacks of the "secure by default" review, replayed against the real binary started the way
 * an operator starts it (CLICKHOUSE_HOST/PORT of a write-capable user, JWE on, nothing else
 * hardened, 127.0.0.1) and the embedded ClickHouse. Each test names the finding it guards.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { type MintableClaims, mintToken } from "@mcp/jwe";
import { harness } from "@mcp/test-harness";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mcpReply, postMcp, toolCallMessage, waitUntil } from "../../src/test-support/reliability.js";
import { cleanEnv, type ServerProcess, spawnServer } from "../../src/test-support/spawn-server.js";

const JWE = `jwe-${randomBytes(16).toString("hex")}`;
const JWT = `jwt-${randomBytes(16).toString("hex")}`;
const DAY = 86_400;
const CALL_CAP = 8;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these headers: fetch cannot set Host, an attacker's browser sets its own. */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
        // An SSE stream never ends by itself: the first bytes say enough.
        if (res.headers["content-type"] === "text/event-stream") res.destroy();
      });
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      res.on("end", done);
      res.on("close", done);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

function operatorEnv(extra: Record<string, string> = {}): Record<string, string> {
  const h = harness();
  return cleanEnv({
    CLICKHOUSE_HOST: h.host,
    CLICKHOUSE_PORT: String(h.httpPort),
    CLICKHOUSE_USERNAME: h.users.password.username,
    CLICKHOUSE_PASSWORD: h.users.password.password,
    MCP_ALLOW_JWE_AUTH: "true",
    MCP_JWE_SECRET_KEY: JWE,
    MCP_JWT_SECRET_KEY: JWT,
    MCP_TRANSPORT: "sse,http",
    MCP_PORT: "0",
    LOG_LEVEL: "debug",
    ...extra,
  });
}

function claims(extra: MintableClaims = {}): MintableClaims {
  const h = harness();
  return {
    host: h.host,
    port: h.httpPort,
    username: h.users.password.username,
    password: h.users.password.password,
    ...extra,
  };
}

const minted: string[] = [];
async function mint(extra: MintableClaims = {}, expiresIn = 3600): Promise<string> {
  const token = await mintToken(claims(extra), {
    jweSecret: JWE,
    jwtSecret: JWT,
    expiresIn,
    maxTokenLifetime: Number.MAX_SAFE_INTEGER, // the tests mint what an attacker would
  });
  minted.push(token);
  return token;
}

async function sseSessionsOpen(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^mcp_sse_sessions_open (\d+)$/m.exec(text)?.[1]);
}

/** Opens `GET path` on a raw socket and resolves once the SSE endpoint event has arrived. */
function openRawSse(base: string, path: string): Promise<Socket> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let seen = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      seen += chunk;
      if (seen.includes("event: endpoint")) resolve(socket);
    });
    socket.once("error", reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`);
  });
}

let server: ServerProcess;
let base: string;
let port: string;

beforeAll(async () => {
  server = spawnServer([], {
    env: operatorEnv({ MCP_JWE_CLOCK_TOLERANCE: "0", MCP_MAX_SSE_SESSIONS_PER_TOKEN: "3" }),
  });
  base = await server.listening(30_000);
  port = new URL(base).port;
}, 40_000);

afterAll(async () => {
  const logs = server.stderr();
  const h = harness();
  for (const secret of [JWE, JWT, h.users.password.password, ...minted]) expect(logs).not.toContain(secret);
  await server[Symbol.asyncDispose]();
});

describe("1. nobody mints tokens on a default server", () => {
  it("has no token generator unless the operator turns it on", async () => {
    for (const contentType of ["application/json", "text/plain"]) {
      const response = await fetch(`${base}/jwe-token-generator`, {
        method: "POST",
        headers: { "Content-Type": contentType },
        body: JSON.stringify({ host: "127.0.0.1", username: "default", expiry: 31_536_000 }),
      });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('token"');
    }
  });
});

describe("1. DNS rebinding: foreign Host and Origin are refused before anything runs", () => {
  it("refuses a foreign Host, a loopback name with another port, and a foreign or null Origin", async () => {
    const token = await mint();
    const targets: [string, string, string?][] = [
      ["GET", "/livez"],
      ["POST", `/${token}/mcp`, JSON.stringify(toolCallMessage(1, "list_databases", {}))],
      ["GET", `/${token}/sse`],
      ["POST", "/jwe-token-generator", "{}"],
    ];
    const refusals: Record<string, string>[] = [
      { Host: `evil.example:${port}` },
      { Host: "evil.example" },
      { Host: `127.0.0.1.nip.io:${port}` },
      { Host: `localhost:${Number(port) + 1}` },
      { Host: `127.0.0.1:${port}`, Origin: "http://evil.example" },
      { Host: `127.0.0.1:${port}`, Origin: "null" },
      { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1.evil.example:${port}` },
    ];
    for (const [method, path, body] of targets) {
      for (const headers of refusals) {
        const response = await raw(`${base}${path}`, {
          method,
          headers: {
            ...headers,
            "Content-Type": "application/json",
            Accept: "application/json, text/event-stream",
          },
          ...(body && { body }),
        });
        expect(response.status, `${method} ${path.slice(0, 12)} ${JSON.stringify(headers)}`).toBe(403);
        expect(response.headers["content-type"]).toBe("application/json");
      }
    }
    expect(await sseSessionsOpen(base)).toBe(0);
  });

  it("serves loopback names with the listening port, and loopback origins", async () => {
    const local: Record<string, string>[] = [
      { Host: `127.0.0.1:${port}` },
      { Host: `localhost:${port}` },
      { Host: `LOCALHOST:${port}`, Origin: "http://localhost:6274" },
      { Host: `127.0.0.1:${port}`, Origin: "https://127.0.0.1" },
    ];
    for (const headers of local) {
      expect((await raw(`${base}/livez`, { headers })).status, JSON.stringify(headers)).toBe(200);
    }
  });
});

describe("6. a token's lifetime is bounded (30 days by default)", () => {
  it("refuses tokens that expire in the year 9999 or beyond 30 days, naming the reason", async () => {
    for (const token of [await mint({ exp: 253_402_300_799 }), await mint({}, 31 * DAY)]) {
      const response = await postMcp(`${base}/${token}/mcp`, toolCallMessage(1, "list_databases", {}));
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      expect(await response.json()).toEqual({
        error: "invalid_token",
        error_description: "token expires later than the server's maximum token lifetime allows",
      });
    }
    const month = await mint({}, 29 * DAY);
    expect((await postMcp(`${base}/${month}/mcp`, toolCallMessage(1, "list_databases", {}))).status).toBe(
      200,
    );
  });
});

describe("3. every way an SSE client can vanish frees its session", () => {
  it("never opens a session for HEAD, so HEAD floods cannot exhaust the caps", async () => {
    const token = await mint();
    for (let i = 0; i < 40; i++) {
      const response = await raw(`${base}/${token}/sse`, { method: "HEAD" });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe("GET");
    }
    expect(
      (await raw(`${base}/sse`, { method: "HEAD", headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(405);
    expect(await sseSessionsOpen(base)).toBe(0);
    // The per-token cap (3 here) is untouched: a real session still opens.
    const socket = await openRawSse(base, `/${token}/sse`);
    expect(await sseSessionsOpen(base)).toBe(1);
    socket.end();
    await waitUntil(async () => (await sseSessionsOpen(base)) === 0, "the session is released");
  });

  it("releases sessions whose client resets or destroys the connection", async () => {
    const token = await mint();
    const sockets = await Promise.all([1, 2, 3].map(() => openRawSse(base, `/${token}/sse`)));
    expect(await sseSessionsOpen(base)).toBe(3);
    sockets[0]!.resetAndDestroy();
    sockets[1]!.destroy();
    sockets[2]!.end();
    await waitUntil(async () => (await sseSessionsOpen(base)) === 0, "every session is released");
    // The cap of 3 per token is free again.
    const again = await Promise.all([1, 2, 3].map(() => openRawSse(base, `/${token}/sse`)));
    for (const socket of again) socket.resetAndDestroy();
    await waitUntil(async () => (await sseSessionsOpen(base)) === 0, "every session is released");
  });

  it("9. ends an open SSE stream when its token expires", async () => {
    const token = await mint({}, 2);
    const response = await fetch(`${base}/${token}/sse`, { headers: { Accept: "text/event-stream" } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = "";
    const ended = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return text;
        text += new TextDecoder().decode(value);
      }
    })();
    // Behaviour, not timing: the server, not the test, ends the stream (the bound only stops a hang).
    const outcome = await Promise.race([
      ended.then(() => "ended"),
      new Promise((resolve) => setTimeout(() => resolve("still open"), 20_000)),
    ]);
    expect(outcome).toBe("ended");
    expect(text).toContain("event: endpoint");
    await server.waitForLog((l) => l.msg === "SSE session closed" && l.reason === "token expired");
    expect(await sseSessionsOpen(base)).toBe(0);
  });
});

describe("10. routing: only JWE-shaped segments are tokens", () => {
  it("answers POST /sse with 405 Allow: GET, so clients fall back to SSE and then hear the real reason", async () => {
    const expired = await mintToken(claims(), {
      jweSecret: JWE,
      jwtSecret: JWT,
      currentDate: new Date(Date.now() - 2 * 3600_000),
    });
    minted.push(expired);
    const post = await postMcp(`${base}/sse`, toolCallMessage(1, "list_databases", {}), {
      Authorization: `Bearer ${expired}`,
    });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
    const get = await fetch(`${base}/sse`, { headers: { Authorization: `Bearer ${expired}` } });
    expect(get.status).toBe(401);
    expect(await get.json()).toMatchObject({ error_description: "token expired" });
  });

  it("404s paths that are not endpoints, and 405s wrong methods with Allow", async () => {
    const token = await mint();
    for (const path of [
      "/favicon.ico",
      "/.well-known/oauth-protected-resource",
      "/robots.txt",
      "/a.b.c/sse",
    ]) {
      for (const method of ["GET", "POST"]) {
        const response = await raw(`${base}${path}`, {
          method,
          headers: { "Content-Type": "application/json" },
        });
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(JSON.parse(response.body)).toMatchObject({ error: "not_found" });
      }
    }
    for (const [method, path, allow] of [
      ["GET", `/${token}/mcp`, "POST"],
      ["DELETE", `/${token}`, "POST"],
      ["GET", `/${token}/message`, "POST"],
      ["POST", `/${token}/sse`, "GET"],
      ["POST", "/livez", "GET"],
      ["GET", "/mcp", "POST"],
    ] as const) {
      const response = await raw(`${base}${path}`, { method });
      expect(response.status, `${method} ${path.slice(-8)}`).toBe(405);
      expect(response.headers.allow).toBe(allow);
    }
    const line = await server.waitForLog(
      (l) => l.msg === "request" && l.path === "/.well-known/oauth-protected-resource",
    );
    expect(line.status).toBe(404);
  });
});

describe("7. one token cannot starve another with the same credentials", () => {
  it(`caps a token at ${CALL_CAP} running calls (429 Retry-After beyond) while another token is served`, async () => {
    const greedy = await mint();
    const other = await mint({ database: "default" }); // same user and password, another token
    const slow = toolCallMessage(1, "execute_query", { query: "SELECT sleep(2) AS s" });
    // Done when the answer has been read: a streamed answer's headers come before its result.
    const burst = Array.from({ length: 3 * CALL_CAP }, () =>
      postMcp(`${base}/${greedy}/mcp`, slow).then(async (r) => {
        await r.clone().text();
        return r;
      }),
    );
    const burstDone = Promise.allSettled(burst).then(() => Date.now());
    // Give the burst time to be admitted before the other token asks.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const response = await postMcp(
      `${base}/${other}/mcp`,
      toolCallMessage(2, "execute_query", { query: "SELECT 1 AS one" }),
    );
    const otherDone = Date.now();
    expect(response.status).toBe(200);
    expect(JSON.stringify((await mcpReply(response)).result?.structuredContent)).toContain('"one":1');
    const statuses = await Promise.all(burst.map(async (p) => (await p).status));
    expect(otherDone).toBeLessThan(await burstDone); // served while the greedy token's calls still ran
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(CALL_CAP);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2 * CALL_CAP);
    const refused = await Promise.all(burst.map((p) => p)).then((rs) => rs.find((r) => r.status === 429)!);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toMatchObject({ error: "too_many_requests" });
    // The slots come back: the greedy token works again afterwards.
    expect((await postMcp(`${base}/${greedy}/mcp`, toolCallMessage(3, "list_databases", {}))).status).toBe(
      200,
    );
  }, 30_000);
});

describe("JSON-RPC errors", () => {
  it("carry one `MCP error <code>:` prefix at a v1 client, not two; a missing resource is -32602 (SEP-2164)", async () => {
    const token = await mint();
    const client = new Client({ name: "prefix", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/${token}/mcp`)));
    const error = await client
      .readResource({ uri: "clickhouse://table/no_such_db_xyz/no_such_table" })
      .catch((e: Error) => e);
    await client.close();
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^MCP error -32602: Error QUERY_FAILED \(ClickHouse 81 UNKNOWN_DATABASE\)/);
    expect(message.match(/MCP error/g)).toHaveLength(1);
  });
});

describe("the generator, when the operator turns it on", () => {
  let generator: ServerProcess;
  let url: string;

  beforeAll(async () => {
    generator = spawnServer([], {
      env: operatorEnv({
        MCP_JWE_TOKEN_GENERATOR: "true",
        CLICKHOUSE_ALLOWED_HOSTS: `127.0.0.1:${harness().httpPort}`,
        CLICKHOUSE_ALLOWED_TLS_DIRS: "/nonexistent-tls-dir",
      }),
    });
    url = `${await generator.listening(30_000)}/jwe-token-generator`;
  }, 40_000);

  afterAll(async () => {
    for (const secret of [JWE, JWT, harness().users.password.password]) {
      expect(generator.stderr()).not.toContain(secret);
    }
    await generator[Symbol.asyncDispose]();
  });

  const post = (body: unknown, headers: Record<string, string> = { "Content-Type": "application/json" }) =>
    fetch(url, { method: "POST", headers, body: JSON.stringify(body) });

  it("refuses what the attacker asked for: other hosts and ports, TLS files, a year, text/plain", async () => {
    const h = harness();
    const cases: [unknown, Record<string, string> | undefined, number, string][] = [
      [{ ...claims(), expiry: 3600 }, { "Content-Type": "text/plain" }, 415, "unsupported_media_type"],
      [{ ...claims(), port: 22 }, undefined, 403, "host_not_allowed"],
      [{ ...claims(), port: 9000, protocol: "tcp" }, undefined, 403, "host_not_allowed"],
      [{ ...claims(), host: "10.0.0.1" }, undefined, 403, "host_not_allowed"],
      [
        { ...claims(), tls_enabled: true, tls_ca_cert: "/etc/passwd" },
        undefined,
        403,
        "tls_file_not_allowed",
      ],
      [{ ...claims(), expiry: 31_536_000 }, undefined, 400, "invalid_request"],
    ];
    for (const [body, headers, status, error] of cases) {
      const response = await post(body, headers);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(await response.json()).toMatchObject({ error });
    }
    const foreign = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "http://evil.example" },
      body: JSON.stringify(claims()),
    });
    expect(foreign.status).toBe(403);
    // What the operator allows still works.
    const ok = await post({ ...claims(), port: h.httpPort, expiry: 600 });
    expect(ok.status).toBe(200);
    minted.push(((await ok.json()) as { token: string }).token);
  });
});
