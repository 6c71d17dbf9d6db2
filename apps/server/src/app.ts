import type { ClickHousePool } from "@mcp/clickhouse";
import { createTokenVerifier, looksLikeCompactJwe } from "@mcp/jwe";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Logger } from "pino";
import { type AppEnv, accessLog } from "./access-log.js";
import { createAuthenticator } from "./auth/authenticate.js";
import { TokenCallLimiter } from "./call-limiter.js";
import type { ServerConfig } from "./config/server-config.js";
import { httpError, jsonResponse } from "./http-errors.js";
import { InFlight } from "./in-flight.js";
import { createMcpServer } from "./mcp/create-mcp-server.js";
import { effectiveLimits } from "./mcp/effective-limits.js";
import type { Metrics } from "./metrics.js";
import { createGeneratorHandler } from "./routes/generator.js";
import { createHealthHandler, livez } from "./routes/health.js";
import type { McpServerFactory } from "./routes/mcp-shared.js";
import { createSseRoutes } from "./routes/mcp-sse.js";
import { createStreamableHandler } from "./routes/mcp-streamable.js";
import { hostOriginGuard } from "./security.js";

export interface AppDeps {
  config: ServerConfig;
  pool: ClickHousePool;
  logger: Logger;
  metrics: Metrics;
  version: string;
  /** The clock tokens are verified against. Default real time; tests move it to expire a token mid-session. */
  now?: () => Date;
  /** The port the server listens on, once it does: loopback Host headers must name it (DNS rebinding). */
  listeningPort?: () => number | undefined;
}

export interface ServerApp {
  app: Hono<AppEnv>;
  /** stop accepting MCP work, end SSE streams, wait for in-flight tool calls up to graceMs */
  shutdown(graceMs: number): Promise<void>;
}

/** The least unread output an SSE session may have before its client counts as not reading. */
const SSE_MIN_QUEUED_BYTES = 8 * 1024 * 1024;

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
const CORS_EXPOSE_HEADERS = ["WWW-Authenticate", "Mcp-Session-Id", "X-Request-Id", "Retry-After"];

function corsOrigins(value: string): string | string[] {
  const origins = value
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  return origins.length === 1 ? (origins[0] as string) : origins;
}

/**
 * The HTTP surface: MCP over legacy SSE and stateless Streamable HTTP (per-request JWE auth when
 * enabled), the token generator, health, liveness and metrics. Pure: no listening, no process
 * state; main.ts serves `app.fetch` and calls `shutdown` on SIGTERM.
 */
export function createApp(deps: AppDeps): ServerApp {
  const { config, pool, logger, metrics, version } = deps;
  const verifier = config.jwe.allow
    ? createTokenVerifier({
        jweSecrets: config.jwe.jweSecretKeys,
        ...(config.jwe.jwtSecretKey !== undefined && { jwtSecret: config.jwe.jwtSecretKey }),
        clockTolerance: config.jwe.clockToleranceSeconds,
        maxTokenBytes: config.jwe.maxTokenBytes,
        maxTokenLifetime: config.jwe.maxTokenLifetimeSeconds,
        ...(deps.now && { currentDate: deps.now }),
      })
    : undefined;
  const authenticator = createAuthenticator(config, verifier);
  const inFlight = new InFlight();
  const calls = new TokenCallLimiter(config.http.maxConcurrentCallsPerToken);
  let shuttingDown = false;
  const isShuttingDown = () => shuttingDown;
  metrics.setPoolStats(() => pool.stats());

  const createServer: McpServerFactory = (auth, options) =>
    createMcpServer({
      connection: auth.connection,
      limits: effectiveLimits(config.limits, auth.claims),
      pool,
      logger: options.logger,
      metrics,
      version,
      signal: options.signal ? AbortSignal.any([options.signal, inFlight.signal]) : inFlight.signal,
    });

  const app = new Hono<AppEnv>();

  app.use(accessLog(logger, metrics));
  app.use(async (c, next) => {
    // Kept before bodyLimit replaces c.req.raw, so handlers see the connection's own signal.
    c.set("requestSignal", c.req.raw.signal);
    await next();
  });
  app.use(hostOriginGuard({ ...config.http, listeningPort: () => deps.listeningPort?.() }));
  if (config.http.corsOrigin !== undefined) {
    app.use(
      cors({
        origin: corsOrigins(config.http.corsOrigin),
        allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
        allowHeaders: CORS_ALLOW_HEADERS,
        exposeHeaders: CORS_EXPOSE_HEADERS,
        maxAge: 600,
      }),
    );
  }
  app.use(
    bodyLimit({
      maxSize: config.http.maxBodyBytes,
      onError: () =>
        jsonResponse(
          httpError(
            413,
            "payload_too_large",
            `the request body is larger than ${config.http.maxBodyBytes} bytes`,
          ),
        ),
    }),
  );

  app.onError((error, c) => {
    // Only the error's class: a third-party message could quote the request (and its token).
    logger.error({ reqId: c.get("requestId"), errName: error.name }, "unhandled error");
    return jsonResponse(httpError(500, "internal_error", "the server failed to handle this request"));
  });
  const notFound = () => jsonResponse(httpError(404, "not_found", "no such endpoint"));
  app.notFound(notFound);

  type Handler = (c: Context) => Response | Promise<Response>;
  /**
   * One path, the methods it answers, and 405 with `Allow` for any other method. On a path with a
   * `:token` segment, everything requires a JWE-shaped token there first: any other segment is
   * no endpoint of ours (404), so `/favicon.ico` or `/.well-known/...` never reads as a token.
   * (Hono answers HEAD with the GET handler, body dropped; handlers that must not run for HEAD check.)
   */
  const route = (path: string, handlers: Partial<Record<"GET" | "POST", Handler>>) => {
    const allow = Object.keys(handlers).join(", ");
    const guard = path.includes(":token")
      ? (handler: Handler): Handler =>
          (c) =>
            looksLikeCompactJwe(c.req.param("token") ?? "") ? handler(c) : notFound()
      : (handler: Handler) => handler;
    for (const [method, handler] of Object.entries(handlers)) app.on(method, path, guard(handler));
    app.all(
      path,
      guard(() => jsonResponse(httpError(405, "method_not_allowed", `use ${allow}`, { Allow: allow }))),
    );
  };

  route("/livez", { GET: livez });
  route("/health", { GET: createHealthHandler({ config, pool, version, isShuttingDown }) });
  route("/metrics", {
    GET: (c) => c.body(metrics.render(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }),
  });
  if (config.generator.enabled && config.jwe.allow) {
    route("/jwe-token-generator", { POST: createGeneratorHandler(config, logger) });
  }

  const sse = createSseRoutes({
    authenticator,
    createServer,
    logger,
    metrics,
    maxSessions: config.http.maxSseSessions,
    maxSessionsPerToken: config.http.maxSseSessionsPerToken,
    // Room for two of the largest results (each is sent as JSON text and as structured content).
    maxQueuedBytes: Math.max(SSE_MIN_QUEUED_BYTES, 4 * config.limits.maxResultBytes),
    keepAliveMs: config.http.sseKeepAliveMs,
    inFlight,
    calls,
    now: deps.now ?? (() => new Date()),
    clockToleranceSeconds: config.jwe.clockToleranceSeconds,
    isShuttingDown,
  });
  const streamable = createStreamableHandler({
    authenticator,
    createServer,
    logger,
    metrics,
    maxBodyBytes: config.http.maxBodyBytes,
    inFlight,
    calls,
    isShuttingDown,
    requestSignal: (c) => c.get("requestSignal") ?? c.req.raw.signal,
  });

  const serveSse = config.http.transports.includes("sse");
  const serveHttp = config.http.transports.includes("http");
  // Fixed paths first: a token route (`/:token`) must never shadow them.
  if (serveSse) {
    route("/sse", { GET: sse.open });
    route("/message", { POST: sse.message });
  }
  if (serveHttp) route("/mcp", { POST: streamable });
  if (config.jwe.allow) {
    if (serveSse) {
      route("/:token/sse", { GET: sse.open });
      route("/:token/message", { POST: sse.message });
    }
    if (serveHttp) {
      route("/:token/mcp", { POST: streamable });
      route("/:token", { POST: streamable });
    }
  }

  async function shutdown(graceMs: number): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ inFlight: inFlight.count, sseSessions: sse.sessionCount, graceMs }, "shutting down");
    // SSE streams stay open while calls finish, so their results still reach the clients.
    const drained = await inFlight.drain(graceMs);
    if (!drained) {
      logger.warn({ inFlight: inFlight.count }, "grace period over: cancelling requests still running");
      inFlight.abortAll();
      await inFlight.drain(Math.min(graceMs, 5000));
    }
    await sse.closeAll();
  }

  return { app, shutdown };
}
