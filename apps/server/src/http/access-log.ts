import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { Metrics } from "../observability/metrics.js";
import type { AppEnv } from "./app-env.js";
import { PATHS, TOKEN_PREFIXED_PATHS } from "./paths.js";

/** Paths shown as themselves: the route table's, and "/" (no token there). */
const STATIC_PATHS = new Set<string>(["/", ...Object.values(PATHS)]);
/** What may follow a token segment, without its slash: "sse", "message", "mcp". */
const TOKEN_SUFFIXES = new Set<string>(TOKEN_PREFIXED_PATHS.map((path) => path.slice(1)));
// RFC 8615 names are registered words; longer or odd ones are not worth a distinct log entry.
const WELL_KNOWN = /^\/\.well-known\/[A-Za-z0-9._-]{1,64}/;

/**
 * The path as it may appear in a log line or a metric label. A first path segment can be a
 * token (`/<token>/sse`, `/<token>`), so anything that is not one of the server's fixed paths
 * collapses to a template: logs and metrics only ever see a small, fixed set of strings.
 */
export function redactPath(path: string): string {
  if (STATIC_PATHS.has(path)) return path;
  // Discovery probes (OAuth metadata, ...) show as themselves; what follows the name, as in the
  // path-suffixed form `/.well-known/oauth-protected-resource/<token>/mcp`, stays redacted.
  const wellKnown = WELL_KNOWN.exec(path)?.[0];
  if (wellKnown !== undefined) return wellKnown === path ? path : `${wellKnown}/<redacted>`;
  const segments = path.split("/");
  const suffix = segments[2];
  if (segments.length === 3 && suffix !== undefined && TOKEN_SUFFIXES.has(suffix))
    return `/<redacted>/${suffix}`;
  return "/<redacted>";
}

/**
 * One access line per request (request id, method, redacted path, status, duration), and the
 * request counter. Hono's `logger()` prints the raw URL, token included, so it is not used.
 */
export function accessLog(logger: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = randomUUID();
    c.set("requestId", requestId);
    await next();
    c.res.headers.set("X-Request-Id", requestId);
    const path = redactPath(c.req.path);
    const status = c.res.status;
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    logger.info({ reqId: requestId, method: c.req.method, path, status, durationMs }, "request");
    // A metric label takes few values: every discovery probe counts under one.
    metrics.recordRequest(c.req.method, path.startsWith("/.well-known/") ? "/.well-known/*" : path, status);
  };
}
