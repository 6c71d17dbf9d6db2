#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { ConfigError } from "./config/config-error.js";
import { defaultConnection } from "./config/default-connection.js";
import { renderHelp } from "./config/flags.js";
import type { ServerTlsMaterial } from "./config/tls-files.js";
import { loadServerTls } from "./config/tls-files.js";
import {
  type ConfigResult,
  configSecrets,
  createLogger,
  createRuntime,
  Lifecycle,
  parseArgv,
  resolveConfig,
} from "./index.js";
import { mintQuickstartToken, renderBanner } from "./quickstart/banner.js";
import { EmbeddedClickHouseMissingError, startEmbeddedClickHouse } from "./quickstart/embedded-clickhouse.js";

/** Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration (nothing was started). */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_BAD_CONFIG = 2;

/** After the grace period, this much longer for the pool and the embedded ClickHouse to close. */
const SHUTDOWN_SLACK_MS = 10_000;

function readVersion(): string {
  // dist/main.js and src/main.ts both sit one level below the package root.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
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

  const version = readVersion();
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
    const runtime = createRuntime({ config, logger, version, lifecycle, ...(tls && { tls }) });
    const { url } = await runtime.start();
    if (url === undefined) {
      process.stdin.once("end", () => requestStop("stdin closed"));
    } else if (result.quickstart) {
      // Only for the embedded demo: a token for an operator-configured ClickHouse is never printed.
      const token =
        config.jwe.allow && embedded
          ? await mintQuickstartToken(config, defaultConnection(config.clickhouse))
          : undefined;
      process.stdout.write(
        renderBanner({ config, baseUrl: url, embedded, generatedSecrets: result.generatedSecrets, token }),
      );
    }
  } catch (error) {
    if (lifecycle.stopping) return undefined;
    if (error instanceof EmbeddedClickHouseMissingError) {
      process.stderr.write(`altinity-mcp: ${error.message}\n`);
    }
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
