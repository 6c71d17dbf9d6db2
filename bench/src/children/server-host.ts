/**
 * Our server's own runtime (`createRuntime` from @mcp/server: the pool, metrics, app, HTTP server
 * with its request timeouts, listening) configured from the server's own flags, exactly as
 * `altinity-mcp` runs it, with either the real pool or the reference's new-client-per-call
 * strategy, so (c) runs our whole code path and differs from (b) only in the pool.
 * Arguments: --strategy=pool|reference --ready-file=PATH, then the server's own flags after `--`.
 */
import { writeFileSync } from "node:fs";
import {
  configSecrets,
  createLogger,
  createPool,
  createRuntime,
  parseArgv,
  resolveConfig,
} from "@mcp/server";
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
const pool =
  strategy === "reference"
    ? createReferenceStrategyPool({
        maxClients: config.pool.maxClients,
        idleTimeoutMs: config.pool.idleTimeoutMs,
        ...(config.pool.allowedHosts && { allowedHosts: config.pool.allowedHosts }),
        ...(config.pool.allowedTlsDirs && { allowedTlsDirs: config.pool.allowedTlsDirs }),
      })
    : createPool(config);
const runtime = createRuntime({ config, logger, version: `bench-${strategy}`, pool });
const { url } = await runtime.start();
writeFileSync(required(own, "ready-file"), JSON.stringify({ url }));

// Exit through process.exit on SIGTERM so that node --cpu-prof writes its profile.
process.on("SIGTERM", () => process.exit(0));
