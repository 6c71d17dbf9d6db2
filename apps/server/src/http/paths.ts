/**
 * The server's route table: every fixed path it may answer (each only when its feature is on),
 * and the MCP endpoints that also exist behind a token segment (`/<token>/sse`). The app mounts
 * routes from it and the access log derives its redaction from it, so the two cannot disagree.
 */
export const PATHS = {
  livez: "/livez",
  health: "/health",
  metrics: "/metrics",
  generator: "/jwe-token-generator",
  sse: "/sse",
  message: "/message",
  mcp: "/mcp",
  /** The OpenAPI document; `/openapi/<tool>` calls a tool (--openapi). */
  openapi: "/openapi",
} as const;

/**
 * The endpoints that are also served as `/<token><path>` (MCP, and OpenAPI's document); `/<token>`
 * alone is Streamable HTTP too.
 */
export const TOKEN_PREFIXED_PATHS = [PATHS.sse, PATHS.message, PATHS.mcp, PATHS.openapi] as const;

/** The route pattern of an endpoint behind a token segment: `/:token/sse`, or `/:token` for "". */
export function tokenRoute(path: (typeof TOKEN_PREFIXED_PATHS)[number] | ""): string {
  return `/:token${path}`;
}
