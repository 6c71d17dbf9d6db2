/**
 * `pnpm start` (= `altinity-mcp --quickstart`) as a process: the printed URLs work as pasted.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { harness } from "@mcp/test-harness";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { cleanEnv, isListening, spawnServer } from "../test-support/spawn-server.js";

/** The token generator CLI (`pnpm run token`), built alongside the server by `pnpm test`. */
const TOKEN_CLI = fileURLToPath(new URL("../../../token-cli/dist/cli.js", import.meta.url));

function text(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? "").join("\n");
}

async function printedUrls(server: ReturnType<typeof spawnServer>) {
  const sse = (await server.waitForStdout(/ SSE: +(\S+)/, 60_000))[1]!;
  const mcp = (await server.waitForStdout(/ Streamable HTTP: +(\S+)/))[1]!;
  return { sse, mcp };
}

describe("pnpm start (--quickstart)", () => {
  it("with nothing configured: embedded ClickHouse, demo data, working SSE and Streamable HTTP URLs", async () => {
    const jweSecret = "jwe-secret-from-the-environment-0123456789";
    await using server = spawnServer(["--quickstart", "--port=0"], {
      env: cleanEnv({ MCP_JWE_SECRET_KEY: jweSecret }),
    });
    const { sse, mcp } = await printedUrls(server);
    const token = new URL(mcp).pathname.split("/")[1]!;
    expect(sse).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/eyJ[\w.-]+\/sse$/);
    expect(mcp).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/eyJ[\w.-]+\/mcp$/);

    // The environment's secret is used and never printed; the missing JWT secret is generated and shown once.
    const stdout = server.stdout();
    expect(stdout).not.toContain(jweSecret);
    expect(stdout).not.toMatch(/export MCP_JWE_SECRET_KEY=/);
    expect(stdout).toMatch(/export MCP_JWT_SECRET_KEY=[\w-]{43}\n/);
    expect(stdout).toContain("reads MCP_JWE_SECRET_KEY and MCP_JWT_SECRET_KEY from the environment");
    expect(stdout).toMatch(
      /pnpm -s run token --host=127\.0\.0\.1 --port=\d+ --database=demo --username=mcp_demo --password=\S+ --protocol=http --read-only --expiry=3600 --server-url=http:\/\/127\.0\.0\.1:\d+\n/,
    );

    const http = new Client({ name: "quickstart-http", version: "1" });
    await http.connect(new StreamableHTTPClientTransport(new URL(mcp)));
    const tools = (await http.listTools()).tools.map((t) => t.name);
    expect(tools).toContain("execute_query");
    expect(tools).not.toContain("write_query"); // the demo user is read-only
    const result = await http.callTool({
      name: "execute_query",
      arguments: { query: "SELECT currentDatabase() AS db, count() AS products FROM demo.products" },
    });
    expect(result.isError).not.toBe(true);
    expect(text(result)).toContain("demo");
    await http.close();

    const sseClient = new Client({ name: "quickstart-sse", version: "1" });
    await sseClient.connect(new SSEClientTransport(new URL(sse)));
    expect((await sseClient.listTools()).tools.map((t) => t.name)).toContain("list_tables");
    await sseClient.close();

    // The printed mint command works as pasted (with the secrets in the environment).
    const mintLine = /pnpm -s run token (.+)\n/.exec(stdout)![1]!;
    const minted = execFileSync(process.execPath, [TOKEN_CLI, ...mintLine.split(" ")], {
      env: cleanEnv({
        MCP_JWE_SECRET_KEY: jweSecret,
        MCP_JWT_SECRET_KEY: /export MCP_JWT_SECRET_KEY=(\S+)/.exec(stdout)![1]!,
      }),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
    const base = new URL(mcp).origin;
    const mintedClient = new Client({ name: "quickstart-minted", version: "1" });
    await mintedClient.connect(new StreamableHTTPClientTransport(new URL(`${base}/${minted}/mcp`)));
    expect((await mintedClient.listTools()).tools.map((t) => t.name)).not.toContain("write_query");
    await mintedClient.close();

    // Logs never carry the token, the secrets or the demo password.
    const demoPassword = /--password=(\S+)/.exec(stdout)![1]!;
    const jwtSecret = /export MCP_JWT_SECRET_KEY=(\S+)/.exec(stdout)![1]!;
    for (const secret of [token, jweSecret, jwtSecret, demoPassword])
      expect(server.stderr()).not.toContain(secret);

    const embeddedPort = (await server.waitForLog((l) => l.msg === "embedded ClickHouse ready"))
      .port as number;
    expect(await isListening(embeddedPort)).toBe(true);
    server.child.kill("SIGINT");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await isListening(embeddedPort)).toBe(false);
  }, 90_000);

  it("with a ClickHouse configured: no embedded one, no token printed, and the printed mint command works", async () => {
    const ch = harness();
    const jweSecret = "jwe-secret-from-the-environment-0123456789";
    const jwtSecret = "jwt-secret-from-the-environment-0123456789";
    await using server = spawnServer(
      [
        "--quickstart",
        "--port=0",
        "--transport=http",
        `--clickhouse-host=${ch.host}`,
        `--clickhouse-port=${ch.httpPort}`,
        `--clickhouse-username=${ch.users.password.username}`,
      ],
      {
        env: cleanEnv({
          CLICKHOUSE_PASSWORD: ch.users.password.password,
          MCP_JWE_SECRET_KEY: jweSecret,
          MCP_JWT_SECRET_KEY: jwtSecret,
        }),
      },
    );
    const mcp = (await server.waitForStdout(/ Streamable HTTP: +(\S+)/))[1]!;
    const stdout = server.stdout();
    expect(stdout).not.toMatch(/ SSE: /);
    expect(stdout).toContain(`ClickHouse at ${ch.host}:${ch.httpPort}`);
    expect(stdout).not.toContain(ch.users.password.password);
    // A token for the operator's own (write-capable) user never lands in stdout.
    expect(mcp).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/<token>\/mcp$/);
    expect(stdout).not.toMatch(/eyJ[\w-]+\./);
    expect(stdout).toContain("No token is printed for a ClickHouse you configured");
    expect(server.logs().map((l) => l.msg)).not.toContain(
      "starting the embedded ClickHouse with the demo dataset",
    );

    // The printed command, with the password filled in, mints a read-only token that works.
    const mintLine = /pnpm -s run token (.+)\n/.exec(stdout)![1]!;
    expect(mintLine).toContain("--password=... ");
    expect(mintLine).toContain("--read-only");
    const args = mintLine
      .split(" ")
      .map((arg) => (arg === "--password=..." ? `--password=${ch.users.password.password}` : arg));
    const minted = execFileSync(process.execPath, [TOKEN_CLI, ...args], {
      env: cleanEnv({ MCP_JWE_SECRET_KEY: jweSecret, MCP_JWT_SECRET_KEY: jwtSecret }),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
    const client = new Client({ name: "quickstart-configured", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp.replace("<token>", minted))));
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("write_query");
    const result = await client.callTool({
      name: "execute_query",
      arguments: { query: "SELECT currentUser() AS who" },
    });
    expect(text(result)).toContain(ch.users.password.username);
    await client.close();

    server.child.kill("SIGTERM");
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
