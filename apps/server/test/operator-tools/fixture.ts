/**
 * An in-process server with operator-defined tools (`server.tools` rules) on a real socket,
 * against the harness ClickHouse: the HTTP test fixture's configuration plus the rules, a debug
 * log the test can read (checked for every secret in play when the file ends), and tokens for the
 * harness users.
 */
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { serve } from "@hono/node-server";
import { createClickHousePool } from "@mcp/clickhouse";
import { type ConnectionClaims, mintToken } from "@mcp/jwe";
import { harness } from "@mcp/test-harness";
import pino from "pino";
import { afterAll, expect } from "vitest";
import type { ServerConfig } from "../../src/config/server-config.js";
import { createApp } from "../../src/http/app.js";
import { parseToolsConfig } from "../../src/mcp/operator-tools/config.js";
import { createMetrics } from "../../src/observability/metrics.js";
import {
  harnessClaims,
  markSensitive,
  sensitiveValues,
  testConfig,
} from "../../src/test-support/http-fixture.js";

export type HarnessUser = "admin" | "password" | "readonly1" | "readonly2" | "oneDb";

export interface OperatorServer extends AsyncDisposable {
  url: string;
  config: ServerConfig;
  logLines(): Record<string, unknown>[];
  /** A token for a harness user, over HTTP (default) or the native protocol. */
  mint(user: HarnessUser, options?: { readOnly?: boolean; protocol?: "http" | "tcp" }): Promise<string>;
  close(): Promise<void>;
}

export interface OperatorServerOptions {
  /** `server.tools` as a config file would hold it. */
  tools: unknown[];
  ttlSeconds?: number;
  /** The server's --read-only. */
  readOnly?: boolean;
}

/** The servers of one test file: closed after the file, their logs checked for secrets. */
export function useOperatorServers(): (options: OperatorServerOptions) => Promise<OperatorServer> {
  const servers: OperatorServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const s of servers) {
      const text = JSON.stringify(s.logLines());
      for (const value of sensitiveValues()) expect(text).not.toContain(value);
    }
  });
  return async (options) => {
    const s = await startOperatorServer(options);
    servers.push(s);
    return s;
  };
}

export async function startOperatorServer(options: OperatorServerOptions): Promise<OperatorServer> {
  const warnings: string[] = [];
  const config: ServerConfig = {
    ...testConfig({ limits: { readOnly: options.readOnly ?? false } }),
    operatorTools: parseToolsConfig(
      { tools: options.tools, discoveryTtlSeconds: options.ttlSeconds ?? 60 },
      warnings,
    ),
  };
  let logs = "";
  const logger = pino(
    { level: "debug" },
    new Writable({
      write(chunk, _encoding, callback) {
        logs += chunk.toString();
        callback();
      },
    }),
  );
  const pool = createClickHousePool({ maxClients: 20, idleTimeoutMs: 60_000 });
  let port: number | undefined;
  const serverApp = createApp({
    config,
    pool,
    logger,
    metrics: createMetrics(),
    version: "0.0.0-test",
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
    logLines: () =>
      logs
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async mint(user, { readOnly = false, protocol = "http" } = {}) {
      const claims: ConnectionClaims = {
        ...harnessClaims(user),
        ...(user === "oneDb" && { database: harness().users.oneDb.database }),
        ...(protocol === "tcp" && { protocol: "tcp", port: harness().tcpPort }),
      };
      const token = await mintToken(
        { ...claims, ...(readOnly && { read_only: true }) },
        {
          jweSecret: config.jwe.jweSecretKeys[0]!,
          ...(config.jwe.jwtSecretKey !== undefined && { jwtSecret: config.jwe.jwtSecretKey }),
        },
      );
      markSensitive(token);
      return token;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
