import type { ClickHousePool } from "@mcp/clickhouse";
import type { ConnectionClaims } from "@mcp/jwe";
import type { Logger } from "pino";
import type { Metrics } from "../observability/metrics.js";
import type { EffectiveLimits } from "./effective-limits.js";
import type { OperatorToolsHandle } from "./operator-tools/handle.js";

/** What one MCP server works with: one connection, its limits, and where to report. */
export interface McpContext {
  connection: ConnectionClaims;
  limits: EffectiveLimits;
  pool: ClickHousePool;
  logger: Logger;
  metrics: Metrics;
  /** Aborts every tool call of this server (an aborted HTTP request, shutdown). */
  signal?: AbortSignal;
  /** Reported as serverInfo.version. */
  version?: string;
  /** The operator-defined tools of this connection (`server.tools`); none when absent. */
  operatorTools?: OperatorToolsHandle;
}

/** The signal of one call: aborted when the client cancels the call or when the server's context aborts. */
export function callSignal(ctx: McpContext, callSignal: AbortSignal): AbortSignal {
  return ctx.signal ? AbortSignal.any([callSignal, ctx.signal]) : callSignal;
}
