import { randomUUID } from "node:crypto";
import { isIP, type Socket, connect as tcpConnect } from "node:net";
import * as os from "node:os";
import { connect as tlsConnect } from "node:tls";
import { ByteQueue } from "./byte-queue.js";
import type { ColumnDecoder } from "./columns.js";
import { CompressedSource } from "./compression.js";
import { exceptionError, NativeError } from "./errors.js";
import { formatQueryParam, formatSetting, type QueryParamValue, type SettingValue } from "./params.js";
import {
  CLIENT_REVISION,
  encodeAddendum,
  encodeCancel,
  encodeEmptyBlock,
  encodeHello,
  encodePing,
  encodeQuery,
  MIN_SERVER_REVISION,
  type Progress,
  REVISION,
  type ReadContext,
  readServerMessage,
  type ServerHello,
  type ServerMessage,
} from "./protocol.js";
import { QueryResult } from "./query-result.js";
import { DEFAULT_READ_LIMITS, type Parse, RawSource, type ReadLimits } from "./reader.js";
import type { TimeZoneFormatter } from "./text.js";

export interface TlsOptions {
  /** Trusted CA certificate(s), PEM. Default: Node's bundled root CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate (PEM), for servers that require one. */
  cert?: string | Buffer;
  /** The client certificate's private key (PEM). */
  key?: string | Buffer;
  /** Verify the server's certificate and name. Default: true (false = the claims' skip-verify). */
  rejectUnauthorized?: boolean;
  /** Name to verify and send as SNI. Default: `host` unless it is an IP address. */
  servername?: string;
}

export interface ConnectionOptions {
  host: string;
  /** The native port: 9000 plain, 9440 with TLS on a standard server. */
  port: number;
  /** Default: `default`. */
  username?: string;
  /** Default: empty. Sent in the clear unless `tls` is set. */
  password?: string;
  /** Default database of the session. Default: the user's default. */
  database?: string;
  /** `true` for TLS with default options. Default: plain TCP. */
  tls?: boolean | TlsOptions;
  /** Limit for connecting, TLS and the handshake together. Default: 10000 ms. */
  connectTimeoutMs?: number;
  /** How long a cancelled query may take to end before the connection is dropped. Default: 10000 ms. */
  cancelTimeoutMs?: number;
  /** Client name in the server's logs (`system.query_log.client_name`). Default: `mcp-clickhouse-native`. */
  clientName?: string;
  /** Client host name in the server's logs. Default: `os.hostname()`. */
  clientHostname?: string;
  /** OS user in the server's logs. Default: empty. */
  osUser?: string;
  /** Caps on what the server may send; see ReadLimits. */
  limits?: Partial<ReadLimits>;
  /** Aborts connecting. */
  signal?: AbortSignal;
}

export interface QueryOptions {
  /** Default: a random UUID. */
  queryId?: string;
  /** Per-query settings, e.g. `{ readonly: 2, max_result_rows: 1000, max_execution_time: 30 }`. */
  settings?: Readonly<Record<string, SettingValue | undefined>>;
  /** Values for `{name:Type}` placeholders. */
  params?: Readonly<Record<string, QueryParamValue>>;
  /** Cancels the query (Cancel packet, then the rest of the answer is drained); the connection stays usable. */
  signal?: AbortSignal;
  /** Ask for LZ4-compressed result blocks (checked with CityHash128). Default: false. */
  compression?: boolean;
  /**
   * When the result has columns the driver cannot decode (JSON, Dynamic, Variant,
   * AggregateFunction, ...), cancel and run the query again with those columns cast to String:
   * with `toString()` (`true`, the default) or with `toJSONString()` (`"json"`: each value is
   * then the JSON text ClickHouse's JSON formats print for it, under the query's
   * `output_format_json_*` settings). With false, such a query fails with UNSUPPORTED_TYPE
   * before any row is read.
   */
  castUnsupported?: boolean | "json";
  /**
   * NaN and infinities of Float32/Float64 values: `"null"` (default) or `"text"` (`"nan"`,
   * `"inf"`, `"-inf"`, as JSON formats print them with `output_format_json_quote_denormals=1`).
   */
  nonFiniteFloats?: "null" | "text";
  /** Called with each Progress packet (increments, as the server sends them). */
  onProgress?: (progress: Progress) => void;
  /**
   * Asked before each block is read: how many more bytes of rows the caller will keep, a row
   * counted as its values' compact JSON plus a newline (`JSON.stringify(row).length + 1` in
   * UTF-8). Rows that provably do not fit are not decoded: their bytes are dropped as they
   * arrive, whatever size the server announces, the block ends before them with `overBudget`
   * set, and the query is cancelled. Default: no budget (each value is bounded by
   * `limits.maxStringBytes`, each block by `limits.maxRows`).
   */
  byteBudget?: () => number;
}

type State = "idle" | "busy" | "closed";

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_CANCEL_TIMEOUT_MS = 10_000;
// Unparsed input kept while nobody reads before the socket is paused.
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const CLOSE_GRACE_MS = 2_000;

const TLS_ERROR_CODES = new Set([
  "EPROTO",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function isTlsErrorCode(code: string | undefined): boolean {
  return code !== undefined && (TLS_ERROR_CODES.has(code) || /^ERR_(SSL|TLS|OSSL)_/.test(code));
}

/** An open, authenticated native-protocol connection that runs one query at a time. */
export class Connection implements AsyncDisposable {
  /** What the server said about itself in its Hello. */
  readonly server: ServerHello;
  /** The revision both sides speak: min(server's, 54460). */
  readonly revision: number;

  private state: State = "idle";
  private active: QueryResult | undefined;
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

  /** @internal Use `connect()`. */
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

  /** @internal The next packet from the server. */
  readMessage(): Promise<ServerMessage> {
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

  /** @internal */
  write(data: Buffer): void {
    if (this.state === "closed") return;
    this.socket.write(data);
  }

  /** @internal */
  sendCancel(): void {
    this.write(encodeCancel());
  }

  /** @internal Called by the query result when the server has ended the query. */
  queryFinished(result: QueryResult): void {
    if (this.active !== result) return;
    this.active = undefined;
    this.lastUsed = Date.now();
    if (this.state === "busy") this.state = "idle";
  }

  /** Cancels the running query, if there is one, and waits until the connection is free again. */
  async cancelRunning(): Promise<void> {
    if (this.active) await this.active.cancel();
  }

  /** @internal Drops the connection (after a timeout or a broken stream). */
  destroy(error: NativeError): void {
    this.fail(error);
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
   */
  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    if (typeof sql !== "string" || sql.length === 0)
      throw new TypeError("query: sql must be a non-empty string");
    const settings = Object.entries(options.settings ?? {})
      .filter((entry): entry is [string, SettingValue] => entry[1] !== undefined)
      .map(([name, value]): [string, string] => [name, formatSetting(name, value)]);
    const params = Object.entries(options.params ?? {}).map(([name, value]): [string, string] => [
      name,
      formatQueryParam(value),
    ]);
    const queryId = options.queryId ?? randomUUID();
    const cancelled = () => new NativeError("QUERY_CANCELLED", `Query ${queryId} was cancelled`);
    if (options.signal?.aborted) throw cancelled();
    const first = await this.start(sql, queryId, settings, params, options);
    const unsupported = first.unsupportedColumns;
    if (unsupported.length === 0) return first;
    // The rows already on their way cannot be skipped without decoding them: the socket is left.
    first.abandon();
    this.active = undefined;
    await this.reopen();
    this.state = "idle";
    const list = unsupported.map((column) => `${column.name} (${column.type})`).join(", ");
    if (options.castUnsupported === false) {
      throw new NativeError("UNSUPPORTED_TYPE", `The native driver cannot decode column ${list}`);
    }
    if (options.signal?.aborted) throw cancelled();
    const names = [...new Set(unsupported.map((column) => column.name))];
    const cast = options.castUnsupported === "json" ? "toJSONString" : "toString";
    const casts = names.map((name) => `${cast}(${quoteIdentifier(name)}) AS ${quoteIdentifier(name)}`);
    const wrapped = `SELECT * REPLACE (${casts.join(", ")}) FROM (\n${stripTrailingSemicolons(sql)}\n)`;
    // JSON text is charged against a byte budget as the values its reader will parse from it.
    const jsonText = options.castUnsupported === "json" ? new Set(names) : undefined;
    const second = await this.start(wrapped, queryId, settings, params, options, jsonText);
    second.castColumns = names;
    second.castTypes = new Map(unsupported.map((column) => [column.name, column.type]));
    if (second.unsupportedColumns.length > 0) {
      second.abandon();
      this.destroy(
        new NativeError("UNSUPPORTED_TYPE", `Columns still undecodable after casting to String: ${list}`),
      );
      throw new NativeError("UNSUPPORTED_TYPE", `Columns still undecodable after casting to String: ${list}`);
    }
    return second;
  }

  private async start(
    sql: string,
    queryId: string,
    settings: [string, string][],
    params: [string, string][],
    options: QueryOptions,
    jsonTextColumns?: ReadonlySet<string>,
  ): Promise<QueryResult> {
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
      jsonTextColumns,
    );
    const compression = options.compression ?? false;
    const result = new QueryResult(this, queryId, {
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

  /** @internal Ping inside a query that just failed; a connection that does not answer is dropped. */
  async checkAlive(): Promise<void> {
    const timer = setTimeout(
      () => this.destroy(new NativeError("TIMEOUT", `No Pong from ${this.where} after a failed query`)),
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
      this.destroy(new NativeError("QUERY_CANCELLED", "Ping aborted; the connection was dropped"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      timer = setTimeout(
        () => this.destroy(new NativeError("TIMEOUT", `No Pong from ${this.where} within ${timeoutMs} ms`)),
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
      else if (this.state !== "closed") this.destroy(error as NativeError);
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

function endSocket(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    // Keep reading so that the server's FIN (and anything before it) is consumed.
    socket.resume();
    socket.end();
  });
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}

function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, "");
}

interface ResolvedOptions {
  host: string;
  port: number;
  tls: TlsOptions | undefined;
  credentials: { username: string; password: string; database: string };
  clientName: string;
  clientHostname: string;
  osUser: string;
  connectTimeoutMs: number;
  cancelTimeoutMs: number;
  limits: ReadLimits;
}

function checkOptions(options: ConnectionOptions): ResolvedOptions {
  if (typeof options.host !== "string" || options.host.length === 0)
    throw new TypeError("connect: host is required");
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535) {
    throw new TypeError("connect: port must be an integer between 1 and 65535");
  }
  const limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new TypeError(`connect: limits.${name} must be a positive integer`);
  }
  return {
    host: options.host,
    port: options.port,
    tls: options.tls === true ? {} : options.tls || undefined,
    credentials: {
      username: options.username ?? "default",
      password: options.password ?? "",
      database: options.database ?? "",
    },
    clientName: options.clientName ?? "mcp-clickhouse-native",
    clientHostname: options.clientHostname ?? os.hostname(),
    osUser: options.osUser ?? "",
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    cancelTimeoutMs: options.cancelTimeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS,
    limits,
  };
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

interface OpenedSocket {
  socket: Socket;
  queue: ByteQueue;
  hello: ServerHello;
}

async function openSocket(resolved: ResolvedOptions, signal: AbortSignal | undefined): Promise<OpenedSocket> {
  const { host, port, credentials } = resolved;
  const where = `${host}:${port}`;
  const tls = resolved.tls;
  const socket: Socket = tls
    ? tlsConnect({
        host,
        port,
        ...(isIP(host) ? {} : { servername: host }),
        ...(tls.servername === undefined ? {} : { servername: tls.servername }),
        ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        ...(tls.cert === undefined ? {} : { cert: tls.cert }),
        ...(tls.key === undefined ? {} : { key: tls.key }),
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
      })
    : tcpConnect({ host, port });
  socket.setNoDelay(true);
  const queue = new ByteQueue();
  let connected = false;

  const hello = await new Promise<ServerHello>((resolve, reject) => {
    let settled = false;
    let parser: Parse<ServerMessage> | undefined;
    let need = 0;
    const finish = (error: NativeError | undefined, value?: ServerHello) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.off(tls ? "secureConnect" : "connect", onConnect);
      if (error) {
        socket.on("error", () => {});
        // A graceful end: the embedded test server dies on a reset right after a refused login.
        if (connected) void endSocket(socket);
        else socket.destroy();
        reject(error);
      } else resolve(value!);
    };
    const onAbort = () => finish(new NativeError("CONNECT_FAILED", `Connecting to ${where} was aborted`));
    const onConnect = () => {
      connected = true;
      socket.write(
        encodeHello({
          clientName: resolved.clientName,
          database: credentials.database,
          username: credentials.username,
          password: credentials.password,
        }),
      );
    };
    const onError = (error: NodeJS.ErrnoException) => {
      const systemCode = error.code;
      const tlsFailure = tls !== undefined && (isTlsErrorCode(systemCode) || systemCode === "ECONNRESET");
      const code = tlsFailure ? "TLS_FAILED" : "CONNECT_FAILED";
      const what = tlsFailure ? "TLS connection to" : "Could not connect to";
      finish(
        new NativeError(code, `${what} ClickHouse at ${where} failed: ${error.message}`, {
          ...(systemCode === undefined ? {} : { systemCode }),
          cause: error,
        }),
      );
    };
    const onClose = () =>
      finish(
        new NativeError(
          tls !== undefined && connected ? "TLS_FAILED" : "CONNECT_FAILED",
          `ClickHouse at ${where} closed the connection during the handshake`,
        ),
      );
    const context: ReadContext = {
      raw: new RawSource(queue),
      data: new RawSource(queue),
      revision: CLIENT_REVISION,
      limits: resolved.limits,
      decoding: { timezone: "UTC", limits: resolved.limits },
      zones: new Map(),
      decoders: new Map(),
    };
    const onData = (chunk: Buffer) => {
      queue.push(chunk);
      if (queue.available < need) return;
      parser ??= readServerMessage(context);
      let step: IteratorResult<number, ServerMessage>;
      try {
        step = parser.next();
      } catch (error) {
        finish(
          error instanceof NativeError
            ? error
            : new NativeError("PROTOCOL_ERROR", `Malformed handshake from ${where}: ${String(error)}`),
        );
        return;
      }
      if (!step.done) {
        need = step.value;
        return;
      }
      const message = step.value;
      if (message.type === "hello") finish(undefined, message.hello);
      else if (message.type === "exception") finish(exceptionError(message.exceptions));
      else
        finish(
          new NativeError(
            "PROTOCOL_ERROR",
            `Unexpected ${message.type} packet instead of the server's Hello`,
          ),
        );
    };
    const timer = setTimeout(
      () =>
        finish(
          new NativeError(
            "CONNECT_FAILED",
            `Connecting to ${where} timed out after ${resolved.connectTimeoutMs} ms`,
            {
              systemCode: "ETIMEDOUT",
            },
          ),
        ),
      resolved.connectTimeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.on(tls ? "secureConnect" : "connect", onConnect);
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
  });

  if (hello.revision < MIN_SERVER_REVISION) {
    socket.on("error", () => {});
    void endSocket(socket);
    throw new NativeError(
      "UNSUPPORTED_SERVER",
      `ClickHouse at ${where} speaks protocol revision ${hello.revision}; this client needs at least ${MIN_SERVER_REVISION}`,
    );
  }
  if (Math.min(hello.revision, CLIENT_REVISION) >= REVISION.ADDENDUM) socket.write(encodeAddendum());
  return { socket, queue, hello };
}
