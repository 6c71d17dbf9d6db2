/**
 * Secrets under the failures most likely to leak them: a wrong password, a "ClickHouse" that
 * echoes the request (credentials included) back in its error, TLS file claims pointing at files
 * that hold secrets or lie outside the allowed directories, and the token generator refusing
 * requests that carry secrets. Every answer a client gets, and the debug log, must hold none of
 * the passwords, tokens, JWE/JWT secrets or operator keys in play. (Every other file of the suite
 * runs the same check on its own logs and answers.)
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectionClaims } from "@mcp/jwe";
import { harness } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  harnessClaims,
  markSensitive,
  mcpUrl,
  startTestServer,
  type TestServer,
  textOf,
} from "../../src/test-support/http-fixture.js";
import { ClientTexts, expectNoSecrets, reportFigures, unique } from "../../src/test-support/reliability.js";

const OPERATOR_KEY = `operator-${randomBytes(16).toString("hex")}`;
markSensitive(OPERATOR_KEY);
const shown = new ClientTexts();
const tlsDir = mkdtempSync(join(tmpdir(), "rel-tls-"));
let server: TestServer;
const listeners: (Server | TcpServer)[] = [];
let cases = 0;

/** A password no ClickHouse knows, registered as sensitive, with its Basic-auth form. */
function secretPassword(username: string): string {
  const password = `pw-${randomBytes(12).toString("hex")}`;
  markSensitive(password, Buffer.from(`${username}:${password}`).toString("base64"));
  return password;
}

async function listen<T extends Server | TcpServer>(server: T): Promise<number> {
  listeners.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

/**
 * An HTTP server that answers with everything it was sent, credentials first (the server quotes
 * the start of a non-ClickHouse answer in its error): headers, request line, body.
 */
function echoHttp(status: number, headers: Record<string, string> = {}): Server {
  return createHttpServer((request, response) => {
    const { authorization, "x-clickhouse-key": key, ...rest } = request.headers;
    let body = `${authorization ?? ""} ${key ?? ""} ${JSON.stringify(rest)}\n${request.method} ${request.url}\n`;
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      response.writeHead(status, { "Content-Type": "text/plain", ...headers });
      response.end(body);
    });
  });
}

beforeAll(async () => {
  server = await startTestServer({
    generator: { enabled: true, operatorKey: OPERATOR_KEY },
    pool: { allowedTlsDirs: [tlsDir] },
  });
});

afterAll(async () => {
  await server?.close();
  for (const listener of listeners) listener.close();
  rmSync(tlsDir, { recursive: true, force: true });
});

async function callWith(claims: ConnectionClaims, query = "SELECT 1"): Promise<string> {
  cases++;
  const token = await server.mint(claims);
  await using client = await connectClient(
    cases % 2 ? "sse" : "http",
    mcpUrl(server.url, cases % 2 ? "sse" : "http", token),
  );
  const result = await client.callTool({ name: "execute_query", arguments: { query } });
  const text = textOf(result);
  shown.add(text);
  expect(result.isError, text).toBe(true);
  return text;
}

describe("secrets in failures", () => {
  it("a wrong password is not repeated back", async () => {
    const h = harness();
    const username = h.users.password.username;
    const text = await callWith({ ...harnessClaims("password"), password: secretPassword(username) });
    expect(text).toMatch(/^Error AUTH_FAILED\b/);
  });

  it("a host that echoes the request (credentials included) in its error gets no credential shown", async () => {
    for (const [status, headers] of [
      [500, {}],
      [502, {}],
      [200, {}],
      [500, { "X-ClickHouse-Exception-Code": "516" }],
      [401, { "X-ClickHouse-Exception-Code": "194" }],
    ] as const) {
      const port = await listen(echoHttp(status, headers));
      const username = `echo_${status}`;
      const text = await callWith(
        { host: "127.0.0.1", port, username, password: secretPassword(username), protocol: "http" },
        `SELECT '${unique("echoed")}'`,
      );
      expect(text).toMatch(/^Error [A-Z_]+/);
    }
  });

  it("a host that echoes the native protocol handshake gets no credential shown", async () => {
    const port = await listen(
      createTcpServer((socket) => {
        socket.on("data", (chunk) => socket.write(chunk));
        socket.on("error", () => {});
      }),
    );
    const username = "echo_native";
    const text = await callWith({
      host: "127.0.0.1",
      port,
      username,
      password: secretPassword(username),
      protocol: "tcp",
    });
    expect(text).toMatch(/^Error [A-Z_]+/);
  });

  it("TLS file claims: outside the allowed directories refused unread, inside never quoted", async () => {
    const h = harness();
    const traversal = await callWith({
      ...harnessClaims("password"),
      tls_enabled: true,
      tls_ca_cert: `${tlsDir}/../../../../etc/passwd`,
    });
    expect(traversal).toMatch(/^Error TLS_FILE_NOT_ALLOWED\b/);
    expect(traversal).not.toContain("root:");
    // A file that is allowed but is no certificate, holding a secret: the error must not quote it.
    const secretInFile = `file-secret-${randomBytes(12).toString("hex")}`;
    markSensitive(secretInFile);
    const file = join(tlsDir, "not-a-cert.pem");
    writeFileSync(file, `-----BEGIN CERTIFICATE-----\n${secretInFile}\n-----END CERTIFICATE-----\n`);
    const notPem = await callWith({
      host: h.host,
      port: h.httpPort,
      username: h.users.password.username,
      password: h.users.password.password,
      tls_enabled: true,
      tls_ca_cert: file,
      tls_client_cert: file,
      tls_client_key: file,
    });
    expect(notPem).toMatch(/^Error TLS_[A-Z_]+\b/);
  });

  it("the token generator does not repeat keys or passwords it refuses", async () => {
    const generate = async (body: unknown, key?: string) => {
      cases++;
      const response = await fetch(`${server.url}/jwe-token-generator`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(key && { Authorization: `Bearer ${key}` }) },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      // A minted token is the one answer meant to carry a secret.
      if (response.status !== 200) shown.add(text);
      return { status: response.status, text };
    };
    const wrongKey = `not-the-key-${randomBytes(8).toString("hex")}`;
    markSensitive(wrongKey);
    const claims = { ...harnessClaims("password"), password: secretPassword("gen") };
    expect((await generate(claims, wrongKey)).status).toBe(401);
    expect((await generate(claims)).status).toBe(401);
    const typo = { host: "127.0.0.1", pasword: secretPassword("typo") };
    expect((await generate(typo, OPERATOR_KEY)).status).toBe(400);
    const wrongType = { host: "127.0.0.1", password: [secretPassword("array")] };
    expect((await generate(wrongType, OPERATOR_KEY)).status).toBe(400);
    const minted = await generate({ ...claims, expiry: 60 }, OPERATOR_KEY);
    expect(minted.status).toBe(200);
    markSensitive((JSON.parse(minted.text) as { token: string }).token);
  });

  it("none of them reached the debug log or an answer", () => {
    const log = server.logText();
    expect(server.config.logLevel).toBe("debug");
    const checked = expectNoSecrets("the server log", [log]) + expectNoSecrets("an answer", shown.all());
    reportFigures("secrets", {
      "failure cases": cases,
      "answers checked": shown.count,
      "log lines checked": log.split("\n").length - 1,
      "secret values searched": checked / 2,
      leaked: 0,
    });
  });
});
