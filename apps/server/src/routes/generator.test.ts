import { mkdtemp, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** A POST with exactly these headers (fetch does not let a page, or a test, set Host). */
function rawPost(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", headers: { "Content-Type": "application/json", ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
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

  it("404: when JWE is off (there is nothing to mint)", async () => {
    const open = await start({ jwe: { allow: false, jweSecretKeys: [] } });
    const { status, json } = await generate(open, claimsBody());
    expect(status).toBe(404);
    expect(json.error).toBe("not_found");
  });

  it("403: a host or port outside the allow-list; allowed hosts, ports and ranges pass", async () => {
    const port = harness().httpPort;
    const restricted = await start({ pool: { allowedHosts: [`127.0.0.0/8:${port}`, "db.internal"] } });
    const refused = await generate(restricted, claimsBody({ host: "evil.example.com" }));
    expect(refused.status).toBe(403);
    expect(refused.json.error).toBe("host_not_allowed");
    expect(refused.json.error_description).not.toContain("db.internal"); // the rules stay private
    expect((await generate(restricted, claimsBody({ host: "169.254.169.254" }))).status).toBe(403);
    expect((await generate(restricted, claimsBody({ host: "127.0.0.1" }))).status).toBe(200);
    // The port scan of loopback from the report: another port of an allowed host is refused.
    for (const other of [22, 6379, port + 1]) {
      const scan = await generate(restricted, claimsBody({ host: "127.0.0.1", port: other }));
      expect(scan.status).toBe(403);
      expect(scan.json.error).toBe("host_not_allowed");
    }
    // A rule without a port allows the standard ClickHouse ports only (the default port follows the protocol).
    expect((await generate(restricted, claimsBody({ host: "db.internal", port: undefined }))).status).toBe(
      200,
    );
    expect(
      (await generate(restricted, claimsBody({ host: "db.internal", port: undefined, protocol: "tcp" })))
        .status,
    ).toBe(200);
    expect((await generate(restricted, claimsBody({ host: "db.internal", port: 8080 }))).status).toBe(403);
  });

  it("403: TLS file paths outside the allowed directories, without touching the files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gen-tls-"));
    await writeFile(join(dir, "ca.pem"), "x");
    const restricted = await start({ pool: { allowedTlsDirs: [dir] } });
    const tls = { tls_enabled: true };
    for (const file of ["/etc/passwd", `${dir}/../../etc/shadow`, "/root/.ssh/id_rsa"]) {
      const refused = await generate(restricted, claimsBody({ ...tls, tls_ca_cert: file }));
      expect(refused.status).toBe(403);
      expect(refused.json.error).toBe("tls_file_not_allowed");
      expect(refused.json.error_description).not.toContain(file);
    }
    const pair = claimsBody({
      ...tls,
      tls_client_cert: join(dir, "ca.pem"),
      tls_client_key: "/etc/ssl/private/k",
    });
    expect((await generate(restricted, pair)).status).toBe(403);
    expect(
      (await generate(restricted, claimsBody({ ...tls, tls_ca_cert: join(dir, "ca.pem") }))).status,
    ).toBe(200);
  });

  it("415: anything but Content-Type: application/json (no cross-site simple request mints)", async () => {
    for (const contentType of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
      "",
    ]) {
      const response = await fetch(`${server.url}/jwe-token-generator`, {
        method: "POST",
        headers: contentType ? { "Content-Type": contentType } : {},
        body: JSON.stringify(claimsBody()),
      });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ error: "unsupported_media_type" });
    }
    expect(
      (await generate(server, claimsBody(), { "Content-Type": "application/json; charset=utf-8" })).status,
    ).toBe(200);
  });

  it("400: never mints past the maximum token lifetime", async () => {
    for (const expiry of [31_536_000, 30 * 86_400 + 1]) {
      const { status, json } = await generate(server, claimsBody({ expiry }));
      expect(status).toBe(400);
      expect(json.error_description).toMatch(
        /"expiry" must be at most 2592000 seconds \(the maximum token lifetime\)/,
      );
    }
    const short = await start({ jwe: { maxTokenLifetimeSeconds: 600 } });
    expect((await generate(short, claimsBody({ expiry: 601 }))).status).toBe(400);
    const month = await generate(server, claimsBody({ expiry: 30 * 86_400 }));
    expect(month.status).toBe(200);
  });

  it("403: a foreign Host or Origin (DNS rebinding, cross-site pages) before anything runs", async () => {
    const port = new URL(server.url).port;
    const foreign: Record<string, string>[] = [
      { Host: `evil.example:${port}` },
      { Host: `127.0.0.1:${Number(port) + 1}` },
      { Origin: "http://evil.example" },
      { Origin: "null" },
    ];
    for (const headers of foreign) {
      const response = await rawPost(
        `${server.url}/jwe-token-generator`,
        headers,
        JSON.stringify(claimsBody()),
      );
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(response.body).not.toContain("token");
    }
    const local = await rawPost(
      `${server.url}/jwe-token-generator`,
      { Host: `localhost:${port}`, Origin: "http://localhost:3000" },
      JSON.stringify(claimsBody()),
    );
    expect(local.status).toBe(200);
    markSensitive((JSON.parse(local.body) as { token: string }).token);
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
