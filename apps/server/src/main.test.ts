/**
 * The binary as a process: exit codes, bad configuration, --help, TLS and mutual TLS, graceful
 * shutdown with a query in flight, and the stdio transport. Runs dist/main.js (built by
 * `pnpm test` before vitest) against the harness's ClickHouse.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { harness } from "@mcp/test-harness";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, freePort, isListening, MAIN_JS, spawnServer } from "./test-support/spawn-server.js";

const work = mkdtempSync(join(tmpdir(), "mcp-main-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Flags pointing the default ClickHouse at the harness (JWE off). */
function clickhouseFlags(): string[] {
  const ch = harness();
  return [
    `--clickhouse-host=${ch.host}`,
    `--clickhouse-port=${ch.httpPort}`,
    `--clickhouse-username=${ch.users.readonly2.username}`,
    `--clickhouse-database=${ch.fixturesDatabase}`,
  ];
}
function clickhouseEnv(): Record<string, string> {
  return cleanEnv({ CLICKHOUSE_PASSWORD: harness().users.readonly2.password });
}

function text(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? "").join("\n");
}

describe("command line", () => {
  it("--help prints every flag with its environment variable, exit 0", async () => {
    await using server = spawnServer(["--help"]);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stdout()).toMatch(/^Usage: altinity-mcp/);
    expect(server.stdout()).toContain("--allow-jwe-auth");
    expect(server.stdout()).toContain("Env: MCP_JWE_SECRET_KEY.");
    expect(server.stdout()).toContain("Config key: clickhouse.max_result_rows.");
  });

  it("--version prints the package version, exit 0", async () => {
    await using server = spawnServer(["--version"]);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(server.stdout()).toBe(`altinity-mcp ${version}\n`);
  });

  it("a port already in use is a runtime failure: exit 1 with the reason logged", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await using server = spawnServer(["--transport=http", `--port=${port}`]);
      expect(await server.exited).toEqual({ code: 1, signal: null });
      const fatal = server.logs().find((l) => l.level === "fatal");
      expect(fatal?.msg).toBe("failed to start");
      expect(JSON.stringify(fatal?.err)).toContain("EADDRINUSE");
    } finally {
      blocker.close();
    }
  });

  it("the bin entry is executable through its shebang", () => {
    expect(readFileSync(MAIN_JS, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });
});

describe.concurrent("bad configuration exits 2 before listening", () => {
  const unknownKeyFile = join(work, "unknown-key.yaml");
  writeFileSync(unknownKeyFile, "server:\n  transport: http\n  jwe:\n    token_param: token\n");

  const cases: { name: string; args: string[]; env?: Record<string, string>; stderr: RegExp }[] = [
    { name: "unknown flag", args: ["--transport=http", "--bogus"], stderr: /unknown flag --bogus/ },
    {
      // The flag wins over MCP_PORT (which holds the free port this test watches).
      name: "port out of range",
      args: ["--transport=http", "--port=70000"],
      stderr: /--port: must be from 0 to 65535 \(got "70000"\)/,
    },
    {
      name: "invalid environment value",
      args: ["--transport=http"],
      env: { CLICKHOUSE_READ_ONLY: "maybe" },
      stderr: /CLICKHOUSE_READ_ONLY: must be true or false \(got "maybe"\)/,
    },
    {
      name: "unknown transport",
      args: ["--transport=websocket"],
      stderr: /--transport: unknown value "websocket"/,
    },
    {
      name: "JWE on without a secret",
      args: ["--transport=sse", "--allow-jwe-auth"],
      stderr: /no secret is set: give --jwe-secret-key \/ MCP_JWE_SECRET_KEY/,
    },
    {
      name: "server TLS without a certificate",
      args: ["--transport=http", "--server-tls"],
      stderr: /no certificate is set: give --server-tls-cert-file/,
    },
    {
      name: "server TLS with unreadable files",
      args: [
        "--transport=http",
        "--server-tls",
        `--server-tls-cert-file=${join(work, "missing.crt")}`,
        `--server-tls-key-file=${join(work, "missing.key")}`,
      ],
      stderr: /--server-tls-cert-file \/ MCP_SERVER_TLS_CERT_FILE: cannot read .*missing\.crt \(ENOENT\)/,
    },
    {
      name: "unknown config key",
      args: [`--config=${unknownKeyFile}`],
      stderr: /unknown config key "server.jwe.token_param"/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const port = await freePort();
      // The secret is there to prove an error line never carries it.
      const secret = "do-not-print-this-secret-0123456789";
      await using server = spawnServer([...c.args, `--jwt-secret-key=${secret}`], {
        env: cleanEnv({ MCP_PORT: String(port), ...c.env }),
      });
      expect(await server.exited).toEqual({ code: 2, signal: null });
      expect(server.stderr()).toMatch(/^altinity-mcp: configuration error: /);
      expect(server.stderr()).toMatch(c.stderr);
      expect(server.stderr()).not.toContain(secret);
      expect(server.stdout()).toBe("");
      expect(await isListening(port)).toBe(false);
    });
  }
});

/** A CA, a server certificate for 127.0.0.1 signed by it, a client certificate, and a rogue client. */
function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const makeCa = (name: string) =>
    openssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    );
  const makeLeaf = (name: string, caName: string, ext: string) => {
    openssl(
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    );
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${caName}.crt`,
      "-CAkey",
      `${caName}.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    );
  };
  makeCa("ca");
  makeCa("rogue-ca");
  makeLeaf("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  makeLeaf("client", "ca", "extendedKeyUsage=clientAuth\n");
  makeLeaf("rogue", "rogue-ca", "extendedKeyUsage=clientAuth\n");
  const file = (name: string) => join(dir, name);
  const read = (name: string) => readFileSync(file(name));
  return { file, read };
}

interface HttpsResult {
  status: number;
  body: string;
}

function httpsGet(
  url: string,
  options: {
    ca: Buffer;
    cert?: Buffer;
    key?: Buffer;
    method?: string;
    body?: string;
    headers?: Record<string, string>;
  },
): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? "GET",
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("server TLS", () => {
  let certs: ReturnType<typeof makeCertificates>;
  beforeAll(() => {
    const dir = join(work, "certs");
    mkdirSync(dir);
    certs = makeCertificates(dir);
  });

  const tlsFlags = () => [
    "--transport=http",
    "--port=0",
    "--server-tls",
    `--server-tls-cert-file=${certs.file("server.crt")}`,
    `--server-tls-key-file=${certs.file("server.key")}`,
  ];

  it("serves HTTPS: health and an MCP initialize over TLS", async () => {
    await using server = spawnServer([...tlsFlags(), ...clickhouseFlags()], { env: clickhouseEnv() });
    const url = await server.listening();
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = certs.read("ca.crt");

    const health = await httpsGet(`${url}/health`, { ca });
    expect(health.status).toBe(200);

    const init = await httpsGet(`${url}/mcp`, {
      ca,
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      }),
    });
    expect(init.status).toBe(200);
    expect(init.body).toContain('"serverInfo"');

    // A client that does not trust the CA refuses the server.
    await expect(httpsGet(`${url}/health`, { ca: certs.read("rogue-ca.crt") })).rejects.toThrow(
      /certificate/i,
    );
  });

  it("mutual TLS: a client certificate from the configured CA is required", async () => {
    await using server = spawnServer(
      [...tlsFlags(), `--server-tls-ca-cert=${certs.file("ca.crt")}`, ...clickhouseFlags()],
      { env: clickhouseEnv() },
    );
    const url = await server.listening();
    const ca = certs.read("ca.crt");

    const ok = await httpsGet(`${url}/livez`, {
      ca,
      cert: certs.read("client.crt"),
      key: certs.read("client.key"),
    });
    expect(ok.status).toBe(200);

    await expect(httpsGet(`${url}/livez`, { ca })).rejects.toThrow();
    await expect(
      httpsGet(`${url}/livez`, { ca, cert: certs.read("rogue.crt"), key: certs.read("rogue.key") }),
    ).rejects.toThrow();
    expect(server.child.exitCode).toBeNull();
  });

  it("a key that does not match the certificate is bad configuration (exit 2)", async () => {
    await using server = spawnServer([
      "--transport=http",
      "--server-tls",
      `--server-tls-cert-file=${certs.file("server.crt")}`,
      `--server-tls-key-file=${certs.file("client.key")}`,
    ]);
    expect((await server.exited).code).toBe(2);
    expect(server.stderr()).toMatch(/cannot load the server TLS files/);
  });
});

describe("graceful shutdown", () => {
  /** A query that runs about 2.5 s (sleepEachRow is capped at 3 s per block), findable by its marker. */
  const slowQuery = (marker: string) =>
    `SELECT sleepEachRow(0.5) AS slept, number, '${marker}' AS marker FROM numbers(5)`;

  /** Waits until ClickHouse runs the query; fails early (with the tool's answer) if the call ends first. */
  async function waitForQueryInClickHouse(marker: string, call: Promise<unknown>): Promise<void> {
    const ch = harness();
    let settled: unknown;
    void call.then(
      (value) => {
        settled = { value };
      },
      (error: unknown) => {
        settled = { error: String(error) };
      },
    );
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (settled)
        throw new Error(`the tool call ended before the query was seen: ${JSON.stringify(settled)}`);
      const res = await fetch(
        `${ch.url}/?query=${encodeURIComponent(
          `SELECT count() FROM system.processes WHERE query LIKE '%${marker}%' AND query NOT LIKE '%system.processes%'`,
        )}`,
        {
          headers: {
            "X-ClickHouse-User": ch.users.admin.username,
            "X-ClickHouse-Key": ch.users.admin.password,
          },
        },
      );
      if ((await res.text()).trim() !== "0") return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("the query never showed up in system.processes");
  }

  it("SIGTERM lets an in-flight tool call finish, ends SSE streams, and exits 0", async () => {
    await using server = spawnServer(
      ["--transport=sse,http", "--port=0", "--shutdown-grace=20", ...clickhouseFlags()],
      { env: clickhouseEnv() },
    );
    const url = await server.listening();
    const port = Number(new URL(url).port);

    // An open SSE session must not hold the shutdown up.
    const sseClient = new Client({ name: "sse", version: "1" });
    const sseTransport = new SSEClientTransport(new URL(`${url}/sse`));
    let sseClosed = false;
    sseTransport.onclose = () => {
      sseClosed = true;
    };
    await sseClient.connect(sseTransport);

    const client = new Client({ name: "shutdown", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const marker = `shutdown_${Date.now()}`;
    const call = client.callTool({
      name: "execute_query",
      arguments: { query: slowQuery(marker) },
    });
    await waitForQueryInClickHouse(marker, call);

    server.child.kill("SIGTERM");
    const result = await call;
    expect(result.isError).not.toBe(true);
    expect(text(result)).toContain("slept");

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await isListening(port)).toBe(false);
    const messages = server.logs().map((l) => l.msg);
    expect(messages).toContain("stopping");
    expect(messages).toContain("stopped");
    await client.close().catch(() => {});
    await sseClient.close().catch(() => {});
    expect(sseClosed).toBe(true);
  });

  it("a second signal exits at once with status 1", async () => {
    await using server = spawnServer(
      ["--transport=http", "--port=0", "--shutdown-grace=60", ...clickhouseFlags()],
      {
        env: clickhouseEnv(),
      },
    );
    const url = await server.listening();
    const client = new Client({ name: "second-signal", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const marker = `second_${Date.now()}`;
    const call = client
      .callTool({ name: "execute_query", arguments: { query: slowQuery(marker) } })
      .catch((error: unknown) => error);
    await waitForQueryInClickHouse(marker, call);

    server.child.kill("SIGTERM");
    await server.waitForLog((l) => l.msg === "stopping");
    server.child.kill("SIGTERM");
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.logs().map((l) => l.msg)).toContain("second signal, exiting now");
    // The answer was streamed (SSE) and the stream was cut: the client would wait out its request
    // timeout hoping to resume it, so closing it is what settles the call.
    await client.close();
    await call;
  });
});

describe("stdio transport", () => {
  it("serves MCP on stdin/stdout against the default ClickHouse and exits when stdin closes", async () => {
    const ch = harness();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MAIN_JS, "--transport=stdio", "--log-level=debug", ...clickhouseFlags()],
      env: clickhouseEnv(),
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const errors: Error[] = [];
    const client = new Client({ name: "stdio-test", version: "1" });
    client.onerror = (error) => errors.push(error);
    await client.connect(transport);

    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("execute_query");
    const result = await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT 40 + 2 AS answer, currentUser() AS who" },
    });
    expect(result.isError).not.toBe(true);
    expect(text(result)).toContain("42");
    expect(text(result)).toContain(ch.users.readonly2.username);

    await client.close();
    // Non-JSON on stdout would have surfaced as a parse error.
    expect(errors).toEqual([]);
    const messages = stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; reason?: string });
    expect(messages.find((m) => m.msg === "stopping")?.reason).toBe("stdin closed");
    expect(messages.map((m) => m.msg)).toContain("stopped");
    expect(stderr).not.toContain(ch.users.readonly2.password);
  });
});
