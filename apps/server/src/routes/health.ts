import type { ClickHousePool } from "@mcp/clickhouse";
import { isDatabaseError } from "@mcp/clickhouse";
import type { Context } from "hono";
import { defaultConnection } from "../config/default-connection.js";
import type { ServerConfig } from "../config/server-config.js";

export interface HealthOptions {
  config: ServerConfig;
  pool: ClickHousePool;
  version: string;
  isShuttingDown: () => boolean;
  /** Bound on the ClickHouse check, so a hung ClickHouse makes /health fail instead of hang. */
  checkTimeoutMs?: number;
}

/**
 * `/health`: status, version and auth mode. With JWE the server has no ClickHouse of its own
 * (each token names one), so only without JWE does it check the configured ClickHouse, with an
 * authenticated query (a ping succeeds even with a wrong password).
 */
export function createHealthHandler(options: HealthOptions) {
  const { config, pool, version } = options;
  const auth = config.jwe.allow ? "jwe" : "none";
  const timeoutMs = options.checkTimeoutMs ?? 5000;

  return async (c: Context): Promise<Response> => {
    const base = { version, auth, transports: config.http.transports };
    if (options.isShuttingDown()) return c.json({ status: "shutting_down", ...base }, 503);
    if (config.jwe.allow) return c.json({ status: "ok", ...base });

    const signal = AbortSignal.timeout(timeoutMs);
    try {
      await pool.withClient(defaultConnection(config.clickhouse), (client) =>
        client.executeQuery("SELECT 1", { readOnly: true, maxRows: 1, signal }),
      );
      return c.json({ status: "ok", ...base, clickhouse: "ok" });
    } catch (error) {
      const reason = isDatabaseError(error)
        ? error.code
        : signal.aborted
          ? "QUERY_TIMEOUT"
          : "CONNECT_FAILED";
      return c.json({ status: "error", ...base, clickhouse: "unavailable", reason }, 503);
    }
  };
}

export function livez(c: Context): Response {
  return c.json({ status: "ok" });
}
