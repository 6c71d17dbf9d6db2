import type { MiddlewareHandler } from "hono";
import type { HttpConfig } from "./config/server-config.js";
import { httpError, jsonResponse } from "./http-errors.js";

function hostMatches(allowed: readonly string[], hostHeader: string): boolean {
  const host = hostHeader.toLowerCase();
  // "[::1]:8080" -> "[::1]", "example.com:8080" -> "example.com"
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  const bare = name.startsWith("[") ? name.slice(1, -1) : name;
  return allowed.some((entry) => {
    const rule = entry.toLowerCase();
    return rule === host || rule === name || rule === bare;
  });
}

/**
 * DNS-rebinding protection: with an allow-list, a request whose Host (name, or name:port) is not
 * listed, or whose Origin (when sent) is not listed, is refused before anything else runs.
 */
export function hostOriginGuard(
  config: Pick<HttpConfig, "allowedHosts" | "allowedOrigins">,
): MiddlewareHandler {
  const { allowedHosts, allowedOrigins } = config;
  return async (c, next) => {
    if (allowedHosts !== undefined) {
      const host = c.req.header("host");
      if (host === undefined || !hostMatches(allowedHosts, host)) {
        return jsonResponse(httpError(403, "forbidden", "the Host header is not allowed"));
      }
    }
    if (allowedOrigins !== undefined) {
      const origin = c.req.header("origin");
      if (origin !== undefined && !allowedOrigins.includes(origin)) {
        return jsonResponse(httpError(403, "forbidden", "the Origin header is not allowed"));
      }
    }
    await next();
  };
}
