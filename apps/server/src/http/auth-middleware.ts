import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { Authenticator } from "../auth/authenticate.js";
import type { TokenRejection } from "../auth/token-rejection.js";
import type { Metrics } from "../observability/metrics.js";
import type { AuthEnv } from "./app-env.js";
import { jsonResponse, shuttingDown, tokenErrorResponse } from "./errors.js";

/** The 401 for a refused token, counted by reason; the token itself is never logged. */
function rejectToken(rejection: TokenRejection, metrics: Metrics, logger: Logger): Response {
  metrics.recordTokenRejection(rejection.code);
  logger.info(
    { reason: rejection.code, ...(rejection.claim && { claim: rejection.claim }) },
    "token rejected",
  );
  return jsonResponse(tokenErrorResponse(rejection));
}

/**
 * Authentication of an MCP endpoint: the token (path segment, `Authorization: Bearer` or
 * `X-Altinity-MCP-Key`) is verified on every request and the result set as `c.var.auth`; a
 * refused token gets 401 before the handler runs. Without JWE every request gets the operator's
 * ClickHouse.
 */
export function requireAuth(
  authenticator: Authenticator,
  metrics: Metrics,
  logger: Logger,
): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const outcome = await authenticator.authenticate(c.req.param("token"), c.req.raw.headers);
    if (!outcome.ok) return rejectToken(outcome.rejection, metrics, logger);
    c.set("auth", outcome.auth);
    await next();
  };
}

/** Refuses new MCP work with 503 once shutdown has begun (before the token is even checked). */
export function refuseWhenShuttingDown(isShuttingDown: () => boolean): MiddlewareHandler {
  return async (_c, next) => {
    if (isShuttingDown()) return jsonResponse(shuttingDown());
    await next();
  };
}
