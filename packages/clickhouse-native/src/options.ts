import * as os from "node:os";
import type { NativeSettingValue, QueryParamValue } from "./params.js";
import type { Progress } from "./protocol.js";
import { DEFAULT_READ_LIMITS, type ReadLimits } from "./reader.js";

// What a connection and a query take, and the connection options with their defaults applied.

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

export interface NativeQueryOptions {
  /** Default: a random UUID. */
  queryId?: string;
  /** Per-query settings, e.g. `{ readonly: 2, max_result_rows: 1000, max_execution_time: 30 }`. */
  settings?: Readonly<Record<string, NativeSettingValue | undefined>>;
  /** Values for `{name:Type}` placeholders. */
  params?: Readonly<Record<string, QueryParamValue>>;
  /** Cancels the query (Cancel packet, then the rest of the answer is drained); the connection stays usable. */
  signal?: AbortSignal;
  /** Ask for LZ4-compressed result blocks (checked with CityHash128). Default: false. */
  compression?: boolean;
  /**
   * String columns that hold JSON text the caller will parse (e.g. a column cast with
   * `toJSONString`): a byte budget charges each such value as the values parsed from it, not as
   * a JSON string.
   */
  jsonTextColumns?: readonly string[];
  /**
   * NaN and infinities of Float32/Float64 values: `"null"` (default) or `"text"` (`"nan"`,
   * `"inf"`, `"-inf"`, as JSON formats print them with `output_format_json_quote_denormals=1`).
   */
  nonFiniteFloats?: "null" | "text";
  /**
   * Called with each Progress packet: `progress` holds its increments, as the server sends them;
   * `totals` the sums so far for this query (a copy, equal to the result's `progress` then).
   */
  onProgress?: (progress: Progress, totals: Readonly<Progress>) => void;
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

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_CANCEL_TIMEOUT_MS = 10_000;

/** ConnectionOptions checked, with their defaults. */
export interface ResolvedOptions {
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

export function checkOptions(options: ConnectionOptions): ResolvedOptions {
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
