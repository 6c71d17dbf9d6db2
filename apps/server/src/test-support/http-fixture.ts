/**
 * In-process servers for the HTTP tests: createApp on a real socket (127.0.0.1, port 0) against
 * the harness ClickHouse, a pino logger at debug level whose output the test can read, a movable
 * clock for the token verifier, and MCP clients over both transports. Not part of the server.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { serve } from "@hono/node-server";
import { type ClickHousePool, createClickHousePool } from "@mcp/clickhouse";
import { type ConnectionClaims, DEFAULT_MAX_TOKEN_LIFETIME, type MintableClaims, mintToken } from "@mcp/jwe";
import { harness } from "@mcp/test-harness";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pino from "pino";
import { afterAll, expect } from "vitest";
import type { ServerConfig } from "../config/server-config.js";
import { createApp, type ServerApp } from "../http/app.js";
import { createMetrics, type Metrics } from "../observability/metrics.js";

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/** Every string a log line must never contain: secrets, passwords and tokens used by a test file. */
const sensitive = new Set<string>();

export function markSensitive(...values: (string | undefined)[]): void {
  for (const value of values) if (value) sensitive.add(value);
}

export function sensitiveValues(): string[] {
  return [...sensitive];
}

export const JWE_SECRET = `jwe-${randomBytes(16).toString("hex")}`;
export const JWT_SECRET = `jwt-${randomBytes(16).toString("hex")}`;
markSensitive(JWE_SECRET, JWT_SECRET);

export function testConfig(overrides: DeepPartial<ServerConfig> = {}): ServerConfig {
  const h = harness();
  const base: ServerConfig = {
    http: {
      transports: ["sse", "http"],
      address: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1024 * 1024,
      maxSseSessions: 1000,
      maxSseSessionsPerToken: 100,
      maxConcurrentCallsPerToken: 8,
      sseKeepAliveMs: 15_000,
      shutdownGraceMs: 2_000,
      requestTimeoutMs: 30_000,
    },
    jwe: {
      allow: true,
      jweSecretKeys: [JWE_SECRET],
      jwtSecretKey: JWT_SECRET,
      clockToleranceSeconds: 0,
      maxTokenBytes: 16_384,
      maxTokenLifetimeSeconds: DEFAULT_MAX_TOKEN_LIFETIME,
      fillFromDefault: false,
    },
    clickhouse: {
      host: h.host,
      port: h.httpPort,
      database: "default",
      username: h.users.password.username,
      password: h.users.password.password,
      protocol: "http",
      tlsEnabled: false,
      tlsInsecureSkipVerify: false,
      configured: true,
    },
    limits: {
      readOnly: false,
      maxExecutionTime: 60,
      maxResultRows: 500,
      maxResultBytes: 16 * 1024 * 1024,
      maxMemoryUsage: 1024 * 1024 * 1024,
      maxQueryLength: 100_000,
      maxRowsToRead: 0,
      maxBytesToRead: 0,
    },
    pool: { maxClients: 20, idleTimeoutMs: 60_000 },
    generator: { enabled: true },
    logLevel: "debug",
  };
  markSensitive(...Object.values(h.users).map((u) => u.password));
  return {
    http: { ...base.http, ...overrides.http } as ServerConfig["http"],
    jwe: { ...base.jwe, ...overrides.jwe } as ServerConfig["jwe"],
    clickhouse: { ...base.clickhouse, ...overrides.clickhouse } as ServerConfig["clickhouse"],
    limits: { ...base.limits, ...overrides.limits },
    pool: { ...base.pool, ...overrides.pool } as ServerConfig["pool"],
    generator: { ...base.generator, ...overrides.generator } as ServerConfig["generator"],
    logLevel: overrides.logLevel ?? base.logLevel,
  };
}

/** Connection claims for a harness user (default: the read-write user with a password). */
export function harnessClaims(
  user: "admin" | "password" | "readonly1" | "readonly2" | "oneDb" = "password",
): ConnectionClaims {
  const h = harness();
  const cred = h.users[user];
  return {
    host: h.host,
    port: h.httpPort,
    username: cred.username,
    password: cred.password,
    protocol: "http",
  };
}

export interface TestClock {
  now: () => Date;
  advance(seconds: number): void;
}

export function createClock(): TestClock {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
  };
}

export interface TestServer extends AsyncDisposable {
  url: string;
  config: ServerConfig;
  serverApp: ServerApp;
  metrics: Metrics;
  pool: ClickHousePool;
  clock: TestClock;
  /** Everything logged so far, one JSON object per line. */
  logText(): string;
  logLines(): Record<string, unknown>[];
  /** A token for this server's secrets (registered as sensitive). */
  mint(claims?: MintableClaims, options?: { expiresIn?: number; jwtSecret?: string | null }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The servers of one test file: returns a `start` that registers each server, so that after the
 * file every one is closed and its logs are checked for every sensitive value in play.
 */
export function useTestServers(): (...args: Parameters<typeof startTestServer>) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const s of servers) {
      const logs = s.logText();
      for (const value of sensitiveValues()) expect(logs).not.toContain(value);
    }
  });
  return async (...args) => {
    const s = await startTestServer(...args);
    servers.push(s);
    return s;
  };
}

export async function startTestServer(overrides: DeepPartial<ServerConfig> = {}): Promise<TestServer> {
  const config = testConfig(overrides);
  markSensitive(config.generator.operatorKey, config.clickhouse.password, ...config.jwe.jweSecretKeys);
  let logs = "";
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      logs += chunk.toString();
      callback();
    },
  });
  const logger = pino({ level: "debug" }, destination);
  const metrics = createMetrics();
  const pool = createClickHousePool({
    maxClients: config.pool.maxClients,
    idleTimeoutMs: config.pool.idleTimeoutMs,
    ...(config.pool.allowedHosts && { allowedHosts: config.pool.allowedHosts }),
    ...(config.pool.allowedTlsDirs && { allowedTlsDirs: config.pool.allowedTlsDirs }),
  });
  const clock = createClock();
  let port: number | undefined;
  const serverApp = createApp({
    config,
    pool,
    logger,
    metrics,
    version: "0.0.0-test",
    now: clock.now,
    listeningPort: () => port,
  });
  const server = serve({ fetch: serverApp.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => {
    if (server.listening) resolve();
    else server.once("listening", () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    server.close();
    await serverApp.shutdown(1000);
    if ("closeAllConnections" in server) server.closeAllConnections();
    await pool.close();
  };

  return {
    url: `http://127.0.0.1:${port}`,
    config,
    serverApp,
    metrics,
    pool,
    clock,
    logText: () => logs,
    logLines: () =>
      logs
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async mint(claims = harnessClaims(), options = {}) {
      const jweSecret = config.jwe.jweSecretKeys[0] ?? JWE_SECRET;
      const jwtSecret =
        options.jwtSecret === null ? undefined : (options.jwtSecret ?? config.jwe.jwtSecretKey);
      const token = await mintToken(claims, {
        jweSecret,
        ...(jwtSecret !== undefined && { jwtSecret }),
        ...(options.expiresIn !== undefined && { expiresIn: options.expiresIn }),
        currentDate: clock.now(),
        maxTokenLifetime: config.jwe.maxTokenLifetimeSeconds,
      });
      markSensitive(token);
      return token;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

export type TransportKind = "sse" | "http";

export interface ConnectOptions {
  headers?: Record<string, string>;
}

/** An MCP client connected over legacy SSE or Streamable HTTP; `await using` closes it. */
export async function connectClient(
  kind: TransportKind,
  url: string,
  options: ConnectOptions = {},
): Promise<Client & AsyncDisposable> {
  const client = new Client({ name: "http-test", version: "1.0.0" });
  const requestInit = options.headers ? { headers: options.headers } : undefined;
  const transport =
    kind === "sse"
      ? new SSEClientTransport(new URL(url), requestInit ? { requestInit } : {})
      : new StreamableHTTPClientTransport(new URL(url), requestInit ? { requestInit } : {});
  await client.connect(transport);
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

/** The URL a client uses for a transport, with the token in the path or not. */
export function mcpUrl(base: string, kind: TransportKind, token?: string): string {
  const path = kind === "sse" ? "sse" : "mcp";
  return token === undefined ? `${base}/${path}` : `${base}/${token}/${path}`;
}

export function textOf(result: unknown): string {
  const content = ((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[];
  return content
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n");
}

/** A tool result's structured content as JSON text, for checking the data a call returned. */
export function structuredOf(result: unknown): string {
  return JSON.stringify((result as { structuredContent?: unknown }).structuredContent ?? null);
}

/** Polls `check` until it holds (behaviour, not timing: the bound only stops a hung test). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting until ${what}`);
}
