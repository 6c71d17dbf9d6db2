import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Logger } from "pino";
import type { RequestAuth } from "../auth/authenticate.js";
import { jsonResponse, type TokenRejection, tokenErrorResponse } from "../http-errors.js";
import type { Metrics } from "../metrics.js";

/** Builds the MCP server for one authenticated request or session. */
export type McpServerFactory = (
  auth: RequestAuth,
  options: { logger: Logger; signal?: AbortSignal },
) => McpServer;

/** The 401 for a refused token, counted by reason; the token itself is never logged. */
export function rejectToken(rejection: TokenRejection, metrics: Metrics, logger: Logger): Response {
  metrics.recordTokenRejection(rejection.code);
  logger.info(
    { reason: rejection.code, ...(rejection.claim && { claim: rejection.claim }) },
    "token rejected",
  );
  return jsonResponse(tokenErrorResponse(rejection));
}
