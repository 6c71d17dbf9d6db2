import { randomUUID, timingSafeEqual } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/server";
import type { Context, MiddlewareHandler } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import type { AuthEnv } from "../http/app-env.js";
import type { TokenCallLimiter } from "../http/call-limiter.js";
import {
  badRequest,
  httpError,
  jsonResponse,
  methodNotAllowed,
  tooManyCalls,
  tooManyStreamsPerToken,
} from "../http/errors.js";
import type { InFlight } from "../http/in-flight.js";
import { readJsonBody } from "../http/json-body.js";
import { SseServerTransport } from "../mcp/sse-transport.js";
import type { Metrics } from "../observability/metrics.js";
import type { McpServerFactory } from "./mcp-server-factory.js";

interface Session {
  /** Unset until the stream callback has run (the slot is reserved before the stream opens). */
  transport?: SseServerTransport;
  tokenDigest?: Buffer;
  /** Settles once the session is torn down (MCP server closed, counted out). */
  ended?: Promise<void>;
}

export interface SseRoutesOptions {
  createServer: McpServerFactory;
  logger: Logger;
  metrics: Metrics;
  maxSessions: number;
  /** Most sessions open at once with one token (sessions without a token are not counted per token). */
  maxSessionsPerToken: number;
  /** Bytes a session may have written but the client not yet taken before it counts as too slow and is ended. */
  maxQueuedBytes: number;
  keepAliveMs: number;
  /** Counts unanswered requests, so shutdown can wait for their answers to be sent. */
  inFlight: InFlight;
  /** Per-token cap on requests running at once, shared with Streamable HTTP. */
  calls: TokenCallLimiter;
  /** The clock tokens are judged by: a session ends when its token expires. */
  now: () => Date;
  /** Seconds a token is still accepted after its exp (the verifier's clock tolerance). */
  clockToleranceSeconds: number;
}

/** The SSE endpoints run behind the shutdown check and the auth middleware (`c.var.auth`). */
export interface SseRoutes {
  open(c: Context<AuthEnv>): Promise<Response>;
  message(c: Context<AuthEnv>): Promise<Response>;
  readonly sessionCount: number;
  /** Ends every open stream (their MCP servers close and abort running calls). */
  closeAll(): Promise<void>;
}

// setTimeout's longest delay (~24.8 days); a later expiry re-arms the timer when it fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Hono runs GET handlers for HEAD and drops the body: a stream opened for HEAD would never be
 * read. Mounted before every other check of the stream's route.
 */
export const openWithGetOnly: MiddlewareHandler = async (c, next) => {
  if (c.req.method === "HEAD") return jsonResponse(methodNotAllowed("GET", "open the SSE stream with GET"));
  await next();
};

function isRequest(body: unknown): boolean {
  return typeof body === "object" && body !== null && "method" in body && "id" in body;
}

/**
 * Legacy SSE: `GET [/<token>]/sse` opens a stream whose first event names
 * `[/<token>]/message?sessionId=…`, where the client POSTs its JSON-RPC messages (202).
 * A session belongs to the token that opened it: every POST must carry a token that still
 * verifies (so expiry ends a session's new work) and whose digest matches the session's.
 */
export function createSseRoutes(options: SseRoutesOptions): SseRoutes {
  const { logger, metrics } = options;
  const sessions = new Map<string, Session>();
  /** Open sessions per token digest (hex), for the per-token cap. */
  const perToken = new Map<string, number>();

  async function open(c: Context<AuthEnv>): Promise<Response> {
    const pathToken = c.req.param("token");
    const { auth } = c.var;
    const tokenKey = auth.tokenDigest?.toString("hex");
    if (tokenKey !== undefined && (perToken.get(tokenKey) ?? 0) >= options.maxSessionsPerToken) {
      logger.warn(
        { maxSessionsPerToken: options.maxSessionsPerToken },
        "SSE session limit per token reached",
      );
      return jsonResponse(tooManyStreamsPerToken(options.maxSessionsPerToken, "SSE sessions"));
    }
    if (sessions.size >= options.maxSessions) {
      logger.warn({ maxSessions: options.maxSessions }, "SSE session limit reached");
      return jsonResponse(
        httpError(
          "too_many_sessions",
          `the server has reached its limit of ${options.maxSessions} SSE sessions`,
          {
            "Retry-After": "30",
          },
        ),
      );
    }

    const sessionId = randomUUID();
    const session: Session = auth.tokenDigest ? { tokenDigest: auth.tokenDigest } : {};
    sessions.set(sessionId, session);
    if (tokenKey !== undefined) perToken.set(tokenKey, (perToken.get(tokenKey) ?? 0) + 1);
    const release = () => {
      if (!sessions.delete(sessionId) || tokenKey === undefined) return;
      const left = (perToken.get(tokenKey) ?? 1) - 1;
      if (left > 0) perToken.set(tokenKey, left);
      else perToken.delete(tokenKey);
    };
    const endpoint = `${pathToken ? `/${pathToken}` : ""}/message?sessionId=${sessionId}`;
    const sessionLogger = logger.child({ sessionId });

    return streamSSE(c, (stream) => {
      session.ended = runSession(stream);
      return session.ended;
    });

    async function runSession(stream: SSEStreamingApi): Promise<void> {
      const started = performance.now();
      const transport = new SseServerTransport(stream, {
        sessionId,
        endpoint,
        keepAliveMs: options.keepAliveMs,
        maxQueuedBytes: options.maxQueuedBytes,
        onRequest: () => options.inFlight.begin(),
        onSlowClient: () =>
          sessionLogger.warn(
            { maxQueuedBytes: options.maxQueuedBytes },
            "SSE client is not reading its stream: ending the session",
          ),
      });
      session.transport = transport;
      let server: McpServer;
      try {
        server = await options.createServer(auth, { logger: sessionLogger, live: true });
      } catch (error) {
        release();
        sessionLogger.warn({ errName: (error as Error)?.name }, "SSE session failed");
        await transport.close();
        return;
      }
      metrics.sseSessionOpened();
      sessionLogger.info({ tokenSource: auth.tokenSource ?? "none" }, "SSE session opened");
      const expiry = auth.claims ? endAtExpiry(transport, auth.claims.exp) : undefined;
      try {
        await server.connect(transport);
        await transport.closed;
      } catch (error) {
        sessionLogger.warn({ errName: (error as Error)?.name }, "SSE session failed");
      } finally {
        clearTimeout(expiry?.timer);
        release();
        metrics.sseSessionClosed();
        await server.close().catch(() => {});
        sessionLogger.info(
          {
            durationMs: Math.round(performance.now() - started),
            ...(expiry?.fired && { reason: "token expired" }),
          },
          "SSE session closed",
        );
      }
    }

    /**
     * Ends the stream when the token stops being accepted (exp plus the clock tolerance), so an
     * open stream never outlives its token; the client then has to come back with a fresh one.
     */
    function endAtExpiry(transport: SseServerTransport, exp: number) {
      const state: { timer?: ReturnType<typeof setTimeout>; fired: boolean } = { fired: false };
      const endMs = (exp + options.clockToleranceSeconds) * 1000;
      const arm = () => {
        const delay = endMs - options.now().getTime();
        if (delay <= 0) {
          state.fired = true;
          void transport.close();
          return;
        }
        state.timer = setTimeout(arm, Math.min(delay, MAX_TIMER_MS));
        state.timer.unref();
      };
      arm();
      return state;
    }
  }

  async function message(c: Context<AuthEnv>): Promise<Response> {
    const { auth } = c.var;

    const sessionId = c.req.query("sessionId");
    const session = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (session?.transport === undefined || session.transport.isClosed) {
      return jsonResponse(httpError("session_not_found", "no open SSE session with this sessionId"));
    }
    if (session.tokenDigest !== undefined) {
      const digest = auth.tokenDigest;
      if (digest === undefined || !timingSafeEqual(digest, session.tokenDigest)) {
        logger.warn({ sessionId }, "SSE message with a token other than the session's");
        return jsonResponse(
          httpError("forbidden", "the token does not match the one that opened this session"),
        );
      }
    }

    const json = await readJsonBody(c);
    if (!json.ok) return json.response;
    const { body } = json;
    // A request holds a slot of its token's cap until it is answered; notifications and replies do not.
    const tokenKey = auth.tokenDigest?.toString("hex");
    const release = tokenKey !== undefined && isRequest(body) ? options.calls.tryAcquire(tokenKey) : () => {};
    if (release === undefined) {
      logger.warn(
        { sessionId, maxPerToken: options.calls.maxPerToken },
        "concurrent call limit per token reached",
      );
      return jsonResponse(tooManyCalls(options.calls.maxPerToken));
    }
    try {
      session.transport.receive(body, release);
    } catch {
      return jsonResponse(badRequest("the body is not a JSON-RPC message"));
    }
    return c.text("Accepted", 202);
  }

  return {
    open,
    message,
    get sessionCount() {
      return sessions.size;
    },
    async closeAll() {
      const open = [...sessions.values()];
      await Promise.all(open.map((session) => session.transport?.close()));
      await Promise.all(open.map((session) => session.ended));
    },
  };
}
