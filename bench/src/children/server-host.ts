/**
 * Our server's own app (apps/server/dist: config, logger, metrics, createApp) served the way
 * main.ts serves it, with either the real pool or the reference's new-client-per-call strategy,
 * so (c) runs our whole code path and differs from (b) only in the pool.
 * Arguments: --strategy=pool|reference --ready-file=PATH, then the server's own flags after `--`.
 */
import { writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createClickHousePool } from "@mcp/clickhouse";
import { createApp } from "../../../apps/server/dist/app.js";
import { configSecrets, resolveConfig } from "../../../apps/server/dist/config/load-config.js";
import { parseArgv } from "../../../apps/server/dist/config/parse-argv.js";
import { createLogger } from "../../../apps/server/dist/logger.js";
import { createMetrics } from "../../../apps/server/dist/metrics.js";
import { createReferenceStrategyPool } from "../reference-strategy.js";
import { childArgs, required } from "./args.js";

const separator = process.argv.indexOf("--");
const own = childArgs(process.argv.slice(2, separator < 0 ? undefined : separator));
const serverArgv = separator < 0 ? [] : process.argv.slice(separator + 1);
const strategy = required(own, "strategy");
if (strategy !== "pool" && strategy !== "reference")
  throw new TypeError("--strategy must be pool or reference");

const { config } = resolveConfig(parseArgv(serverArgv), process.env);
const logger = createLogger(config.logLevel, { secrets: new Set(configSecrets(config)) });
const poolOptions = {
  maxClients: config.pool.maxClients,
  idleTimeoutMs: config.pool.idleTimeoutMs,
  ...(config.pool.allowedHosts && { allowedHosts: config.pool.allowedHosts }),
  ...(config.pool.allowedTlsDirs && { allowedTlsDirs: config.pool.allowedTlsDirs }),
};
const pool =
  strategy === "reference" ? createReferenceStrategyPool(poolOptions) : createClickHousePool(poolOptions);
const { app } = createApp({ config, pool, logger, metrics: createMetrics(), version: `bench-${strategy}` });
const server = createAdaptorServer({ fetch: app.fetch, hostname: config.http.address }) as Server;
server.listen(config.http.port, config.http.address, () => {
  const address = server.address() as AddressInfo;
  writeFileSync(
    required(own, "ready-file"),
    JSON.stringify({ url: `http://${address.address}:${address.port}` }),
  );
});

// Exit through process.exit on SIGTERM so that node --cpu-prof writes its profile.
process.on("SIGTERM", () => process.exit(0));
