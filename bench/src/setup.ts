import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { type EmbeddedClickHouse, type EmbeddedUser, start } from "@mcp/embedded-clickhouse";
import { type MintableClaims, mintToken } from "@mcp/jwe";
import {
  childScript,
  cleanEnv,
  freePort,
  type Managed,
  nodeArgsForScript,
  spawnManaged,
  waitForHttp,
  waitForJsonFile,
} from "./processes.js";

/** The server package as the bench depends on it (@mcp/server, workspace:*): its binary and its entry point. */
const SERVER_PACKAGE_JSON = createRequire(import.meta.url).resolve("@mcp/server/package.json");
const SERVER_PACKAGE = JSON.parse(readFileSync(SERVER_PACKAGE_JSON, "utf8")) as {
  bin: { "altinity-mcp": string };
  exports: { ".": { import: string } };
};
/** `altinity-mcp`, the binary users run. */
export const SERVER_MAIN = path.resolve(
  path.dirname(SERVER_PACKAGE_JSON),
  SERVER_PACKAGE.bin["altinity-mcp"],
);
/** What `import "@mcp/server"` loads (createRuntime). */
export const SERVER_ENTRY = path.resolve(
  path.dirname(SERVER_PACKAGE_JSON),
  SERVER_PACKAGE.exports["."].import,
);

export const TENANT_USERS = 1000;
export const TENANT_DATABASES = Array.from({ length: 10 }, (_, i) => `tenants_${i}`);
export const TENANT_USER_PREFIX = "tenant_";

export interface BenchEnv {
  clickhouse: EmbeddedClickHouse;
  /** The user every query scenario connects as (readwrite; the server sends readonly=1 itself). */
  user: EmbeddedUser;
  admin: ClickHouseClient;
  jweSecret: string;
  jwtSecret: string;
  tenantPasswordPrefix: string;
  /** Logs, ready files and profiles of the run; removed at the end unless kept. */
  workDir: string;
  profileDir?: string;
  processes: Managed[];
}

export interface SetupOptions {
  tenants: boolean;
  profileDir?: string;
}

export async function setUp(options: SetupOptions): Promise<BenchEnv> {
  const tenantPasswordPrefix = `${randomBytes(6).toString("hex")}_`;
  const user: EmbeddedUser = { name: "bench", password: randomBytes(18).toString("base64url") };
  const users: EmbeddedUser[] = [user];
  if (options.tenants) {
    for (let i = 0; i < TENANT_USERS; i++) {
      users.push({ name: `${TENANT_USER_PREFIX}${i}`, password: `${tenantPasswordPrefix}${i}` });
    }
  }
  const clickhouse = await start({ users, loadDemo: true, startTimeoutMs: 60_000 });
  const admin = createClient({
    url: clickhouse.url,
    username: clickhouse.admin.name,
    password: clickhouse.admin.password,
    log: { level: ClickHouseLogLevel.OFF },
  });
  if (options.tenants) {
    for (const database of TENANT_DATABASES) {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database} ENGINE = Memory` });
    }
  }
  return {
    clickhouse,
    user,
    admin,
    jweSecret: randomBytes(32).toString("base64url"),
    jwtSecret: randomBytes(32).toString("base64url"),
    tenantPasswordPrefix,
    workDir: mkdtempSync(path.join(os.tmpdir(), "mcp-bench-")),
    ...(options.profileDir && { profileDir: options.profileDir }),
    processes: [],
  };
}

export async function tearDown(env: BenchEnv): Promise<void> {
  await Promise.all(env.processes.map((proc) => proc.stop()));
  await env.admin.close().catch(() => {});
  await env.clickhouse.stop();
  rmSync(env.workDir, { recursive: true, force: true });
}

export function serverBuilt(): string | undefined {
  if (!existsSync(SERVER_MAIN) || !existsSync(SERVER_ENTRY)) {
    return "apps/server is not built (run `pnpm turbo run build --filter=@mcp/server...`)";
  }
  return undefined;
}

/** Claims of the bench user on the plain HTTP port. */
export function benchClaims(env: BenchEnv): MintableClaims {
  return {
    host: "127.0.0.1",
    port: env.clickhouse.httpPort,
    database: "demo",
    username: env.user.name,
    password: env.user.password,
    protocol: "http",
  };
}

/** Claims of the bench user through the TLS proxy, verifying its certificate with the proxy's CA. */
export function tlsClaims(env: BenchEnv, proxy: TlsProxyInfo): MintableClaims {
  return {
    ...benchClaims(env),
    host: "localhost",
    port: proxy.port,
    tls_enabled: true,
    tls_ca_cert: proxy.caCertPath,
  };
}

export function mint(env: BenchEnv, claims: MintableClaims, extra: MintableClaims = {}): Promise<string> {
  return mintToken(
    { ...claims, ...extra },
    { jweSecret: env.jweSecret, jwtSecret: env.jwtSecret, expiresIn: 6 * 3600 },
  );
}

function serverEnv(env: BenchEnv): Record<string, string> {
  return cleanEnv({ MCP_JWE_SECRET_KEY: env.jweSecret, MCP_JWT_SECRET_KEY: env.jwtSecret });
}

/** The server's flags in every scenario: both transports, JWE on, ClickHouse hosts allow-listed, info logs. */
function serverFlags(port: number, extra: string[]): string[] {
  return [
    "--transport=sse,http",
    "--address=127.0.0.1",
    `--port=${port}`,
    "--allow-jwe-auth",
    "--clickhouse-allowed-hosts=127.0.0.1:*,localhost:*",
    // The throughput scenarios send up to 32 calls at once with one token: above the default
    // per-token fairness cap (8), which would measure 429s instead of the server.
    "--max-concurrent-calls-per-token=64",
    "--log-level=info",
    ...extra,
  ];
}

export interface RunningServer {
  url: string;
  proc: Managed;
}

/** The real binary (`altinity-mcp`, apps/server/dist/main.js) with flags, its logs in a file as in production. */
export async function startBinaryServer(
  env: BenchEnv,
  name: string,
  extraFlags: string[] = [],
  options: { heapSnapshots?: boolean } = {},
): Promise<RunningServer> {
  const port = await freePort();
  const profileDir = env.profileDir ? path.join(env.profileDir, name) : undefined;
  const nodeArgs: string[] = [];
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
    // SIGUSR2 writes a heap snapshot into the working directory.
    if (options.heapSnapshots) nodeArgs.push("--heapsnapshot-signal=SIGUSR2");
  }
  const proc = await spawnManaged(
    name,
    process.execPath,
    [...nodeArgs, SERVER_MAIN, ...serverFlags(port, extraFlags)],
    {
      env: serverEnv(env),
      logPath: path.join(env.workDir, `${name}.log`),
      ...(profileDir && { cwd: profileDir }),
    },
  );
  env.processes.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/livez`, proc);
  return { url, proc };
}

/** node --cpu-prof arguments when profiling, writing into a directory per process. */
function profileArgs(env: BenchEnv, name: string): string[] {
  if (!env.profileDir) return [];
  const dir = path.join(env.profileDir, name);
  mkdirSync(dir, { recursive: true });
  return ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}

/** Our runtime (`createRuntime` of @mcp/server) in a bench host, with the real pool or the reference's strategy. */
export async function startServerHost(
  env: BenchEnv,
  name: string,
  strategy: "pool" | "reference",
): Promise<RunningServer> {
  const port = await freePort();
  const readyFile = path.join(env.workDir, `${name}.ready.json`);
  const proc = await spawnManaged(
    name,
    process.execPath,
    [
      ...nodeArgsForScript(childScript("server-host.ts"), profileArgs(env, name)),
      `--strategy=${strategy}`,
      `--ready-file=${readyFile}`,
      "--",
      ...serverFlags(port, []),
    ],
    { env: serverEnv(env), logPath: path.join(env.workDir, `${name}.log`) },
  );
  env.processes.push(proc);
  const { url } = await waitForJsonFile<{ url: string }>(readyFile, proc);
  return { url, proc };
}

/** (d) the thinnest SDK server, bench-only. */
export async function startThinServer(env: BenchEnv): Promise<RunningServer> {
  const port = await freePort();
  const readyFile = path.join(env.workDir, "thin.ready.json");
  const proc = await spawnManaged(
    "thin-server",
    process.execPath,
    [
      ...nodeArgsForScript(childScript("thin-server.ts"), profileArgs(env, "thin-server")),
      `--port=${port}`,
      `--clickhouse-url=${env.clickhouse.url}`,
      `--username=${env.user.name}`,
      `--ready-file=${readyFile}`,
    ],
    {
      env: cleanEnv({ BENCH_CLICKHOUSE_PASSWORD: env.user.password }),
      logPath: path.join(env.workDir, "thin-server.log"),
    },
  );
  env.processes.push(proc);
  const { url } = await waitForJsonFile<{ url: string }>(readyFile, proc);
  return { url, proc };
}

export interface TlsProxyInfo {
  port: number;
  url: string;
  caCertPath: string;
}

/** The harness's TLS proxy in front of ClickHouse's HTTP port, in its own process. */
export async function startTlsProxy(env: BenchEnv): Promise<TlsProxyInfo> {
  const readyFile = path.join(env.workDir, "tls-proxy.ready.json");
  const proc = await spawnManaged(
    "tls-proxy",
    process.execPath,
    [
      ...nodeArgsForScript(childScript("tls-proxy.ts")),
      `--target-port=${env.clickhouse.httpPort}`,
      `--ready-file=${readyFile}`,
    ],
    { env: cleanEnv(), logPath: path.join(env.workDir, "tls-proxy.log") },
  );
  env.processes.push(proc);
  return waitForJsonFile<TlsProxyInfo>(readyFile, proc);
}

/** Stops one process and forgets it. */
export async function stopProcess(env: BenchEnv, proc: Managed): Promise<void> {
  await proc.stop();
  env.processes = env.processes.filter((p) => p !== proc);
}
