import { type ClickHousePool, createClickHousePool } from "@mcp/clickhouse";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import type { Logger } from "pino";
import { defaultConnection } from "../config/default-connection.js";
import type { ServerConfig } from "../config/server-config.js";
import { loadServerTls, type ServerTlsMaterial } from "../config/tls-files.js";
import { createApp } from "../http/app.js";
import { createMcpServer } from "../mcp/create-mcp-server.js";
import { effectiveLimits } from "../mcp/effective-limits.js";
import { createOperatorTools } from "../mcp/operator-tools/index.js";
import { createMetrics } from "../observability/metrics.js";
import { createHttpServer, displayUrl, gracefulClose, listen } from "./http-server.js";
import { Lifecycle } from "./lifecycle.js";

export interface RuntimeOptions {
  /** The validated configuration (see config/). */
  config: ServerConfig;
  logger: Logger;
  /** Reported by /health, serverInfo and the `listening` line. */
  version: string;
  /** The server's TLS material; default: loaded from `config.http.tls` when set. */
  tls?: ServerTlsMaterial;
  /** The ClickHouse pool; default: a pool made from `config.pool`. The runtime closes it either way. */
  pool?: ClickHousePool;
  /**
   * Where the runtime registers its cleanup steps; default: its own. A caller that owns resources
   * the runtime depends on (main.ts: the embedded ClickHouse) registers them first, so they stop last.
   */
  lifecycle?: Lifecycle;
}

export interface RuntimeStarted {
  /** The base URL clients reach the HTTP server at; absent for stdio. */
  url?: string;
  /** The port the HTTP server listens on; absent for stdio. */
  port?: number;
}

export interface Runtime {
  /**
   * Serves: listens on `config.http.address:port` with the request timeouts (HTTP transports), or
   * speaks MCP on stdin/stdout (`--transport=stdio`).
   */
  start(): Promise<RuntimeStarted>;
  /** The graceful stop (idempotent): no new work, in-flight calls drained within the grace period, pool closed. */
  stop(): Promise<void>;
  readonly stopping: boolean;
}

export function createPool(config: ServerConfig): ClickHousePool {
  return createClickHousePool({
    maxClients: config.pool.maxClients,
    idleTimeoutMs: config.pool.idleTimeoutMs,
    allowedHosts: config.pool.allowedHosts,
    allowedTlsDirs: config.pool.allowedTlsDirs,
  });
}

/**
 * The server as users run it, from a validated configuration: the pool, metrics, the app, the
 * HTTP server with its request timeouts, listening, and the graceful stop. What `altinity-mcp`
 * adds around it (main.ts) is argv/env parsing, signals, exit codes and the embedded ClickHouse
 * of --quickstart; the bench runs this same runtime.
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const { config, logger, version } = options;
  const lifecycle = options.lifecycle ?? new Lifecycle(logger);
  const pool = options.pool ?? createPool(config);
  lifecycle.add("ClickHouse pool", () => pool.close());
  const metrics = createMetrics();

  async function startHttp(): Promise<RuntimeStarted> {
    const tls = options.tls ?? (config.http.tls ? loadServerTls(config.http.tls) : undefined);
    let listeningPort: number | undefined;
    const serverApp = createApp({
      config,
      pool,
      logger,
      metrics,
      version,
      listeningPort: () => listeningPort,
    });
    const server = createHttpServer({ fetch: serverApp.app.fetch, http: config.http, ...(tls && { tls }) });

    const address = await listen(server, config.http.port, config.http.address);
    listeningPort = address.port;
    server.on("error", (error) => logger.error({ err: error }, "HTTP server error"));
    // Failed handshakes (e.g. a client without a certificate under mutual TLS) are the client's problem.
    server.on("tlsClientError", (error: Error) => logger.debug({ err: error }, "TLS handshake failed"));
    lifecycle.add(
      "HTTP server",
      gracefulClose(server, () => serverApp.shutdown(config.http.shutdownGraceMs)),
    );

    const url = displayUrl(tls ? "https" : "http", address);
    logger.info(
      {
        url,
        transports: config.http.transports,
        jwe: config.jwe.allow,
        tls: Boolean(tls),
        mutualTls: Boolean(tls?.ca),
        version,
      },
      "listening",
    );
    return { url, port: address.port };
  }

  async function startStdio(): Promise<RuntimeStarted> {
    const operatorTools = createOperatorTools({
      config: config.operatorTools ?? { rules: [], discoveryTtlMs: 60_000 },
      serverReadOnly: config.limits.readOnly,
      pool,
      logger,
    });
    lifecycle.add("operator tools", async () => operatorTools.close());
    const context = {
      connection: defaultConnection(config.clickhouse),
      limits: effectiveLimits(config.limits),
      pool,
      logger,
      metrics,
      version,
    };
    // stdout carries the protocol and nothing else; logs go to stderr. The opening exchange picks
    // the era (2026-07-28 via server/discover, or the 2025 initialize handshake).
    // One server for the life of the connection: it follows changes of the operator-defined tools.
    const stdio = serveStdio(
      async () =>
        createMcpServer({
          ...context,
          operatorTools: await operatorTools.forConnection(context.connection, context.limits, {
            live: true,
          }),
        }),
      {
        onerror: (error) => logger.debug({ errName: error.name, err: error.message }, "MCP stdio error"),
      },
    );
    lifecycle.add("MCP stdio server", () => stdio.close());
    logger.info(
      { transport: "stdio", clickhouse: `${config.clickhouse.host}:${config.clickhouse.port}` },
      "serving MCP on stdin/stdout",
    );
    return {};
  }

  return {
    start: () => (config.http.transports.includes("stdio") ? startStdio() : startHttp()),
    stop: () => lifecycle.stop(),
    get stopping() {
      return lifecycle.stopping;
    },
  };
}
