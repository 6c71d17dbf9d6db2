import type { ClickHousePool } from "@mcp/clickhouse";
import { createTokenVerifier, looksLikeCompactJwe } from "@mcp/jwe";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { H } from "hono/types";
import type { Logger } from "pino";
import { createAuthenticator, type RequestAuth } from "../auth/authenticate.js";
import type { ServerConfig } from "../config/server-config.js";
import { createMcpServer } from "../mcp/create-mcp-server.js";
import { effectiveLimits } from "../mcp/effective-limits.js";
import type { McpContext } from "../mcp/mcp-context.js";
import { createOperatorTools } from "../mcp/operator-tools/index.js";
import type { Metrics } from "../observability/metrics.js";
import { createGeneratorHandler } from "../routes/generator.js";
import { createHealthHandler, livez } from "../routes/health.js";
import type { McpServerFactory } from "../routes/mcp-server-factory.js";
import { createMetricsHandler } from "../routes/metrics.js";
import { createOpenApiRoutes } from "../routes/openapi.js";
import { createSseRoutes, openWithGetOnly } from "../routes/sse.js";
import { createStreamableHandler } from "../routes/streamable.js";
import { accessLog } from "./access-log.js";
import type { AppEnv } from "./app-env.js";
import { refuseWhenShuttingDown, requireAuth } from "./auth-middleware.js";
import { TokenCallLimiter } from "./call-limiter.js";
import { corsMiddleware } from "./cors.js";
import { httpError, jsonResponse, methodNotAllowed, notFound } from "./errors.js";
import { hostOriginGuard } from "./host-origin-guard.js";
import { InFlight } from "./in-flight.js";
import { PATHS, tokenRoute } from "./paths.js";

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

// Handlers and middlewares of any environment: Hono checks nothing at runtime, and each chain
// below is built so that what a handler reads from `c.var` was set before it.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Step = H<any>;

/**
 * The HTTP surface: MCP over legacy SSE and stateless Streamable HTTP (per-request JWE auth when
 * enabled), the token generator, health, liveness and metrics. Pure: no listening, no process
 * state; the runtime serves `app.fetch` and calls `shutdown` on SIGTERM.
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
  // Operator-defined tools (server.tools): discovered per connection, cached, changes published.
  const operatorTools = createOperatorTools({
    config: config.operatorTools ?? { rules: [], discoveryTtlMs: 60_000 },
    serverReadOnly: config.limits.readOnly,
    pool,
    logger,
  });

  // What one connection's tools run with, on every surface (MCP servers, OpenAPI calls): its
  // connection, its limits and its operator-defined tools (discovered first when needed).
  const toolContext = async (
    auth: RequestAuth,
    options: { logger: Logger; signal: AbortSignal; live?: boolean },
  ): Promise<McpContext> => {
    const limits = effectiveLimits(config.limits, auth.claims);
    return {
      connection: auth.connection,
      limits,
      pool,
      logger: options.logger,
      metrics,
      version,
      signal: options.signal,
      operatorTools: await operatorTools.forConnection(auth.connection, limits, {
        live: options.live ?? false,
      }),
    };
  };
  const createServer: McpServerFactory = async (auth, options) =>
    createMcpServer(
      await toolContext(auth, {
        logger: options.logger,
        signal: options.signal ? AbortSignal.any([options.signal, inFlight.signal]) : inFlight.signal,
        live: options.live ?? false,
      }),
    );

  const app = new Hono<AppEnv>();

  app.use(accessLog(logger, metrics));
  app.use(async (c, next) => {
    // Kept before bodyLimit replaces c.req.raw, so handlers see the connection's own signal.
    c.set("requestSignal", c.req.raw.signal);
    await next();
  });
  app.use(hostOriginGuard({ ...config.http, listeningPort: () => deps.listeningPort?.() }));
  if (config.http.corsOrigin !== undefined) app.use(corsMiddleware(config.http.corsOrigin));
  app.use(
    bodyLimit({
      maxSize: config.http.maxBodyBytes,
      onError: () =>
        jsonResponse(
          httpError("payload_too_large", `the request body is larger than ${config.http.maxBodyBytes} bytes`),
        ),
    }),
  );

  app.onError((error, c) => {
    // Only the error's class: a third-party message could quote the request (and its token).
    logger.error({ reqId: c.get("requestId"), errName: error.name }, "unhandled error");
    return jsonResponse(httpError("internal_error", "the server failed to handle this request"));
  });
  app.notFound(() => jsonResponse(notFound()));

  /**
   * One path, the methods it answers (each a chain of middlewares ending in its handler), and 405
   * with `Allow` for any other method. On a path with a `:token` segment, everything requires a
   * JWE-shaped token there first: any other segment is no endpoint of ours (404), so
   * `/favicon.ico` or `/.well-known/...` never reads as a token. (Hono answers HEAD with the GET
   * chain, body dropped; a chain that must not run for HEAD checks.)
   */
  const route = (path: string, chains: Partial<Record<"GET" | "POST", Step[]>>) => {
    const allow = Object.keys(chains).join(", ");
    const guard: Step[] = path.includes(":token")
      ? [
          async (c, next) => {
            if (!looksLikeCompactJwe(c.req.param("token") ?? "")) return jsonResponse(notFound());
            await next();
          },
        ]
      : [];
    // Hono runs the handlers matching a request in the order registered, until one answers.
    for (const [method, chain] of Object.entries(chains)) {
      for (const step of [...guard, ...chain]) app.on(method, path, step);
    }
    for (const step of guard) app.all(path, step);
    app.all(path, () => jsonResponse(methodNotAllowed(allow)));
  };

  route(PATHS.livez, { GET: [livez] });
  route(PATHS.health, { GET: [createHealthHandler({ config, pool, version, isShuttingDown })] });
  route(PATHS.metrics, { GET: [createMetricsHandler(metrics)] });
  if (config.generator.enabled && config.jwe.allow) {
    route(PATHS.generator, { POST: [createGeneratorHandler(config, logger)] });
  }

  const sse = createSseRoutes({
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
  });
  const streamable = createStreamableHandler({
    createServer,
    logger,
    maxBodyBytes: config.http.maxBodyBytes,
    keepAliveMs: config.http.sseKeepAliveMs,
    inFlight,
    calls,
    maxStreams: config.http.maxSseSessions,
    maxStreamsPerToken: config.http.maxSseSessionsPerToken,
    // A subscription stream hears only its own connection's tool-list changes.
    ...(operatorTools.enabled && {
      events: {
        bus: operatorTools.bus,
        within: (auth, fn) => operatorTools.bus.within(operatorTools.scopeOf(auth.connection), fn),
      },
    }),
  });

  // Every MCP endpoint: refused with 503 once shutdown began, then authenticated (c.var.auth).
  const mcp = (handler: Step): Step[] => [
    refuseWhenShuttingDown(isShuttingDown),
    requireAuth(authenticator, metrics, logger),
    handler,
  ];
  const sseOpen = [openWithGetOnly, ...mcp(sse.open)];
  const serveSse = config.http.transports.includes("sse");
  const serveHttp = config.http.transports.includes("http");
  // Fixed paths first: a token route (`/:token`) must never shadow them.
  if (serveSse) {
    route(PATHS.sse, { GET: sseOpen });
    route(PATHS.message, { POST: mcp(sse.message) });
  }
  if (serveHttp) route(PATHS.mcp, { POST: mcp(streamable.handle) });
  if (config.http.openapi !== undefined) {
    // On the HTTP listener whatever MCP transports it serves, as in the reference.
    const openapi = createOpenApiRoutes({
      mode: config.http.openapi,
      authenticated: config.jwe.allow,
      version,
      logger,
      context: toolContext,
      inFlight,
      calls,
    });
    const document = { GET: mcp(openapi.document) };
    const call = { GET: mcp(openapi.call), POST: mcp(openapi.call) };
    route(PATHS.openapi, document);
    route(`${PATHS.openapi}/:tool`, call);
    if (config.jwe.allow) {
      route(tokenRoute(PATHS.openapi), document);
      route(`${tokenRoute(PATHS.openapi)}/:tool`, call);
    }
  }
  if (config.jwe.allow) {
    if (serveSse) {
      route(tokenRoute(PATHS.sse), { GET: sseOpen });
      route(tokenRoute(PATHS.message), { POST: mcp(sse.message) });
    }
    if (serveHttp) {
      route(tokenRoute(PATHS.mcp), { POST: mcp(streamable.handle) });
      route(tokenRoute(""), { POST: mcp(streamable.handle) });
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
    await streamable.close();
    operatorTools.close();
  }

  return { app, shutdown };
}
