import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Context } from "hono";
import type { Logger } from "pino";
import type { Authenticator, RequestAuth } from "../auth/authenticate.js";
import type { TokenCallLimiter } from "../call-limiter.js";
import { httpError, jsonResponse, tooManyCalls } from "../http-errors.js";
import type { InFlight } from "../in-flight.js";
import { withoutErrorPrefix } from "../mcp/wire-errors.js";
import type { Metrics } from "../metrics.js";
import { type McpServerFactory, rejectToken } from "./mcp-shared.js";

export interface StreamableRoutesOptions {
  authenticator: Authenticator;
  createServer: McpServerFactory;
  logger: Logger;
  metrics: Metrics;
  maxBodyBytes: number;
  /** Counts requests being answered, so shutdown can wait for them; its signal aborts them. */
  inFlight: InFlight;
  /** Per-token cap on requests running at once, shared with SSE. */
  calls: TokenCallLimiter;
  isShuttingDown: () => boolean;
  /** The request's abort signal, taken before any middleware wrapped the request. */
  requestSignal: (c: Context) => AbortSignal;
}

/**
 * Resolves with a 503 once `signal` aborts. The listener is removed when `done` aborts: the
 * signal outlives the request (it follows the server-wide shutdown signal), and a listener left
 * on it would keep every request's closure and response alive for the life of the process.
 */
function whenAborted(signal: AbortSignal, done: AbortSignal): Promise<Response> {
  return new Promise((resolve) => {
    const answer = () =>
      resolve(jsonResponse(httpError(503, "cancelled", "the request was cancelled before it completed")));
    if (signal.aborted) answer();
    else signal.addEventListener("abort", answer, { once: true, signal: done });
  });
}

/**
 * Streamable HTTP, stateless: every POST gets a fresh MCP server and transport, so any replica
 * behind a round-robin balancer can answer any request. Without sessions there is nothing to
 * GET (server-initiated stream) or DELETE, hence 405.
 */
export function createStreamableHandler(options: StreamableRoutesOptions) {
  const { authenticator, logger, metrics } = options;

  return async function handle(c: Context): Promise<Response> {
    if (c.req.method !== "POST") {
      return jsonResponse(
        httpError(405, "method_not_allowed", "this server is stateless: only POST is supported", {
          Allow: "POST",
        }),
      );
    }
    if (options.isShuttingDown()) {
      return jsonResponse(
        httpError(503, "shutting_down", "the server is shutting down", { "Retry-After": "5" }),
      );
    }
    const outcome = await authenticator.authenticate(c.req.param("token"), c.req.raw.headers);
    if (!outcome.ok) return rejectToken(outcome.rejection, metrics, logger);
    const tokenKey = outcome.auth.tokenDigest?.toString("hex");
    const release = tokenKey === undefined ? () => {} : options.calls.tryAcquire(tokenKey);
    if (release === undefined) {
      logger.warn({ maxPerToken: options.calls.maxPerToken }, "concurrent call limit per token reached");
      return jsonResponse(tooManyCalls(options.calls.maxPerToken));
    }
    try {
      return await serve(c, outcome.auth);
    } finally {
      release();
    }
  };

  async function serve(c: Context, auth: RequestAuth): Promise<Response> {
    // A client that hangs up aborts this signal, which cancels the running query.
    const requestSignal = options.requestSignal(c);
    const server = options.createServer(auth, {
      logger: logger.child({ reqId: c.get("requestId") }),
      signal: requestSignal,
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: options.maxBodyBytes,
    });
    const send = transport.send.bind(transport);
    transport.send = (message, sendOptions) => send(withoutErrorPrefix(message), sendOptions);
    return options.inFlight.track(async () => {
      const settled = new AbortController();
      try {
        await server.connect(transport);
        // With JSON responses the transport resolves only once every reply is ready; a cancelled
        // call never replies, so stop waiting when the client is gone or shutdown gives up.
        const stop = AbortSignal.any([requestSignal, options.inFlight.signal]);
        return await Promise.race([transport.handleRequest(c.req.raw), whenAborted(stop, settled.signal)]);
      } finally {
        settled.abort();
        await server.close().catch(() => {});
      }
    });
  }
}
