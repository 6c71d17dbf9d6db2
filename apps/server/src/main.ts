#!/usr/bin/env node
import { readFileSync } from "node:fs";
import type { Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { createAdaptorServer } from "@hono/node-server";
import { createClickHousePool } from "@mcp/clickhouse";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createApp } from "./app.js";
import { ConfigError } from "./config/config-error.js";
import { defaultConnection } from "./config/default-connection.js";
import { renderHelp } from "./config/flags.js";
import { type ConfigResult, configSecrets, resolveConfig } from "./config/load-config.js";
import { parseArgv } from "./config/parse-argv.js";
import type { ServerConfig } from "./config/server-config.js";
import { loadServerTls, type ServerTlsMaterial } from "./config/tls-files.js";
import { createLogger, type Logger } from "./logger.js";
import { createMcpServer } from "./mcp/create-mcp-server.js";
import { effectiveLimits } from "./mcp/effective-limits.js";
import { createMetrics } from "./metrics.js";
import { mintQuickstartToken, renderBanner, startEmbeddedClickHouse } from "./quickstart.js";

/** Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration (nothing was started). */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_BAD_CONFIG = 2;

/** After the grace period, this much longer for the pool and the embedded ClickHouse to close. */
const SHUTDOWN_SLACK_MS = 10_000;
/** After the app has drained, how long responses still being written may take before sockets are cut. */
const RESPONSE_FLUSH_MS = 2_000;

function readVersion(): string {
  // dist/main.js and src/main.ts both sit one level below the package root.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Runs cleanup steps once, last registered first. A step registered after shutdown began runs at
 * once, so a resource that finishes starting during shutdown is not leaked.
 */
class Lifecycle {
  readonly #steps: { name: string; run: () => Promise<void> }[] = [];
  #stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  add(name: string, run: () => Promise<void>): void {
    if (this.#stopping) {
      void this.#runStep({ name, run });
      return;
    }
    this.#steps.unshift({ name, run });
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const step of this.#steps) await this.#runStep(step);
    })();
    return this.#stopping;
  }

  async #runStep(step: { name: string; run: () => Promise<void> }): Promise<void> {
    try {
      await step.run();
      this.logger.debug({ step: step.name }, "stopped");
    } catch (error) {
      this.logger.error({ err: error, step: step.name }, "error while stopping");
    }
  }
}

function displayUrl(scheme: "http" | "https", address: AddressInfo): string {
  const wildcard = address.address === "0.0.0.0" || address.address === "::";
  const host = wildcard ? "127.0.0.1" : address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

interface Running {
  config: ServerConfig;
  result: ConfigResult;
  logger: Logger;
  lifecycle: Lifecycle;
  version: string;
  /** Begins a clean stop (signal, stdin closed). */
  requestStop: (reason: string) => void;
}

async function serveHttp(run: Running, tls: ServerTlsMaterial | undefined, embedded: boolean): Promise<void> {
  const { config, logger, lifecycle, version } = run;
  const pool = createPool(config);
  lifecycle.add("ClickHouse pool", () => pool.close());
  const metrics = createMetrics();
  let listeningPort: number | undefined;
  const serverApp = createApp({ config, pool, logger, metrics, version, listeningPort: () => listeningPort });

  // Against slowloris: headers and body must arrive within the request timeout (checked every
  // second, not Node's default 30 s). Only receiving the request is timed, so SSE streams and
  // long tool calls are unaffected.
  const timeouts = {
    headersTimeout: config.http.requestTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, config.http.requestTimeoutMs),
  };
  const server = createAdaptorServer({
    fetch: serverApp.app.fetch,
    hostname: config.http.address,
    ...(tls
      ? {
          createServer: createHttpsServer,
          serverOptions: {
            ...timeouts,
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
          },
        }
      : { serverOptions: timeouts }),
  }) as Server;

  const address = await listen(server, config.http.port, config.http.address);
  listeningPort = address.port;
  server.on("error", (error) => logger.error({ err: error }, "HTTP server error"));
  // Failed handshakes (e.g. a client without a certificate under mutual TLS) are the client's problem.
  server.on("tlsClientError", (error: Error) => logger.debug({ err: error }, "TLS handshake failed"));

  // While stopping, a keep-alive connection is closed as soon as its response is out, so that
  // responses of in-flight calls are delivered whole and then nothing holds the server open.
  let closing = false;
  server.on("request", (_req, res: ServerResponse) => {
    res.once("finish", () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  lifecycle.add("HTTP server", async () => {
    closing = true;
    server.close(); // no new connections; idle keep-alive connections are closed now
    await serverApp.shutdown(config.http.shutdownGraceMs);
    server.closeIdleConnections();
    const flushed = await Promise.race([closed.then(() => true), delay(RESPONSE_FLUSH_MS, false)]);
    if (!flushed) server.closeAllConnections();
    await closed;
  });

  const baseUrl = displayUrl(tls ? "https" : "http", address);
  logger.info(
    {
      url: baseUrl,
      transports: config.http.transports,
      jwe: config.jwe.allow,
      tls: Boolean(tls),
      mutualTls: Boolean(tls?.ca),
      version,
    },
    "listening",
  );

  if (run.result.quickstart) {
    // Only for the embedded demo: a token for an operator-configured ClickHouse is never printed.
    const token =
      config.jwe.allow && embedded
        ? await mintQuickstartToken(config, defaultConnection(config.clickhouse))
        : undefined;
    process.stdout.write(
      renderBanner({ config, baseUrl, embedded, generatedSecrets: run.result.generatedSecrets, token }),
    );
  }
}

async function serveStdio(run: Running): Promise<void> {
  const { config, logger, lifecycle } = run;
  const pool = createPool(config);
  lifecycle.add("ClickHouse pool", () => pool.close());
  const metrics = createMetrics();
  const mcp = createMcpServer({
    connection: defaultConnection(config.clickhouse),
    limits: effectiveLimits(config.limits),
    pool,
    logger,
    metrics,
  });
  // stdout carries the protocol and nothing else; logs go to stderr.
  const transport = new StdioServerTransport();
  await mcp.connect(transport);
  lifecycle.add("MCP stdio server", () => mcp.close());
  process.stdin.once("end", () => run.requestStop("stdin closed"));
  logger.info(
    { transport: "stdio", clickhouse: `${config.clickhouse.host}:${config.clickhouse.port}` },
    "serving MCP on stdin/stdout",
  );
}

function createPool(config: ServerConfig) {
  return createClickHousePool({
    maxClients: config.pool.maxClients,
    idleTimeoutMs: config.pool.idleTimeoutMs,
    allowedHosts: config.pool.allowedHosts,
    allowedTlsDirs: config.pool.allowedTlsDirs,
  });
}

async function main(argv: readonly string[]): Promise<number | undefined> {
  let result: ConfigResult;
  let tls: ServerTlsMaterial | undefined;
  try {
    const parsed = parseArgv(argv);
    if (parsed.help) {
      process.stdout.write(renderHelp());
      return EXIT_OK;
    }
    if (parsed.version) {
      process.stdout.write(`altinity-mcp ${readVersion()}\n`);
      return EXIT_OK;
    }
    result = resolveConfig(parsed, process.env);
    tls = result.config.http.tls ? loadServerTls(result.config.http.tls) : undefined;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`altinity-mcp: configuration error: ${error.message}\n`);
      return EXIT_BAD_CONFIG;
    }
    throw error;
  }

  const { config } = result;
  const secrets = new Set(configSecrets(config));
  const logger = createLogger(config.logLevel, { secrets });
  for (const warning of result.warnings) logger.warn(warning);
  const lifecycle = new Lifecycle(logger);

  const requestStop = (reason: string) => {
    if (lifecycle.stopping) return;
    logger.info({ reason }, "stopping");
    const deadline = setTimeout(() => {
      logger.error("shutdown took too long, exiting");
      process.exit(EXIT_FAILURE);
    }, config.http.shutdownGraceMs + SHUTDOWN_SLACK_MS);
    deadline.unref();
    void lifecycle.stop().then(() => {
      logger.info("stopped");
      process.exit(EXIT_OK);
    });
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (lifecycle.stopping) {
        logger.warn({ signal }, "second signal, exiting now");
        process.exit(EXIT_FAILURE);
      }
      requestStop(signal);
    });
  }
  const fail = (error: unknown, message: string) => {
    logger.fatal({ err: error }, message);
    const deadline = setTimeout(() => process.exit(EXIT_FAILURE), SHUTDOWN_SLACK_MS);
    deadline.unref();
    void lifecycle.stop().then(() => process.exit(EXIT_FAILURE));
  };
  process.on("uncaughtException", (error) => fail(error, "uncaught exception"));
  process.on("unhandledRejection", (error) => fail(error, "unhandled promise rejection"));

  const run: Running = { config, result, logger, lifecycle, version: readVersion(), requestStop };
  try {
    const embedded = result.quickstart && !config.clickhouse.configured;
    if (embedded) {
      logger.info("starting the embedded ClickHouse with the demo dataset");
      const clickhouse = await startEmbeddedClickHouse();
      for (const secret of clickhouse.secrets) secrets.add(secret);
      lifecycle.add("embedded ClickHouse", () => clickhouse.stop());
      config.clickhouse = clickhouse.clickhouse;
      logger.info(
        { port: config.clickhouse.port, database: config.clickhouse.database },
        "embedded ClickHouse ready",
      );
    }
    if (lifecycle.stopping) return undefined;
    if (config.http.transports.includes("stdio")) await serveStdio(run);
    else await serveHttp(run, tls, embedded);
  } catch (error) {
    if (lifecycle.stopping) return undefined;
    fail(error, "failed to start");
  }
  return undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`altinity-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
