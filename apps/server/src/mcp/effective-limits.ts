import type { TokenClaims } from "@mcp/jwe";
import type { LimitsConfig } from "../config/server-config.js";

export interface EffectiveLimits {
  readOnly: boolean;
  maxRows: number;
  maxBytes: number;
  /** seconds */
  maxExecutionTime: number;
  /** bytes on the ClickHouse server; 0 = no limit of ours */
  maxMemoryUsage: number;
  maxQueryLength: number;
}

/**
 * The smaller of two caps, where 0 (or less) means "no cap". A token's claim can only bring the
 * server's cap down: a larger claim, or a claim on a server with a cap, never raises it.
 */
function tighten(server: number, claim: number | undefined): number {
  if (claim === undefined || !Number.isFinite(claim) || claim <= 0) return server;
  if (server <= 0) return claim;
  return Math.min(server, claim);
}

/** The server's limits, tightened (never loosened) by the token's `limit`, `read_only`, `max_execution_time`. */
export function effectiveLimits(server: LimitsConfig, claims?: TokenClaims): EffectiveLimits {
  return {
    readOnly: server.readOnly || claims?.read_only === true,
    maxRows: tighten(server.maxResultRows, claims?.limit),
    maxBytes: server.maxResultBytes,
    maxExecutionTime: tighten(server.maxExecutionTime, claims?.max_execution_time),
    maxMemoryUsage: server.maxMemoryUsage,
    maxQueryLength: server.maxQueryLength,
  };
}
