export type DatabaseErrorCode =
  | "CONNECT_FAILED"
  | "AUTH_FAILED"
  | "TLS_FAILED"
  | "HOST_NOT_ALLOWED"
  | "TLS_FILE_NOT_ALLOWED"
  | "TLS_FILE_UNREADABLE"
  | "UNSUPPORTED_PROTOCOL"
  | "INVALID_CONNECTION"
  | "INVALID_ARGUMENT"
  | "INVALID_QUERY"
  | "QUERY_FAILED"
  | "QUERY_TIMEOUT"
  | "QUERY_CANCELLED"
  | "READ_ONLY_VIOLATION"
  | "QUERY_TOO_LARGE"
  | "SETTING_NOT_ALLOWED"
  | "READ_BUDGET_EXCEEDED"
  | "POOL_CLOSED";

export const DATABASE_ERROR_CODES: readonly DatabaseErrorCode[] = Object.freeze([
  "CONNECT_FAILED",
  "AUTH_FAILED",
  "TLS_FAILED",
  "HOST_NOT_ALLOWED",
  "TLS_FILE_NOT_ALLOWED",
  "TLS_FILE_UNREADABLE",
  "UNSUPPORTED_PROTOCOL",
  "INVALID_CONNECTION",
  "INVALID_ARGUMENT",
  "INVALID_QUERY",
  "QUERY_FAILED",
  "QUERY_TIMEOUT",
  "QUERY_CANCELLED",
  "READ_ONLY_VIOLATION",
  "QUERY_TOO_LARGE",
  "SETTING_NOT_ALLOWED",
  "READ_BUDGET_EXCEEDED",
  "POOL_CLOSED",
]);

export interface DatabaseErrorDetails {
  /** ClickHouse's numeric error code, e.g. 60. */
  clickhouseCode?: number;
  /** ClickHouse's error name, e.g. `UNKNOWN_TABLE`. */
  clickhouseType?: string;
  /** Node.js/OpenSSL error code of a network or TLS failure, e.g. `ECONNREFUSED`. */
  systemCode?: string;
}

/**
 * The one error type of @mcp/clickhouse. Messages are safe to show to a client: they never
 * contain a password, a token or a URL with credentials. The original error is deliberately not
 * kept as `cause`, because third-party errors may carry request details; its useful parts are
 * copied into `clickhouseCode`, `clickhouseType` and `systemCode`.
 */
export class DatabaseError extends Error {
  override readonly name = "DatabaseError";
  readonly code: DatabaseErrorCode;
  readonly clickhouseCode?: number;
  readonly clickhouseType?: string;
  readonly systemCode?: string;

  constructor(code: DatabaseErrorCode, message: string, details: DatabaseErrorDetails = {}) {
    super(message);
    this.code = code;
    if (details.clickhouseCode !== undefined) this.clickhouseCode = details.clickhouseCode;
    if (details.clickhouseType !== undefined) this.clickhouseType = details.clickhouseType;
    if (details.systemCode !== undefined) this.systemCode = details.systemCode;
  }
}

export function isDatabaseError(error: unknown): error is DatabaseError {
  return error instanceof DatabaseError;
}
