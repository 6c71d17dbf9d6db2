import type { TokenClaims } from "@mcp/jwe";
import type { LimitsConfig } from "../config/server-config.js";

/**
 * The caps one MCP server applies to its calls. A cap that is absent is no cap of ours: the
 * server's configuration writes "no cap" as 0 (a flag value), and this is the one place that
 * turns it into an absent field, the form the pool's query options take.
 */
export interface EffectiveLimits {
  readOnly: boolean;
  maxRows?: number;
  maxBytes?: number;
  /** seconds */
  maxExecutionTime?: number;
  /** bytes on the ClickHouse server; absent = ClickHouse's own limit */
  maxMemoryUsage?: number;
  maxQueryLength?: number;
  /** The read budget of a read: rows and (uncompressed) bytes ClickHouse may read from tables. */
  maxRowsToRead?: number;
  maxBytesToRead?: number;
}

/** A configured cap: 0 (or less) means none. */
function configured(value: number): number | undefined {
  return value > 0 ? value : undefined;
}

/**
 * The smaller of two caps. A token's claim can only bring the server's cap down: a larger claim,
 * or a claim on a server with a cap, never raises it; a claim where the server has none applies.
 */
function tighten(server: number | undefined, claim: number | undefined): number | undefined {
  if (claim === undefined || !Number.isFinite(claim) || claim <= 0) return server;
  return server === undefined ? claim : Math.min(server, claim);
}

/**
 * The server's limits, tightened (never loosened) by the token's `limit`, `read_only`,
 * `max_execution_time`, `max_rows_to_read` and `max_bytes_to_read`.
 */
export function effectiveLimits(server: LimitsConfig, claims?: TokenClaims): EffectiveLimits {
  const caps = {
    maxRows: tighten(configured(server.maxResultRows), claims?.limit),
    maxBytes: configured(server.maxResultBytes),
    maxExecutionTime: tighten(configured(server.maxExecutionTime), claims?.max_execution_time),
    maxMemoryUsage: configured(server.maxMemoryUsage),
    maxQueryLength: configured(server.maxQueryLength),
    maxRowsToRead: tighten(configured(server.maxRowsToRead), claims?.max_rows_to_read),
    maxBytesToRead: tighten(configured(server.maxBytesToRead), claims?.max_bytes_to_read),
  };
  const limits: EffectiveLimits = { readOnly: server.readOnly || claims?.read_only === true };
  for (const [name, value] of Object.entries(caps) as [keyof typeof caps, number | undefined][]) {
    if (value !== undefined) limits[name] = value;
  }
  return limits;
}
