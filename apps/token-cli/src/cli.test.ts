import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { mintToken, verifyToken } from "@mcp/jwe";
import { beforeAll, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = "apps/token-cli/dist/cli.js";

const JWE = "cli-test-jwe-secret-0123456789abcdef";
const JWT = "cli-test-jwt-secret-0123456789abcdef";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    // A clean environment: secrets only ever come from the test itself.
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

const secrets = [`--jwe-secret-key=${JWE}`, `--jwt-secret-key=${JWT}`];
const verify = (token: string) => verifyToken(token, { jweSecrets: JWE, jwtSecret: JWT });
const verifyUnsigned = (token: string) => verifyToken(token, { jweSecrets: JWE });

beforeAll(() => {
  if (!existsSync(`${repoRoot}${CLI}`)) {
    throw new Error(`${CLI} is missing: build first (pnpm build, or pnpm --filter @mcp/token-cli... build)`);
  }
});

describe.concurrent("jwe-token-generator (minting)", () => {
  it("prints the token alone on stdout and a ready-to-use URL on stderr", async () => {
    const before = Math.floor(Date.now() / 1000);
    const result = await run([
      ...secrets,
      "--host=clickhouse.example.com",
      "--port=9440",
      "--protocol=tcp",
      "--tls",
      "--tls-ca-cert=/path/ca.crt",
      "--expiry=3600",
    ]);
    const after = Math.floor(Date.now() / 1000);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){4}\n$/);
    const token = result.stdout.trim();
    expect(result.stderr).toBe(`http://localhost:8080/${token}/sse\n`);
    const { claims, signed } = await verify(token);
    expect(signed).toBe(true);
    const { exp, ...rest } = claims;
    expect(rest).toEqual({
      host: "clickhouse.example.com",
      port: 9440,
      protocol: "tcp",
      tls_enabled: true,
      tls_ca_cert: "/path/ca.crt",
    });
    expect(exp).toBeGreaterThanOrEqual(before + 3600);
    expect(exp).toBeLessThanOrEqual(after + 3600);
  });

  it("accepts --flag value, Go-style -flag, bare and explicit booleans, and a leading --", async () => {
    const result = await run([
      "--",
      ...secrets,
      "--host",
      "h.example.com",
      "-port=8123",
      "--database",
      "db",
      "--username=alice",
      "--password",
      "pw-value",
      "--protocol",
      "http",
      "--tls=true",
      "--tls-client-cert",
      "/c.crt",
      "--tls-client-key=/c.key",
      "--tls-insecure-skip-verify",
      "--limit=500",
      "--read-only",
      "--max-execution-time",
      "2.5",
      "--max-rows-to-read=1000000",
      "--max-bytes-to-read",
      "5000000000",
    ]);
    expect(result.code).toBe(0);
    const { claims } = await verify(result.stdout.trim());
    expect(claims).toMatchObject({
      host: "h.example.com",
      port: 8123,
      database: "db",
      username: "alice",
      password: "pw-value",
      protocol: "http",
      tls_enabled: true,
      tls_client_cert: "/c.crt",
      tls_client_key: "/c.key",
      tls_insecure_skip_verify: true,
      limit: 500,
      read_only: true,
      max_execution_time: 2.5,
      max_rows_to_read: 1_000_000,
      max_bytes_to_read: 5_000_000_000,
    });
  });

  it("leaves out false booleans and flags that were not given", async () => {
    const result = await run([...secrets, "--host=h", "--read-only=false", "--tls=false"]);
    expect(result.code).toBe(0);
    const { claims } = await verify(result.stdout.trim());
    expect(Object.keys(claims).sort()).toEqual(["exp", "host"]);
  });

  it("reads secrets from MCP_JWE_SECRET_KEY and MCP_JWT_SECRET_KEY", async () => {
    const result = await run(["--host=h"], { env: { MCP_JWE_SECRET_KEY: JWE, MCP_JWT_SECRET_KEY: JWT } });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/warning/);
    await expect(verify(result.stdout.trim())).resolves.toMatchObject({ signed: true });
  });

  it("lets a flag win over the environment", async () => {
    const result = await run([...secrets, "--host=h"], {
      env: {
        MCP_JWE_SECRET_KEY: "env-jwe-secret-that-is-not-used-here",
        MCP_JWT_SECRET_KEY: "env-jwt-unused",
      },
    });
    expect(result.code).toBe(0);
    await expect(verify(result.stdout.trim())).resolves.toMatchObject({ claims: { host: "h" } });
  });

  it("has no default secret: exit 2 with a clear message", async () => {
    const result = await run(["--host=h"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/--jwe-secret-key/);
    expect(result.stderr).toMatch(/MCP_JWE_SECRET_KEY/);
    const empty = await run(["--host=h"], { env: { MCP_JWE_SECRET_KEY: "" } });
    expect(empty.code).toBe(2);
  });

  it("warns on stderr about secrets shorter than 32 characters", async () => {
    const result = await run(["--jwe-secret-key=short", "--jwt-secret-key=also-short", "--host=h"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/JWE secret is shorter than 32 characters/);
    expect(result.stderr).toMatch(/JWT secret is shorter than 32 characters/);
    expect(result.stderr).not.toContain("also-short");
  });

  it("mints an unsigned token, with a warning, when no JWT secret is given", async () => {
    const result = await run([`--jwe-secret-key=${JWE}`, "--host=h"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/unsigned/);
    await expect(verifyUnsigned(result.stdout.trim())).resolves.toMatchObject({ signed: false });
  });

  it("prints {token, expires_at, url} with --output json, using --server-url", async () => {
    const before = Date.now();
    const result = await run([
      ...secrets,
      "--host=h",
      "--expiry",
      "60",
      "--output=json",
      "--server-url=https://mcp.example.com/base/",
    ]);
    const after = Date.now();
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(Object.keys(output)).toEqual(["token", "expires_at", "url"]);
    expect(output.url).toBe(`https://mcp.example.com/base/${output.token}/sse`);
    const expiresAt = Date.parse(output.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000 + 60) * 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + 60_000);
    const { expiresAt: verified } = await verify(output.token);
    expect(verified.getTime()).toBe(expiresAt);
    expect(result.stderr).toBe("");
  });

  it.each([
    [["--port=70000"], "--port"],
    [["--port=0"], "--port"],
    [["--port=80a"], "--port"],
    [["--protocol=ftp"], "--protocol"],
    [["--expiry=-5"], "--expiry"],
    [["--expiry", "-5"], "--expiry"],
    [["--expiry=0"], "--expiry"],
    [["--expiry=1.5"], "--expiry"],
    [["--expiry=2592001"], "maximum token lifetime"],
    [["--expiry=31536000"], "maximum token lifetime"],
    [["--expiry=7200", "--max-token-lifetime=3600"], "maximum token lifetime"],
    [["--max-token-lifetime=0"], "--max-token-lifetime"],
    [["--limit=0"], "--limit"],
    [["--max-execution-time=-1"], "--max-execution-time"],
    [["--max-rows-to-read=0"], "--max-rows-to-read"],
    [["--max-rows-to-read=1.5"], "--max-rows-to-read"],
    [["--max-bytes-to-read=-1"], "--max-bytes-to-read"],
    [["--tls-ca-cert=/ca.crt"], "--tls-ca-cert"],
    [["--tls-client-cert=/c.crt"], "--tls-client-cert"],
    [["--tls-client-key=/c.key"], "--tls-client-key"],
    [["--tls-insecure-skip-verify"], "--tls-insecure-skip-verify"],
    [["--tls=false", "--tls-ca-cert=/ca.crt"], "--tls-ca-cert"],
    [["--host="], "--host"],
    [["--host=a", "--host=b"], "--host"],
    [["--host=a b"], "--host"],
    [["--host"], "--host"],
    [["--hots=x"], "--hots"],
    [["--read-only=maybe"], "--read-only"],
    [["--output=xml"], "--output"],
    [["--server-url=ftp://example.com"], "--server-url"],
    [["--jwe-secret-key="], "--jwe-secret-key"],
    [["stray"], "unexpected argument"],
  ])("refuses %j with exit 2, naming %s", async (args, named) => {
    const result = await run([...secrets, ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(named);
    expect(result.stderr).not.toContain(JWE);
    expect(result.stderr).not.toContain(JWT);
  });

  it("mints up to the maximum token lifetime (30 days, or MCP_JWE_MAX_TOKEN_LIFETIME)", async () => {
    const month = await run([...secrets, "--host=h", "--expiry=2592000", "--output=json"]);
    expect(month.code).toBe(0);
    const viaEnv = await run([...secrets, "--host=h", "--expiry=7200"], {
      env: { MCP_JWE_MAX_TOKEN_LIFETIME: "3600" },
    });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toContain("maximum token lifetime of 3600 seconds");
    const badEnv = await run([...secrets, "--host=h"], { env: { MCP_JWE_MAX_TOKEN_LIFETIME: "soon" } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain("MCP_JWE_MAX_TOKEN_LIFETIME");
  });

  it("does not echo a stray argument or an unknown flag's value", async () => {
    const result = await run([...secrets, "--jwe-secret=oops-a-secret", "oops-another-secret"]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain("oops");
  });
});

describe.concurrent("jwe-token-generator help and keygen", () => {
  it("documents every flag in --help, -h and help", async () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      for (const flag of [
        "--jwe-secret-key",
        "--jwt-secret-key",
        "--host",
        "--port",
        "--database",
        "--username",
        "--password",
        "--protocol",
        "--tls",
        "--tls-ca-cert",
        "--tls-client-cert",
        "--tls-client-key",
        "--tls-insecure-skip-verify",
        "--expiry",
        "--limit",
        "--read-only",
        "--max-execution-time",
        "--max-rows-to-read",
        "--max-bytes-to-read",
        "--server-url",
        "--output",
        "MCP_JWE_SECRET_KEY",
        "MCP_JWT_SECRET_KEY",
        "inspect",
        "keygen",
      ]) {
        expect(result.stdout).toContain(flag);
      }
    }
  });

  it("has help for inspect and keygen", async () => {
    expect((await run(["inspect", "--help"])).stdout).toMatch(/^Usage: jwe-token-generator inspect/);
    expect((await run(["help", "keygen"])).stdout).toMatch(/^Usage: jwe-token-generator keygen/);
    expect((await run(["help", "nope"])).code).toBe(2);
  });

  it("keygen prints two distinct strong secrets in env-var form", async () => {
    const result = await run(["keygen"]);
    expect(result.code).toBe(0);
    const match = /^MCP_JWE_SECRET_KEY=([A-Za-z0-9_-]{43})\nMCP_JWT_SECRET_KEY=([A-Za-z0-9_-]{43})\n$/.exec(
      result.stdout,
    );
    expect(match).not.toBeNull();
    expect(match?.[1]).not.toBe(match?.[2]);
    const again = await run(["keygen"]);
    expect(again.stdout).not.toBe(result.stdout);
    expect((await run(["keygen", "--host=h"])).code).toBe(2);
    expect((await run(["keygen", "extra"])).code).toBe(2);
  });
});

describe.concurrent("jwe-token-generator inspect", () => {
  const claims = { host: "h.example.com", port: 8123, username: "alice", password: "inspect-password-value" };

  it("shows a valid token's claims with the password redacted, from an argument, stdin or -", async () => {
    const token = await mintToken(claims, { jweSecret: JWE, jwtSecret: JWT });
    for (const [args, stdin] of [
      [["inspect", token], undefined],
      [["inspect"], `${token}\n`],
      [["inspect", "-"], token],
    ] as const) {
      const result = await run([...args, ...secrets], { stdin });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/status: +valid/);
      expect(result.stdout).toMatch(/signed: +yes/);
      expect(result.stdout).toMatch(/expires at: +\S+ \(in (59m \d+s|1h)\)/);
      expect(result.stdout).toContain('"host": "h.example.com"');
      expect(result.stdout).toContain('"password": "[redacted]"');
      expect(result.stdout).not.toContain("inspect-password-value");
    }
  });

  it("prints JSON with --output json", async () => {
    const exp = Math.floor(Date.now() / 1000) + 7 * 86_400;
    const token = await mintToken({ ...claims, exp }, { jweSecret: JWE });
    const result = await run(["inspect", token, "--output=json"], { env: { MCP_JWE_SECRET_KEY: JWE } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      valid: true,
      status: "valid",
      signed: false,
      expires_at: new Date(exp * 1000).toISOString(),
      claims: { ...claims, password: "[redacted]", exp },
    });
  });

  it("exits 1 for a token expiring beyond the maximum token lifetime, and says so", async () => {
    const exp = Math.floor(Date.now() / 1000) + 365 * 86_400;
    const token = await mintToken({ ...claims, exp }, { jweSecret: JWE, maxTokenLifetime: 400 * 86_400 });
    const result = await run(["inspect", token], { env: { MCP_JWE_SECRET_KEY: JWE } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/status: +EXPIRES TOO LATE/);
    expect(result.stderr).toContain("TOKEN_LIFETIME_EXCEEDED");
    const longer = await run(["inspect", token, `--max-token-lifetime=${400 * 86_400}`], {
      env: { MCP_JWE_SECRET_KEY: JWE },
    });
    expect(longer.code).toBe(0);
  });

  it("shows an expired token's claims but exits 1", async () => {
    const token = await mintToken({ ...claims, exp: 1_000_000_000 }, { jweSecret: JWE, jwtSecret: JWT });
    const result = await run(["inspect", token, ...secrets]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/status: +EXPIRED/);
    expect(result.stdout).toMatch(/expires at: 2001-09-09T01:46:40.000Z \(expired .* ago\)/);
    expect(result.stdout).toContain('"username": "alice"');
    expect(result.stderr).toContain("TOKEN_EXPIRED");
  });

  it("exits 1 with the reason for an invalid token", async () => {
    const token = await mintToken(claims, { jweSecret: JWE, jwtSecret: JWT });
    const wrongKey = await run([
      "inspect",
      token,
      "--jwe-secret-key=another-jwe-secret",
      `--jwt-secret-key=${JWT}`,
    ]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^invalid token: .*\[TOKEN_DECRYPTION_FAILED\]\n$/);
    const wrongSignature = await run([
      "inspect",
      token,
      `--jwe-secret-key=${JWE}`,
      "--jwt-secret-key=another",
    ]);
    expect(wrongSignature.stderr).toContain("TOKEN_SIGNATURE_INVALID");
    const noJwtSecret = await run(["inspect", token, `--jwe-secret-key=${JWE}`]);
    expect(noJwtSecret.code).toBe(1);
    expect(noJwtSecret.stderr).toContain("TOKEN_SIGNATURE_UNEXPECTED");
    expect(noJwtSecret.stderr).toContain("--jwt-secret-key");
    const garbage = await run(["inspect", "not-a-token", ...secrets, "--output=json"]);
    expect(garbage.code).toBe(1);
    expect(JSON.parse(garbage.stdout)).toMatchObject({ valid: false, error: { code: "TOKEN_MALFORMED" } });
  });

  it("tries every --jwe-secret-key given, for rotation", async () => {
    const old = await mintToken(claims, {
      jweSecret: "previous-jwe-secret-0123456789abcdef",
      jwtSecret: JWT,
    });
    const result = await run([
      "inspect",
      old,
      `--jwe-secret-key=${JWE}`,
      "--jwe-secret-key=previous-jwe-secret-0123456789abcdef",
      `--jwt-secret-key=${JWT}`,
    ]);
    expect(result.code).toBe(0);
  });

  it("refuses usage mistakes with exit 2", async () => {
    expect((await run(["inspect", ...secrets])).code).toBe(2); // empty stdin
    expect((await run(["inspect", "a", "b", ...secrets])).code).toBe(2);
    expect((await run(["inspect", "tok", "--host=h", ...secrets])).code).toBe(2);
    const noSecret = await run(["inspect", "tok"]);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("MCP_JWE_SECRET_KEY");
  });
});
