export type NativeErrorCode =
  | "CONNECT_FAILED"
  | "TLS_FAILED"
  | "AUTH_FAILED"
  | "UNSUPPORTED_SERVER"
  | "SERVER_EXCEPTION"
  | "PROTOCOL_ERROR"
  | "UNSUPPORTED_TYPE"
  | "QUERY_CANCELLED"
  | "TIMEOUT"
  | "CONNECTION_CLOSED"
  | "CONNECTION_BUSY"
  | "POOL_CLOSED";

export const NATIVE_ERROR_CODES: readonly NativeErrorCode[] = Object.freeze([
  "CONNECT_FAILED",
  "TLS_FAILED",
  "AUTH_FAILED",
  "UNSUPPORTED_SERVER",
  "SERVER_EXCEPTION",
  "PROTOCOL_ERROR",
  "UNSUPPORTED_TYPE",
  "QUERY_CANCELLED",
  "TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_BUSY",
  "POOL_CLOSED",
]);

/** One exception as the server sent it (an Exception packet may chain several). */
export interface ServerExceptionInfo {
  /** ClickHouse's numeric error code, e.g. 60. */
  code: number;
  /** ClickHouse's error name when known, e.g. `UNKNOWN_TABLE` (taken from the message's `(NAME)` suffix). */
  name?: string;
  /** The server's text without the `Code: N. DB::Exception:` prefix. */
  message: string;
}

export interface NativeErrorDetails {
  /** For SERVER_EXCEPTION and AUTH_FAILED: the server's (outermost) exception. */
  exception?: ServerExceptionInfo;
  /** Exceptions the server nested inside the outermost one, outermost first. */
  nested?: ServerExceptionInfo[];
  /** Node.js/OpenSSL error code of a network or TLS failure, e.g. `ECONNREFUSED`. */
  systemCode?: string;
  /** For UNSUPPORTED_TYPE from `query`: the result's columns that cannot be decoded. */
  unsupportedColumns?: { name: string; type: string }[];
  cause?: unknown;
}

/**
 * The one error type of @mcp/clickhouse-native. Messages never contain the password; server
 * exception texts are passed through as the server wrote them.
 */
export class NativeError extends Error {
  override readonly name = "NativeError";
  readonly code: NativeErrorCode;
  /** ClickHouse's numeric error code, for SERVER_EXCEPTION and AUTH_FAILED. */
  readonly clickhouseCode?: number;
  /** ClickHouse's error name, e.g. `UNKNOWN_TABLE`, when the server's text carried it. */
  readonly clickhouseName?: string;
  /** The server's (outermost) exception as sent, for SERVER_EXCEPTION and AUTH_FAILED. */
  readonly exception?: ServerExceptionInfo;
  readonly nested?: ServerExceptionInfo[];
  readonly systemCode?: string;
  /** For UNSUPPORTED_TYPE from `query`: the result's columns that cannot be decoded, in order. */
  readonly unsupportedColumns?: readonly { name: string; type: string }[];

  constructor(code: NativeErrorCode, message: string, details: NativeErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.exception) {
      this.exception = details.exception;
      this.clickhouseCode = details.exception.code;
      if (details.exception.name !== undefined) this.clickhouseName = details.exception.name;
    }
    if (details.nested && details.nested.length > 0) this.nested = details.nested;
    if (details.systemCode !== undefined) this.systemCode = details.systemCode;
    if (details.unsupportedColumns !== undefined) this.unsupportedColumns = details.unsupportedColumns;
  }
}

export function isNativeError(error: unknown): error is NativeError {
  return error instanceof NativeError;
}

/** Codes that mean the password or user was refused. */
const AUTH_CODES = new Set([192, 193, 194, 516]);

/** The error for an Exception packet: AUTH_FAILED for a refused login, else SERVER_EXCEPTION. */
export function exceptionError(exceptions: ServerExceptionInfo[]): NativeError {
  const [outer, ...nested] = exceptions;
  const code: NativeErrorCode = AUTH_CODES.has(outer!.code) ? "AUTH_FAILED" : "SERVER_EXCEPTION";
  const name = outer!.name ? ` ${outer!.name}` : "";
  const message = `${outer!.message.replace(/\s+$/, "")} (ClickHouse code ${outer!.code}${name})`;
  return new NativeError(code, message, { exception: outer!, nested });
}

export function protocolError(message: string): NativeError {
  return new NativeError("PROTOCOL_ERROR", message);
}
