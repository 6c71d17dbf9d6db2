import {
  type AuthInfo,
  createMcpHandler,
  type McpRequestContext,
  type ServerEventBus,
} from "@modelcontextprotocol/server";
import type { Context } from "hono";
import type { Logger } from "pino";
import type { RequestAuth } from "../auth/authenticate.js";
import type { AuthEnv } from "../http/app-env.js";
import { onBodyEnd } from "../http/body-end.js";
import { TokenCallLimiter } from "../http/call-limiter.js";
import {
  httpError,
  jsonResponse,
  methodNotAllowed,
  tooManyCalls,
  tooManyStreamsPerToken,
} from "../http/errors.js";
import type { InFlight } from "../http/in-flight.js";
import type { McpServerFactory } from "./mcp-server-factory.js";

export interface StreamableRoutesOptions {
  createServer: McpServerFactory;
  logger: Logger;
  maxBodyBytes: number;
  /** Interval of SSE keep-alive comments on streamed answers; 0 disables them. */
  keepAliveMs: number;
  /** Counts requests being answered, so shutdown can wait for them; its signal aborts them. */
  inFlight: InFlight;
  /** Per-token cap on requests running at once, shared with SSE. */
  calls: TokenCallLimiter;
  /** Most subscription streams open at once, in all and per token (as for SSE sessions). */
  maxStreams: number;
  maxStreamsPerToken: number;
  /**
   * Where `subscriptions/listen` streams take their change events from, and how a request is run
   * as its connection (so that a stream it opens hears only its connection's events). Default:
   * the SDK's own in-process bus, unscoped.
   */
  events?: { bus: ServerEventBus; within<T>(auth: RequestAuth, fn: () => T): T };
}

export interface StreamableHandler {
  handle(c: Context<AuthEnv>): Promise<Response>;
  /** Ends what is still open (subscription streams, exchanges); called last in shutdown. */
  close(): Promise<void>;
}

/** What our server factory needs from one request; travels in `AuthInfo.extra`. */
interface RequestScope {
  auth: RequestAuth;
  logger: Logger;
  signal: AbortSignal;
}

const SCOPE_KEY = "altinityMcpRequest";

/**
 * The SDK's pass-through auth slot carries the already-verified request to the factory. The token
 * itself is not passed on: nothing past the auth middleware needs it.
 */
function authInfoFor(scope: RequestScope): AuthInfo {
  return { token: "", clientId: "jwe", scopes: [], extra: { [SCOPE_KEY]: scope } };
}

function scopeOf(context: McpRequestContext): RequestScope {
  const scope = context.authInfo?.extra?.[SCOPE_KEY] as RequestScope | undefined;
  // The handler is only reached through handle(), which always sets it.
  if (!scope) throw new Error("MCP request without an authenticated scope");
  return scope;
}

/**
 * The JSON body of a POST that declares one, read once (the body limit has already bounded it) and
 * handed to the SDK as parsed; undefined otherwise, and the SDK answers what it cannot read.
 */
async function jsonBodyOf(request: Request): Promise<unknown> {
  if (!/^application\/json\s*(;|$)/i.test(request.headers.get("content-type") ?? "")) return undefined;
  try {
    return await request.clone().json();
  } catch {
    return undefined;
  }
}

function isSubscriptionListen(body: unknown): boolean {
  return (
    typeof body === "object" &&
    body !== null &&
    (body as { method?: unknown }).method === "subscriptions/listen"
  );
}

/**
 * Resolves with a 503 once `signal` aborts. The listener is removed when `done` aborts: the
 * signal outlives the request (it follows the server-wide shutdown signal), and a listener left
 * on it would keep every request's closure and response alive for the life of the process.
 */
function whenAborted(signal: AbortSignal, done: AbortSignal): Promise<Response> {
  return new Promise((resolve) => {
    const answer = () =>
      resolve(jsonResponse(httpError("cancelled", "the request was cancelled before it completed")));
    if (signal.aborted) answer();
    else signal.addEventListener("abort", answer, { once: true, signal: done });
  });
}

/**
 * Streamable HTTP on the SDK's `createMcpHandler`: protocol 2026-07-28 per request (no session,
 * `server/discover`, the `_meta` envelope, `Mcp-Method`/`Mcp-Name` validation, cache fields) and,
 * for 2025-era clients, the SDK's stateless fallback (`initialize` answered by a fresh server, no
 * session). Every request gets a fresh MCP server for its token, so any replica behind a
 * round-robin balancer can answer any request. Only POST: there is no session to GET or DELETE.
 * Runs behind the shutdown check and the auth middleware (`c.var.auth`).
 */
export function createStreamableHandler(options: StreamableRoutesOptions): StreamableHandler {
  const { logger } = options;
  const handler = createMcpHandler(
    (context) => {
      const scope = scopeOf(context);
      return options.createServer(scope.auth, { logger: scope.logger, signal: scope.signal });
    },
    {
      legacy: "stateless",
      maxSubscriptions: options.maxStreams,
      maxRequestBodySize: options.maxBodyBytes,
      keepAliveMs: options.keepAliveMs,
      ...(options.events && { bus: options.events.bus }),
      // Rejected requests and transport errors: the SDK's messages quote no token (it never sees one).
      onerror: (error) => logger.debug({ errName: error.name, err: error.message }, "MCP request rejected"),
    },
  );

  // Subscription streams open per token: counted like calls, but held for the stream's life.
  const streams = new TokenCallLimiter(options.maxStreamsPerToken);

  async function handle(c: Context<AuthEnv>): Promise<Response> {
    if (c.req.method !== "POST") {
      return jsonResponse(methodNotAllowed("POST", "this server is stateless: only POST is supported"));
    }
    const { auth } = c.var;
    const parsedBody = await jsonBodyOf(c.req.raw);
    // A subscription stream stays open for as long as the client listens: it is not a call, so it
    // neither takes a per-token call slot nor holds up shutdown (close() ends it). Judged from the
    // body, which the SDK then checks against the Mcp-Method header: the header alone would let a
    // 2025-era request (whose headers nobody checks) skip the cap.
    const listening = isSubscriptionListen(parsedBody);
    const tokenKey = auth.tokenDigest?.toString("hex");
    if (listening && tokenKey !== undefined) {
      const stream = streams.tryAcquire(tokenKey);
      if (stream === undefined) {
        logger.warn(
          { maxPerToken: options.maxStreamsPerToken },
          "subscription stream limit per token reached",
        );
        return jsonResponse(tooManyStreamsPerToken(options.maxStreamsPerToken, "subscription streams"));
      }
      try {
        return onBodyEnd(await serve(c, auth, parsedBody), stream);
      } catch (error) {
        stream();
        throw error;
      }
    }
    const release = tokenKey === undefined || listening ? () => {} : options.calls.tryAcquire(tokenKey);
    if (release === undefined) {
      logger.warn({ maxPerToken: options.calls.maxPerToken }, "concurrent call limit per token reached");
      return jsonResponse(tooManyCalls(options.calls.maxPerToken));
    }
    const endInFlight = listening ? () => {} : options.inFlight.begin();
    const done = () => {
      endInFlight();
      release();
    };
    try {
      return onBodyEnd(await serve(c, auth, parsedBody), done);
    } catch (error) {
      done();
      throw error;
    }
  }

  async function serve(c: Context<AuthEnv>, auth: RequestAuth, parsedBody: unknown): Promise<Response> {
    // A client that hangs up aborts this signal, which cancels the running query.
    const requestSignal = c.var.requestSignal;
    const scope: RequestScope = {
      auth,
      logger: logger.child({ reqId: c.get("requestId") }),
      signal: requestSignal,
    };
    const settled = new AbortController();
    try {
      // The handler resolves once the answer is ready; a cancelled call never answers, so stop
      // waiting when the client is gone or shutdown gives up.
      const stop = AbortSignal.any([requestSignal, options.inFlight.signal]);
      const fetch = () =>
        handler.fetch(c.req.raw, {
          authInfo: authInfoFor(scope),
          ...(parsedBody !== undefined && { parsedBody }),
        });
      return await Promise.race([
        options.events ? options.events.within(auth, fetch) : fetch(),
        whenAborted(stop, settled.signal),
      ]);
    } finally {
      settled.abort();
    }
  }

  return { handle, close: () => handler.close() };
}
