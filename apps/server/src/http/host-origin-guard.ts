import type { MiddlewareHandler } from "hono";
import type { HttpConfig } from "../config/server-config.js";
import { isLoopbackHost } from "../loopback.js";
import { httpError, jsonResponse } from "./errors.js";

interface HostHeader {
  /** Lower-case name or IP, IPv6 in brackets: "[::1]", "example.com". */
  name: string;
  port: number | undefined;
}

function parseHostHeader(value: string): HostHeader | undefined {
  const host = value.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
  if (!match?.[1]) return undefined;
  return { name: match[1], port: match[2] === undefined ? undefined : Number(match[2]) };
}

function hostListed(allowed: readonly string[], host: HostHeader): boolean {
  const bare = host.name.startsWith("[") ? host.name.slice(1, -1) : host.name;
  const withPort = host.port === undefined ? undefined : `${host.name}:${host.port}`;
  return allowed.some((entry) => {
    const rule = entry.toLowerCase();
    return rule === withPort || rule === host.name || rule === bare;
  });
}

export interface HostOriginGuardOptions
  extends Pick<HttpConfig, "allowedHosts" | "allowedOrigins" | "address" | "corsOrigin"> {
  /** The port the server listens on, once known; a loopback Host must name it. */
  listeningPort?: () => number | undefined;
}

/**
 * DNS-rebinding protection, before anything else runs. With an allow-list, a Host (name, or
 * name:port) or an Origin that is not listed gets 403. Without one, a server bound to a loopback
 * address accepts only loopback names with its own port in Host, and only loopback origins (and
 * those of --cors-origin): a web page whose name an attacker re-points at 127.0.0.1 sends its own
 * name in both, and a page elsewhere that posts to 127.0.0.1 sends its own Origin. A server bound
 * elsewhere without lists accepts any (config warns at start).
 */
export function hostOriginGuard(options: HostOriginGuardOptions): MiddlewareHandler {
  const { allowedHosts, allowedOrigins } = options;
  const loopbackOnly = isLoopbackHost(options.address);
  // Origins the operator opened to browsers with --cors-origin are allowed by default too.
  const corsOrigins = (options.corsOrigin ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);

  const hostAllowed = (value: string): boolean => {
    const host = parseHostHeader(value);
    if (host === undefined) return false;
    if (allowedHosts !== undefined) return hostListed(allowedHosts, host);
    if (!loopbackOnly) return true;
    if (!isLoopbackHost(host.name)) return false;
    const port = options.listeningPort?.();
    // Browsers leave the port out only for 80/443; anything else must name the port we listen on.
    if (port === undefined) return true;
    return host.port === undefined ? port === 80 || port === 443 : host.port === port;
  };

  const originAllowed = (origin: string): boolean => {
    if (allowedOrigins !== undefined) return allowedOrigins.includes(origin);
    if (!loopbackOnly || corsOrigins.includes("*") || corsOrigins.includes(origin)) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // includes "null" (sandboxed frames, file: pages)
    }
    return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(url.hostname);
  };

  return async (c, next) => {
    // Browsers always send Host, so a request without one (HTTP/1.0, an in-process request) is no
    // rebinding attempt; Node itself refuses HTTP/1.1 without Host.
    const host = c.req.header("host");
    if (host !== undefined && !hostAllowed(host)) {
      return jsonResponse(httpError("forbidden", "the Host header is not allowed"));
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !originAllowed(origin)) {
      return jsonResponse(httpError("forbidden", "the Origin header is not allowed"));
    }
    await next();
  };
}
