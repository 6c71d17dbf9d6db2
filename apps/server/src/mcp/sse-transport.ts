import {
  type JSONRPCMessage,
  type MessageExtraInfo,
  parseJSONRPCMessage,
  type RequestId,
  type Transport,
} from "@modelcontextprotocol/server";
import type { SSEStreamingApi } from "hono/streaming";

export interface SseServerTransportOptions {
  sessionId: string;
  /** URL (path + query) the client POSTs its messages to; sent as the first `endpoint` event. */
  endpoint: string;
  /** Interval between `: keep-alive` comments; 0 disables them. */
  keepAliveMs: number;
  /**
   * Most bytes written to the stream and not yet taken by the client. A client that lets more pile
   * up is not reading: the session is ended rather than its replies buffered without bound. A
   * single frame larger than this is still sent when nothing else is waiting.
   */
  maxQueuedBytes: number;
  /** Called for each request received; the returned function when it is answered, cancelled or the stream ends. */
  onRequest?: () => () => void;
  /** Called once when the session is ended because the client does not read its stream. */
  onSlowClient?: () => void;
}

/** How long closing waits for the frames already written to be taken before cutting the stream. */
const CLOSE_FLUSH_MS = 1_000;

/**
 * Legacy (2024-11-05) SSE transport, which the v2 SDK no longer has, on Hono's `streamSSE`. The SDK's SSEServerTransport writes
 * to Node's ServerResponse behind Hono's back, which breaks as soon as a middleware (CORS)
 * touches the headers, and it sends no keep-alive; this one only writes to the stream Hono owns.
 * Frames are written with `stream.write` in call order so replies never interleave.
 */
export class SseServerTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  readonly #stream: SSEStreamingApi;
  readonly #options: SseServerTransportOptions;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** Bytes handed to the stream whose write has not completed (the client has not taken them yet). */
  #queuedBytes = 0;
  readonly #pending = new Map<RequestId, () => void>();
  #resolveClosed!: () => void;
  /** Settles when the session ends, from either side; the `streamSSE` callback awaits it. */
  readonly closed: Promise<void>;

  constructor(stream: SSEStreamingApi, options: SseServerTransportOptions) {
    this.#stream = stream;
    this.#options = options;
    this.sessionId = options.sessionId;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    // A client that goes away cancels the response body; Hono reports it as an abort.
    stream.onAbort(() => this.#finish());
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error("SSE transport already closed");
    await this.#write(`event: endpoint\ndata: ${this.#options.endpoint}\n\n`);
    if (this.#options.keepAliveMs > 0) {
      this.#keepAlive = setInterval(() => {
        // Frames still waiting keep the connection busy enough; a comment would only queue behind them.
        if (this.#queuedBytes === 0) this.#write(": keep-alive\n\n").catch(() => {});
      }, this.#options.keepAliveMs);
      this.#keepAlive.unref();
    }
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error("SSE stream closed");
    // A reply ends its request's work as soon as it is handed to the stream, even if the client
    // is slow to take it: shutdown waits for work, then close() gives the stream a bounded time.
    if (("result" in message || "error" in message) && message.id !== undefined) this.#settle(message.id);
    // JSON.stringify never emits a raw newline, so one data line carries the whole message.
    await this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** Writes one frame, ending the session instead when the client leaves too much unread. */
  async #write(frame: string): Promise<void> {
    const bytes = Buffer.byteLength(frame);
    if (this.#queuedBytes > 0 && this.#queuedBytes + bytes > this.#options.maxQueuedBytes) {
      this.#options.onSlowClient?.();
      this.#abort();
      throw new Error("SSE client is not reading its stream");
    }
    this.#queuedBytes += bytes;
    try {
      // Resolves once the client side has taken the frame (backpressure reaches back to here).
      await this.#stream.write(frame);
    } finally {
      this.#queuedBytes -= bytes;
    }
  }

  /**
   * Delivers a message POSTed by the client; throws when it is not a JSON-RPC message. `release`
   * is called once the message's work is over: when a request is answered, cancelled or the
   * stream ends, at once for anything else.
   */
  receive(body: unknown, release: () => void = () => {}): void {
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(body);
    } catch {
      release();
      throw new TypeError("not a JSON-RPC message");
    }
    let tracked = false;
    if ("method" in message) {
      if ("id" in message && !this.#pending.has(message.id)) {
        const endInFlight = this.#options.onRequest?.();
        this.#pending.set(message.id, () => {
          endInFlight?.();
          release();
        });
        tracked = true;
      } else if (message.method === "notifications/cancelled") {
        // A cancelled request is never answered.
        const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
        if (requestId !== undefined) this.#settle(requestId);
      }
    }
    if (!tracked) release();
    this.onmessage?.(message);
  }

  #settle(id: RequestId): void {
    this.#pending.get(id)?.();
    this.#pending.delete(id);
  }

  /**
   * Ends the stream after the frames already written, but never waits long on a client that does
   * not read: closing the stream waits for them to be taken, so a stalled one is cut instead.
   */
  async close(): Promise<void> {
    this.#finish();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flushed = await Promise.race([
      this.#stream.close().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), CLOSE_FLUSH_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!flushed) this.#abort();
  }

  /** Cuts the stream: pending writes are dropped (their memory freed) and the response ends. */
  #abort(): void {
    this.#stream.abort();
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    for (const end of this.#pending.values()) end();
    this.#pending.clear();
    this.#resolveClosed();
    this.onclose?.();
  }
}
