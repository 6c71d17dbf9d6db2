/**
 * The public surface of @mcp/server: the runtime `altinity-mcp` runs (main.ts uses it, and so
 * does the bench), the pure app for in-process use, and the configuration and logger it needs.
 */
export type { ConfigResult } from "./config/load-config.js";
export { configSecrets, resolveConfig } from "./config/load-config.js";
export { parseArgv } from "./config/parse-argv.js";
export type { ServerConfig } from "./config/server-config.js";
export { type AppDeps, createApp, type ServerApp } from "./http/app.js";
export { createLogger, type Logger, type LoggerOptions } from "./observability/logger.js";
export { createMetrics, type Metrics } from "./observability/metrics.js";
export {
  createPool,
  createRuntime,
  type Runtime,
  type RuntimeOptions,
  type RuntimeStarted,
} from "./runtime/create-runtime.js";
export { Lifecycle } from "./runtime/lifecycle.js";
