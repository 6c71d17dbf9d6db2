import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Context } from "hono";
import type { Logger } from "pino";
import type { RequestAuth } from "../auth/authenticate.js";
import type { AuthEnv } from "../http/app-env.js";
import type { TokenCallLimiter } from "../http/call-limiter.js";
import { httpError, jsonResponse, methodNotAllowed, tooManyCalls } from "../http/errors.js";
import type { InFlight } from "../http/in-flight.js";
import { withoutErrorPrefix } from "../mcp/wire-errors.js";
import type { McpServerFactory } from "./mcp-server-factory.js";

export interface StreamableRoutesOptions {
  createServer: McpServerFactory;
  logger: Logger;
  maxBodyBytes: number;
  /** Counts requests being answered, so shutdown can wait for them; its signal aborts them. */
  inFlight: InFlight;
  /** Per-token cap on requests running at once, shared with SSE. */
  calls: TokenCallLimiter;
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
 * Streamable HTTP, stateless: every POST gets a fresh MCP server and transport, so any replica
 * behind a round-robin balancer can answer any request. Without sessions there is nothing to
 * GET (server-initiated stream) or DELETE, hence 405. Runs behind the shutdown check and the
 * auth middleware (`c.var.auth`).
 */
export function createStreamableHandler(options: StreamableRoutesOptions) {
  const { logger } = options;

  return async function handle(c: Context<AuthEnv>): Promise<Response> {
    if (c.req.method !== "POST") {
      return jsonResponse(methodNotAllowed("POST", "this server is stateless: only POST is supported"));
    }
    const { auth } = c.var;
    const tokenKey = auth.tokenDigest?.toString("hex");
    const release = tokenKey === undefined ? () => {} : options.calls.tryAcquire(tokenKey);
    if (release === undefined) {
      logger.warn({ maxPerToken: options.calls.maxPerToken }, "concurrent call limit per token reached");
      return jsonResponse(tooManyCalls(options.calls.maxPerToken));
    }
    try {
      return await serve(c, auth);
    } finally {
      release();
    }
  };

  async function serve(c: Context<AuthEnv>, auth: RequestAuth): Promise<Response> {
    // A client that hangs up aborts this signal, which cancels the running query.
    const requestSignal = c.var.requestSignal;
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
