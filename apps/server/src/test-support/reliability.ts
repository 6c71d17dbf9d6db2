/**
 * Shared pieces of the reliability suite: the bounded/stress scale, figures printed for the
 * README, a raw MCP client that accounts for every frame, ClickHouse probes, a recording proxy
 * in front of ClickHouse, and the leak check run by every file. Not a test file.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { adminClient, harness } from "@mcp/test-harness";
import { expect } from "vitest";
import { sensitiveValues } from "./http-fixture.js";

/** `MCP_STRESS=1` (pnpm test:stress) scales every loop up; `pnpm test` runs the bounded form. */
export const STRESS = process.env.MCP_STRESS === "1";

/** A count or time budget: the bounded value in `pnpm test`, the larger one under stress. */
export function scale(bounded: number, stress: number): number {
  return STRESS ? stress : bounded;
}

/** vitest timeout for a test whose loops are bounded by `budgetMs`, with room for setup and teardown. */
export function timeoutFor(budgetMs: number): number {
  return budgetMs + 60_000;
}

/**
 * Runs `body(i)` up to `count` times with `concurrency` in flight, stopping early when `budgetMs`
 * has passed. The time bound only keeps a slow machine from hanging the run; the caller asserts
 * that enough iterations ran for the test to mean something.
 */
export async function boundedLoop(
  options: { count: number; budgetMs: number; concurrency: number },
  body: (i: number) => Promise<void>,
): Promise<{ done: number; elapsedMs: number }> {
  const started = Date.now();
  const deadline = started + options.budgetMs;
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < options.count && Date.now() < deadline) {
      const i = next++;
      await body(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  return { done, elapsedMs: Date.now() - started };
}

/** Prints one line of figures (copied into the README's Reliability section). */
export function reportFigures(area: string, figures: Record<string, string | number>): void {
  const text = Object.entries(figures)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  console.log(`[reliability${STRESS ? " stress" : ""}] ${area}: ${text}`);
}

export function unique(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/** Resident memory of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  if (!Number.isFinite(kib)) throw new Error(`no VmRSS for process ${pid}`);
  return kib / 1024;
}

// --- secrets ---------------------------------------------------------------------------------

/**
 * Collects everything a client was shown (response bodies, tool error texts) so the file can
 * check, at the end, that none of it carries a token, password or secret.
 */
export class ClientTexts {
  readonly #texts: string[] = [];

  add(text: string): void {
    this.#texts.push(text);
  }

  get count(): number {
    return this.#texts.length;
  }

  all(): string[] {
    return this.#texts;
  }
}

/** Asserts that none of `texts` contains any value registered with markSensitive. */
export function expectNoSecrets(what: string, texts: readonly string[]): number {
  const secrets = sensitiveValues();
  expect(secrets.length, "no sensitive values were registered").toBeGreaterThan(0);
  for (const text of texts) {
    for (const secret of secrets) {
      if (text.includes(secret)) {
        throw new Error(`${what} contains a secret (${secret.length} chars, starts ${secret.slice(0, 4)}…)`);
      }
    }
  }
  return secrets.length;
}

// --- ClickHouse probes -----------------------------------------------------------------------

/** Runs SQL as the harness admin and returns the rows. */
export async function adminRows<T = Record<string, unknown>>(
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const client = adminClient();
  try {
    const result = await client.query({ query, query_params: params, format: "JSONEachRow" });
    return (await result.json()) as T[];
  } finally {
    await client.close();
  }
}

export async function adminCommand(query: string): Promise<void> {
  const client = adminClient();
  try {
    await client.command({ query });
  } finally {
    await client.close();
  }
}

/** Queries running on the harness ClickHouse whose text contains `marker` (this probe excluded). */
export async function runningWith(marker: string): Promise<number> {
  const rows = await adminRows<{ n: string }>(
    "SELECT count() AS n FROM system.processes WHERE position(query, {marker:String}) > 0 AND position(query, 'system.processes') = 0",
    { marker },
  );
  return Number(rows[0]?.n ?? 0);
}

/** Polls until `check` holds; the bound only keeps a broken server from hanging the test. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
}

/**
 * A TCP proxy in front of the harness's ClickHouse HTTP port that keeps a copy of every byte the
 * server sends to ClickHouse, to prove a query never reached it.
 */
export interface RecordingProxy extends AsyncDisposable {
  port: number;
  /** Whether `text` appeared in anything sent to ClickHouse so far. */
  saw(text: string): boolean;
  /** Bytes forwarded to ClickHouse so far. */
  bytesSent(): number;
}

export async function startRecordingProxy(targetPort = harness().httpPort): Promise<RecordingProxy> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    client.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    saw: (text) => Buffer.concat(chunks).includes(text),
    bytesSent: () => bytes,
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// --- a raw MCP client that accounts for every frame -------------------------------------------

export interface JsonRpcResponse {
  jsonrpc: "2.0";
  id: number | string;
  result?: { content?: { type: string; text?: string }[]; isError?: boolean; structuredContent?: unknown };
  error?: { code: number; message: string };
}

const PROTOCOL_VERSION = "2025-06-18";

export function initializeMessage(id: number | string = 0) {
  return {
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "rel", version: "1" },
    },
  };
}

export function toolCallMessage(id: number | string, name: string, args: Record<string, unknown>) {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

/**
 * One legacy SSE session driven by hand: every `message` event is parsed and kept, so a test can
 * tell a lost reply from a duplicated or a foreign one.
 */
export class RawSseSession {
  /** Every response received, in order, duplicates included. */
  readonly responses: JsonRpcResponse[] = [];
  readonly #waiters = new Map<number | string, (response: JsonRpcResponse) => void>();
  readonly #abort = new AbortController();
  #closed = false;
  #endpoint = "";

  private constructor(
    private readonly base: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** Opens `url` (a `/sse` URL) and initializes the session. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<RawSseSession> {
    const session = new RawSseSession(new URL(url).origin, headers);
    await session.#connect(url);
    const init = await session.request(initializeMessage("init"));
    if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
    await session.notify({ jsonrpc: "2.0", method: "notifications/initialized" });
    return session;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #connect(url: string): Promise<void> {
    const response = await fetch(url, {
      headers: { Accept: "text/event-stream", ...this.headers },
      signal: this.#abort.signal,
    });
    if (response.status !== 200 || !response.body) {
      throw new Error(`SSE open answered ${response.status}: ${await response.text()}`);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let resolveEndpoint!: () => void;
    const endpointSeen = new Promise<void>((resolve) => {
      resolveEndpoint = resolve;
    });
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end = buffer.indexOf("\n\n");
          while (end !== -1) {
            this.#frame(buffer.slice(0, end), resolveEndpoint);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
          }
        }
      } catch {
        // aborted by close()
      } finally {
        this.#closed = true;
      }
    })();
    await endpointSeen;
  }

  #frame(frame: string, resolveEndpoint: () => void): void {
    const event = /^event: (.*)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (event === "endpoint" && data) {
      this.#endpoint = data;
      resolveEndpoint();
    } else if (event === "message" && data) {
      const message = JSON.parse(data) as JsonRpcResponse;
      if (message.id === undefined) return;
      this.responses.push(message);
      const waiter = this.#waiters.get(message.id);
      this.#waiters.delete(message.id);
      waiter?.(message);
    }
  }

  /** The message URL (path and sessionId) the server announced. */
  get endpoint(): string {
    return this.#endpoint;
  }

  async post(message: unknown): Promise<Response> {
    return fetch(`${this.base}${this.#endpoint}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...this.headers },
      body: JSON.stringify(message),
    });
  }

  async notify(message: unknown): Promise<void> {
    const response = await this.post(message);
    await response.text();
    if (response.status !== 202) throw new Error(`notification answered ${response.status}`);
  }

  /** Posts a request and resolves with its reply from the stream. */
  async request(message: { id: number | string }, timeoutMs = 30_000): Promise<JsonRpcResponse> {
    // Waiting starts before the POST, so that a reply faster than the POST's own answer is not missed.
    const reply = new Promise<JsonRpcResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(message.id);
        reject(new Error(`no reply to ${message.id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(message.id, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
    });
    // Observed below, but the POST may fail (or time out) first.
    reply.catch(() => {});
    const posted = await this.post(message);
    const body = await posted.text();
    if (posted.status !== 202) {
      this.#waiters.delete(message.id);
      throw new Error(`POST answered ${posted.status}: ${body}`);
    }
    return reply;
  }

  close(): void {
    this.#abort.abort();
  }
}

/** One stateless Streamable HTTP exchange (JSON response); initialize is not needed per request. */
export async function postMcp(
  url: string,
  message: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(message),
    ...(signal && { signal }),
  });
}

/**
 * The JSON-RPC reply of a Streamable HTTP exchange, whichever form it took: a JSON body, or an SSE
 * stream (the 2025-era stateless answer) whose last `message` event is the reply.
 */
export async function mcpReply(response: Response): Promise<JsonRpcResponse> {
  const text = await response.text();
  if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    return JSON.parse(text) as JsonRpcResponse;
  }
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice("data: ".length));
  const last = data.at(-1);
  if (last === undefined) throw new Error(`no message in the SSE answer (${response.status})`);
  return JSON.parse(last) as JsonRpcResponse;
}

export function toolText(response: JsonRpcResponse): string {
  return (response.result?.content ?? []).map((c) => c.text ?? "").join("\n");
}
