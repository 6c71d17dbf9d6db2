import { verifyToken } from "@mcp/jwe";
import { harness } from "@mcp/test-harness";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  JWE_SECRET,
  JWT_SECRET,
  markSensitive,
  mcpUrl,
  type TestServer,
  useTestServers,
} from "../test-support/http-fixture.js";

const start = useTestServers();
let server: TestServer;

beforeAll(async () => {
  server = await start();
});

function claimsBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const h = harness();
  return {
    host: h.host,
    port: h.httpPort,
    database: "default",
    username: h.users.password.username,
    password: h.users.password.password,
    protocol: "http",
    ...extra,
  };
}

async function generate(
  target: TestServer,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, string>; headers: Headers }> {
  const response = await fetch(`${target.url}/jwe-token-generator`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, string>;
  if (json.token) markSensitive(json.token);
  return { status: response.status, json, headers: response.headers };
}

describe("POST /jwe-token-generator", () => {
  it("200: mints a token the server accepts, expiring in 3600 s by default", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, json } = await generate(server, claimsBody({ expiry: 0 }));
    expect(status).toBe(200);
    expect(Object.keys(json)).toEqual(["token"]);
    const verified = await verifyToken(json.token as string, {
      jweSecrets: JWE_SECRET,
      jwtSecret: JWT_SECRET,
    });
    expect(verified.signed).toBe(true);
    expect(verified.claims).toMatchObject({
      host: harness().host,
      username: harness().users.password.username,
    });
    expect(verified.claims.exp - before).toBeGreaterThanOrEqual(3600);
    expect(verified.claims.exp - before).toBeLessThan(3610);

    await using client = await connectClient("sse", mcpUrl(server.url, "sse", json.token));
    const result = (await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT currentUser() AS user" },
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ rows: [{ user: harness().users.password.username }] });
  });

  it("200: honours expiry and the limit claims", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, json } = await generate(
      server,
      claimsBody({ expiry: 120, limit: 7, read_only: true, max_execution_time: 10 }),
    );
    expect(status).toBe(200);
    const { claims } = await verifyToken(json.token as string, {
      jweSecrets: JWE_SECRET,
      jwtSecret: JWT_SECRET,
    });
    expect(claims).toMatchObject({ limit: 7, read_only: true, max_execution_time: 10 });
    expect(claims.exp - before).toBeGreaterThanOrEqual(120);
    expect(claims.exp - before).toBeLessThan(130);
  });

  it("400: a body that is not JSON", async () => {
    const { status, json } = await generate(server, "{not json");
    expect(status).toBe(400);
    expect(json.error_description).toMatch(/not valid JSON/);
  });

  it.each([
    ["port", { port: "8123" }, /field "port" must be a number/],
    ["expiry", { expiry: "soon" }, /field "expiry"/],
    ["tls_enabled", { tls_enabled: "yes" }, /field "tls_enabled" must be a boolean/],
    ["an unknown field", { colour: "blue" }, /field "colour" is not a supported claim/],
    ["host missing", { host: undefined }, /field "host" is required/],
  ])("400: names the field (%s)", async (_name, extra, description) => {
    const { status, json } = await generate(server, claimsBody(extra));
    expect(status).toBe(400);
    expect(json.error).toBe("invalid_request");
    expect(json.error_description).toMatch(description);
  });

  it("401: requires the operator key when one is configured", async () => {
    const operatorKey = "operator-key-0123456789abcdef";
    const guarded = await start({ generator: { enabled: true, operatorKey } });
    const missing = await generate(guarded, claimsBody());
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await generate(guarded, claimsBody(), { Authorization: "Bearer wrong-key" })).status).toBe(401);
    expect((await generate(guarded, claimsBody(), { Authorization: `Bearer ${operatorKey}` })).status).toBe(
      200,
    );
  });

  it("403: when JWE is off", async () => {
    const open = await start({ jwe: { allow: false, jweSecretKeys: [] } });
    const { status, json } = await generate(open, claimsBody());
    expect(status).toBe(403);
    expect(json.error_description).toMatch(/JWE/);
  });

  it("403: a host outside the allow-list; allowed hosts and ranges pass", async () => {
    const restricted = await start({ pool: { allowedHosts: ["127.0.0.0/8", "db.internal"] } });
    const refused = await generate(restricted, claimsBody({ host: "evil.example.com" }));
    expect(refused.status).toBe(403);
    expect(refused.json.error).toBe("host_not_allowed");
    expect((await generate(restricted, claimsBody({ host: "169.254.169.254" }))).status).toBe(403);
    expect((await generate(restricted, claimsBody({ host: "127.0.0.1" }))).status).toBe(200);
    expect((await generate(restricted, claimsBody({ host: "db.internal" }))).status).toBe(200);
  });

  it("404: when switched off", async () => {
    const off = await start({ generator: { enabled: false } });
    expect((await generate(off, claimsBody())).status).toBe(404);
  });

  it("405: for other methods, with Allow: POST", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const response = await fetch(`${server.url}/jwe-token-generator`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
    }
  });
});
