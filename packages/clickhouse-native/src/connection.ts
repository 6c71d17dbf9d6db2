import { randomUUID } from "node:crypto";
import { encodeCancel, encodeEmptyBlock, encodePing, encodeQuery } from "./client-packets.js";
import { exceptionError, NativeError } from "./errors.js";
import { endSocket, type OpenedSocket, openSocket } from "./open-socket.js";
import {
  type ConnectionOptions,
  checkOptions,
  type NativeQueryOptions,
  type ResolvedOptions,
} from "./options.js";
import { PacketStream } from "./packet-stream.js";
import { formatQueryParams, formatSettings } from "./params.js";
import { CLIENT_REVISION, type ServerHello } from "./protocol.js";
import type { NativeQueryResult } from "./query-result.js";
import { type QueryChannel, QueryResultReader } from "./query-result-reader.js";

type State = "idle" | "busy" | "closed";

/**
 * One connection's lifecycle: its state (idle, busy, closed), starting a query and handing out
 * its result, ping, cancel, logging in again after an undecodable result, and close. The bytes
 * and packets on the socket are the PacketStream's.
 */
export class Connection implements AsyncDisposable {
  /** What the server said about itself in its Hello. */
  readonly server: ServerHello;
  /** The revision both sides speak: min(server's, 54460). */
  readonly revision: number;

  private state: State = "idle";
  private active: QueryResultReader | undefined;
  private failure: NativeError | undefined;
  private readonly stream: PacketStream;
  private closing: Promise<void> | undefined;
  private lastUsed = Date.now();

  /** Opened by `connect()`. */
  constructor(
    private readonly options: ResolvedOptions,
    opened: OpenedSocket,
  ) {
    this.server = opened.hello;
    this.revision = Math.min(opened.hello.revision, CLIENT_REVISION);
    this.stream = new PacketStream(
      {
        failure: () => this.failure,
        closed: () => this.state === "closed",
        fail: (error) => this.fail(error),
      },
      this.where,
      this.revision,
      options.limits,
      opened,
      this.server.timezone,
    );
  }

  /**
   * Leaves the current socket (its answer cannot be parsed any further) and logs in again on a
   * new one. The old query is cancelled and the old socket ended gracefully first, so that the
   * server has finished that query (and freed its id) before the next one is sent.
   */
  private async reopen(): Promise<void> {
    const old = this.stream.socket;
    this.stream.detach();
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
    this.stream.attach(opened);
    // Whatever reads next (a query, a ping) reads from the new socket.
    this.stream.readContext = this.stream.newReadContext(false, this.server.timezone);
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

  private fail(error: NativeError): void {
    if (this.state === "closed" && this.failure) return;
    this.failure ??= error;
    this.state = "closed";
    this.stream.shutDown(this.failure);
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
    const settings = formatSettings(options.settings);
    const params = formatQueryParams(options.params);
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
        initialAddress: `${this.stream.socket.localAddress ?? "0.0.0.0"}:${this.stream.socket.localPort ?? 0}`,
        osUser: this.options.osUser,
        hostname: this.options.clientHostname,
      });
    } catch (error) {
      this.state = "idle";
      throw error;
    }
    const sessionZone = settings.find(([name]) => name === "session_timezone")?.[1];
    this.stream.readContext = this.stream.newReadContext(
      options.compression ?? false,
      sessionZone || this.server.timezone,
      options.nonFiniteFloats,
      options.jsonTextColumns && new Set(options.jsonTextColumns),
    );
    const compression = options.compression ?? false;
    const channel: QueryChannel = {
      readMessage: () => this.stream.readMessage(),
      sendCancel: () => this.stream.write(encodeCancel()),
      finished: () => this.queryFinished(result),
      destroy: (error) => this.fail(error),
      checkAlive: () => this.checkAlive(),
    };
    const result = new QueryResultReader(channel, queryId, {
      cancelTimeoutMs: this.options.cancelTimeoutMs,
      endInsertData: () => this.stream.write(encodeEmptyBlock(compression)),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.byteBudget ? { byteBudget: options.byteBudget } : {}),
    });
    this.stream.readContext.budget = (packet) => result.blockBudget(packet);
    this.active = result;
    this.stream.write(packet);
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
      this.stream.write(encodePing());
      for (;;) {
        const message = await this.stream.readMessage();
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
      this.stream.write(encodePing());
      for (;;) {
        const message = await this.stream.readMessage();
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
      this.stream.detach();
      await endSocket(this.stream.socket);
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
