import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import type { ByteQueue } from "./byte-queue.js";
import { encodeCancel, encodeEmptyBlock, encodePing, encodeQuery } from "./client-packets.js";
import type { ColumnDecoder } from "./columns.js";
import { CompressedSource } from "./compression.js";
import { exceptionError, NativeError } from "./errors.js";
import { endSocket, type OpenedSocket, openSocket } from "./open-socket.js";
import {
  type ConnectionOptions,
  checkOptions,
  type NativeQueryOptions,
  type ResolvedOptions,
} from "./options.js";
import { formatQueryParam, formatSetting, type NativeSettingValue } from "./params.js";
import { CLIENT_REVISION, type ServerHello, type ServerMessage } from "./protocol.js";
import type { NativeQueryResult } from "./query-result.js";
import { type QueryChannel, QueryResultReader } from "./query-result-reader.js";
import { type Parse, RawSource } from "./reader.js";
import { type ReadContext, readServerMessage } from "./server-packets.js";
import type { TimeZoneFormatter } from "./text.js";

type State = "idle" | "busy" | "closed";

// Unparsed input kept while nobody reads before the socket is paused.
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

export class Connection implements AsyncDisposable {
  /** What the server said about itself in its Hello. */
  readonly server: ServerHello;
  /** The revision both sides speak: min(server's, 54460). */
  readonly revision: number;

  private state: State = "idle";
  private active: QueryResultReader | undefined;
  private failure: NativeError | undefined;
  private socket: Socket;
  private queue: ByteQueue;
  private raw: RawSource;
  private parser: Parse<ServerMessage> | undefined;
  private need = 0;
  private waiter:
    | { resolve: (message: ServerMessage) => void; reject: (error: NativeError) => void }
    | undefined;
  private readContext: ReadContext;
  private closing: Promise<void> | undefined;
  private lastUsed = Date.now();
  private detach: () => void = () => {};

  /** Opened by `connect()`. */
  constructor(
    private readonly options: ResolvedOptions,
    opened: OpenedSocket,
  ) {
    this.server = opened.hello;
    this.revision = Math.min(opened.hello.revision, CLIENT_REVISION);
    this.socket = opened.socket;
    this.queue = opened.queue;
    this.raw = new RawSource(this.queue);
    this.readContext = this.newReadContext(false, this.server.timezone);
    this.attach(opened);
  }

  private attach(opened: OpenedSocket): void {
    const { socket } = opened;
    this.socket = socket;
    this.queue = opened.queue;
    this.raw = new RawSource(this.queue);
    this.parser = undefined;
    this.need = 0;
    const onData = (chunk: Buffer) => {
      this.queue.push(chunk);
      this.pump();
    };
    const onError = (error: NodeJS.ErrnoException) => {
      this.fail(
        new NativeError("CONNECTION_CLOSED", `Connection to ${this.where} failed: ${error.message}`, {
          ...(error.code === undefined ? {} : { systemCode: error.code }),
          cause: error,
        }),
      );
    };
    const onClose = () =>
      this.fail(new NativeError("CONNECTION_CLOSED", `The connection to ${this.where} was closed`));
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    this.detach = () => {
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.on("error", () => {});
      this.detach = () => {};
    };
  }

  /**
   * Leaves the current socket (its answer cannot be parsed any further) and logs in again on a
   * new one. The old query is cancelled and the old socket ended gracefully first, so that the
   * server has finished that query (and freed its id) before the next one is sent.
   */
  private async reopen(): Promise<void> {
    const old = this.socket;
    this.detach();
    old.write(encodeCancel());
    await endSocket(old);
    let opened: OpenedSocket;
    try {
      opened = await openSocket(this.options, undefined);
    } catch (error) {
      this.failure ??= error as NativeError;
      this.state = "closed";
      throw error;
    }
    this.attach(opened);
    // Whatever reads next (a query, a ping) reads from the new socket.
    this.readContext = this.newReadContext(false, this.server.timezone);
  }

  private get where(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** False once the connection was closed or broke; it is then never usable again. */
  get isOpen(): boolean {
    return this.state !== "closed";
  }

  /** True while a query or ping is in progress. */
  get isBusy(): boolean {
    return this.state === "busy";
  }

  /** When the connection last finished a query or ping (ms since the epoch). */
  get lastUsedAt(): number {
    return this.lastUsed;
  }

  private newReadContext(
    compression: boolean,
    timezone: string,
    nonFiniteFloats: "null" | "text" = "null",
    jsonTextColumns?: ReadonlySet<string>,
  ): ReadContext {
    const limits = this.options.limits;
    return {
      raw: this.raw,
      data: compression ? new CompressedSource(this.raw, limits.maxFrameBytes) : this.raw,
      revision: this.revision,
      limits,
      decoding: { timezone, limits, nonFiniteFloats },
      zones: new Map<string, TimeZoneFormatter>(),
      decoders: new Map<string, ColumnDecoder>(),
      ...(jsonTextColumns && { jsonTextColumns }),
    };
  }

  private fail(error: NativeError): void {
    if (this.state === "closed" && this.failure) return;
    this.failure ??= error;
    this.state = "closed";
    // Bytes that arrived before the end may still complete the message being read.
    this.pump();
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = undefined;
      reject(this.failure);
    }
    // Nothing more is read from this socket. Ended rather than reset: a reset can lose what the
    // server still sends, and the embedded test server exits on one.
    this.detach();
    if (!this.socket.destroyed) void endSocket(this.socket);
  }

  private pump(): void {
    while (this.waiter && this.queue.available >= this.need) {
      this.parser ??= readServerMessage(this.readContext);
      let step: IteratorResult<number, ServerMessage>;
      try {
        step = this.parser.next();
      } catch (error) {
        this.parser = undefined;
        const failure =
          error instanceof NativeError
            ? error
            : new NativeError("PROTOCOL_ERROR", `Malformed data from ${this.where}: ${String(error)}`, {
                cause: error,
              });
        // The stream cannot be resynchronised after a parse failure.
        this.fail(failure);
        return;
      }
      if (step.done) {
        this.parser = undefined;
        this.need = 0;
        const { resolve } = this.waiter;
        this.waiter = undefined;
        resolve(step.value);
      } else {
        this.need = step.value;
      }
    }
    if (!this.waiter && this.queue.available > HIGH_WATER_BYTES && !this.socket.isPaused())
      this.socket.pause();
  }

  /** The next packet from the server. */
  private readMessage(): Promise<ServerMessage> {
    if (this.waiter) return Promise.reject(new TypeError("readMessage is already pending"));
    return new Promise<ServerMessage>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
      if (this.waiter && this.failure) {
        this.waiter = undefined;
        reject(this.failure);
        return;
      }
      if (this.waiter && this.socket.isPaused()) this.socket.resume();
    });
  }

  private write(data: Buffer): void {
    if (this.state === "closed") return;
    this.socket.write(data);
  }

  /** The server has ended the query of `result`. */
  private queryFinished(result: QueryResultReader): void {
    if (this.active !== result) return;
    this.active = undefined;
    this.lastUsed = Date.now();
    if (this.state === "busy") this.state = "idle";
  }

  /** Cancels the running query, if there is one, and waits until the connection is free again. */
  async cancelRunning(): Promise<void> {
    if (this.active) await this.active.cancel();
  }

  private claim(what: string): void {
    if (this.state === "closed") {
      throw this.failure ?? new NativeError("CONNECTION_CLOSED", `The connection to ${this.where} is closed`);
    }
    if (this.state === "busy") {
      throw new NativeError("CONNECTION_BUSY", `Cannot ${what}: the connection is running another query`);
    }
    this.state = "busy";
  }

  /**
   * Sends a query and waits for its result header (or its end, for statements without a
   * result). Server exceptions reject with SERVER_EXCEPTION; read the rows from the result.
   * A result with columns the client cannot decode (JSON, Dynamic, Variant, AggregateFunction,
   * ...) rejects with UNSUPPORTED_TYPE naming them in `unsupportedColumns`, before any row is
   * read; the connection stays usable (it leaves that socket and logs in again).
   */
  async query(sql: string, options: NativeQueryOptions = {}): Promise<NativeQueryResult> {
    if (typeof sql !== "string" || sql.length === 0)
      throw new TypeError("query: sql must be a non-empty string");
    const settings = Object.entries(options.settings ?? {})
      .filter((entry): entry is [string, NativeSettingValue] => entry[1] !== undefined)
      .map(([name, value]): [string, string] => [name, formatSetting(name, value)]);
    const params = Object.entries(options.params ?? {}).map(([name, value]): [string, string] => [
      name,
      formatQueryParam(value),
    ]);
    const queryId = options.queryId ?? randomUUID();
    const cancelled = () => new NativeError("QUERY_CANCELLED", `Query ${queryId} was cancelled`);
    if (options.signal?.aborted) throw cancelled();
    const result = await this.start(sql, queryId, settings, params, options);
    const unsupported = result.unsupportedColumns;
    if (unsupported.length === 0) return result;
    // The rows already on their way cannot be skipped without decoding them: the socket is left.
    result.abandon();
    this.active = undefined;
    await this.reopen();
    this.state = "idle";
    const list = unsupported.map((column) => `${column.name} (${column.type})`).join(", ");
    throw new NativeError("UNSUPPORTED_TYPE", `The native driver cannot decode column ${list}`, {
      unsupportedColumns: unsupported.map(({ name, type }) => ({ name, type })),
    });
  }

  private async start(
    sql: string,
    queryId: string,
    settings: [string, string][],
    params: [string, string][],
    options: NativeQueryOptions,
  ): Promise<QueryResultReader> {
    this.claim("start a query");
    let packet: Buffer;
    try {
      packet = encodeQuery({
        revision: this.revision,
        queryId,
        query: sql,
        settings,
        params,
        compression: options.compression ?? false,
        clientName: this.options.clientName,
        initialAddress: `${this.socket.localAddress ?? "0.0.0.0"}:${this.socket.localPort ?? 0}`,
        osUser: this.options.osUser,
        hostname: this.options.clientHostname,
      });
    } catch (error) {
      this.state = "idle";
      throw error;
    }
    const sessionZone = settings.find(([name]) => name === "session_timezone")?.[1];
    this.readContext = this.newReadContext(
      options.compression ?? false,
      sessionZone || this.server.timezone,
      options.nonFiniteFloats,
      options.jsonTextColumns && new Set(options.jsonTextColumns),
    );
    const compression = options.compression ?? false;
    const channel: QueryChannel = {
      readMessage: () => this.readMessage(),
      sendCancel: () => this.write(encodeCancel()),
      finished: () => this.queryFinished(result),
      destroy: (error) => this.fail(error),
      checkAlive: () => this.checkAlive(),
    };
    const result = new QueryResultReader(channel, queryId, {
      cancelTimeoutMs: this.options.cancelTimeoutMs,
      endInsertData: () => this.write(encodeEmptyBlock(compression)),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.byteBudget ? { byteBudget: options.byteBudget } : {}),
    });
    this.readContext.budget = (packet) => result.blockBudget(packet);
    this.active = result;
    this.write(packet);
    await result.readHeader();
    return result;
  }

  /** Ping inside a query that just failed; a connection that does not answer is dropped. */
  private async checkAlive(): Promise<void> {
    const timer = setTimeout(
      () => this.fail(new NativeError("TIMEOUT", `No Pong from ${this.where} after a failed query`)),
      this.options.cancelTimeoutMs,
    );
    try {
      this.write(encodePing());
      for (;;) {
        const message = await this.readMessage();
        if (message.type === "pong") return;
      }
    } catch {
      // The connection is closed now; the caller reports the server's exception.
    } finally {
      clearTimeout(timer);
    }
  }

  /** Checks that the server answers (Ping, Pong). */
  async ping(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    options.signal?.throwIfAborted();
    this.claim("ping");
    const timeoutMs = options.timeoutMs ?? this.options.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () =>
      this.fail(new NativeError("QUERY_CANCELLED", "Ping aborted; the connection was dropped"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      timer = setTimeout(
        () => this.fail(new NativeError("TIMEOUT", `No Pong from ${this.where} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.write(encodePing());
      for (;;) {
        const message = await this.readMessage();
        if (message.type === "pong") break;
        if (message.type === "exception") throw exceptionError(message.exceptions);
        if (message.type !== "progress" && message.type !== "profile-events" && message.type !== "log") {
          throw new NativeError("PROTOCOL_ERROR", `Unexpected ${message.type} packet in answer to a ping`);
        }
      }
      this.lastUsed = Date.now();
      if (this.state === "busy") this.state = "idle";
    } catch (error) {
      if (error instanceof NativeError && error.code === "SERVER_EXCEPTION") this.state = "idle";
      else if (this.state !== "closed") this.fail(error as NativeError);
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Closes the connection: cancels a running query, then ends the socket gracefully (FIN, not
   * reset) and waits for the server to close its side.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.active) await this.active.cancel().catch(() => {});
      this.failure ??= new NativeError("CONNECTION_CLOSED", `The connection to ${this.where} is closed`);
      this.state = "closed";
      this.detach();
      await endSocket(this.socket);
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Opens a connection: TCP or TLS, then the Hello exchange at revision 54460. Fails with
 * CONNECT_FAILED, TLS_FAILED, AUTH_FAILED, SERVER_EXCEPTION (e.g. an unknown database) or
 * UNSUPPORTED_SERVER; never with the password in the message.
 */
export async function connect(options: ConnectionOptions): Promise<Connection> {
  const resolved = checkOptions(options);
  if (options.signal?.aborted) throw new NativeError("CONNECT_FAILED", "Connecting was aborted");
  return new Connection(resolved, await openSocket(resolved, options.signal));
}
