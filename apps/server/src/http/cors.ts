import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/** Headers a browser-based MCP client sends and must be allowed to send cross-origin. */
const CORS_ALLOW_HEADERS = [
  "Content-Type",
  "Authorization",
  "X-Altinity-MCP-Key",
  "Mcp-Protocol-Version",
  "Mcp-Session-Id",
  "Last-Event-ID",
  "Accept",
];
const CORS_EXPOSE_HEADERS = [
  "WWW-Authenticate",
  "Mcp-Session-Id",
  "X-Request-Id",
  "Retry-After",
  "X-MCP-Truncated",
];

function corsOrigins(value: string): string | string[] {
  const origins = value
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  return origins.length === 1 ? (origins[0] as string) : origins;
}

/** CORS for the origins of --cors-origin (comma-separated, or `*`), so browser MCP clients can connect. */
export function corsMiddleware(corsOrigin: string): MiddlewareHandler {
  return cors({
    origin: corsOrigins(corsOrigin),
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: 600,
  });
}
