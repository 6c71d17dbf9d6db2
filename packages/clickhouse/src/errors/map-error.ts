import {
  isNativeError,
  isNetworkErrorCode,
  isTlsErrorCode,
  type NativeErrorCode,
} from "@mcp/clickhouse-native";
import { DatabaseError, type DatabaseErrorCode } from "./database-error.js";

export interface ErrorContext {
  host: string;
  port: number;
  username: string;
  password: string;
  tls: boolean;
}

/** ClickHouse error codes with a meaning of their own; everything else is QUERY_FAILED. */
const CLICKHOUSE_CODES: Record<number, DatabaseErrorCode> = {
  159: "QUERY_TIMEOUT", // TIMEOUT_EXCEEDED
  164: "READ_ONLY_VIOLATION", // READONLY
  192: "AUTH_FAILED", // UNKNOWN_USER
  193: "AUTH_FAILED", // WRONG_PASSWORD
  194: "AUTH_FAILED", // REQUIRED_PASSWORD
  394: "QUERY_CANCELLED", // QUERY_WAS_CANCELLED
  516: "AUTH_FAILED", // AUTHENTICATION_FAILED
};

const MAX_MESSAGE = 2000;

/**
 * Removes what must never reach a client or a log: the password (when long enough that
 * replacing it cannot mangle ordinary words), credentials inside URLs, and HTTP credentials
 * (`Basic <base64 of user:password>` and the like) that a proxy or a misconfigured host may echo
 * back from the request.
 */
export function scrub(message: string, password: string, username?: string): string {
  // Only the head survives the final cut, so only the head is scrubbed: the regexes are linear
  // then, even on a hostile host's endless error text. The margin keeps any secret that straddles
  // this first cut beyond the final one.
  const margin = 2 * MAX_MESSAGE + 4 * (password.length + (username?.length ?? 0)) + 64;
  let out = message.length > margin ? message.slice(0, margin) : message;
  out = out.replace(/([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/@]*@/gi, "$1***@");
  out = out.replace(/\b(Basic|Bearer|Digest|Negotiate)(\s+)[A-Za-z0-9+/=._~-]+/gi, "$1$2***");
  if (password.length >= 4) {
    out = out.split(password).join("***");
    if (username !== undefined) {
      out = out.split(Buffer.from(`${username}:${password}`).toString("base64")).join("***");
    }
  }
  if (out.length > MAX_MESSAGE) out = `${out.slice(0, MAX_MESSAGE)}…`;
  return out;
}

interface ClickHouseLike {
  code: number;
  type: string | undefined;
  message: string;
}

/**
 * Finds a ClickHouse exception in raw text: an error answer's body, or the block written into a
 * result stream (`Code: 62. DB::Exception: Syntax error: … (SYNTAX_ERROR) (version 26.7.2.1)`).
 * Keeps the whole message: its tail ("Expected one of: …") is what lets a model fix its SQL.
 */
export function parseClickHouseException(text: string): ClickHouseLike | undefined {
  const start = text.search(/Code: \d+\. /);
  if (start === -1) return undefined;
  let body = text.slice(start);
  // Since 25.11 the block ends with "\n<length> <tag>\r\n__exception__".
  const end = body.search(/\n\d+ \S+\r?\n__exception__/);
  if (end !== -1) body = body.slice(0, end);
  body = body.trim();
  const code = Number(/^Code: (\d+)/.exec(body)![1]);
  const version = body.search(/\s*\(version [^)]*\)\.?$/);
  const head = version === -1 ? body : body.slice(0, version);
  const type = /\s*\(([A-Z][A-Z0-9_]{2,})\)\.?$/.exec(head);
  const message = (type ? head.slice(0, type.index) : head)
    .replace(/^Code: \d+\.\s*(DB::Exception: )?/, "")
    .replace(/\.\s*$/, "");
  return { code, type: type?.[1], message };
}

function asClickHouseError(error: unknown): ClickHouseLike | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, type } = error as { code?: unknown; type?: unknown };
  // @clickhouse/client's ClickHouseError carries the code as a numeric string.
  if ((typeof code === "string" && /^\d+$/.test(code)) || typeof code === "number") {
    return { code: Number(code), type: typeof type === "string" ? type : undefined, message: error.message };
  }
  return undefined;
}

export function clickHouseError(ch: ClickHouseLike, context: ErrorContext): DatabaseError {
  const code = CLICKHOUSE_CODES[ch.code] ?? "QUERY_FAILED";
  const details = { clickhouseCode: ch.code, ...(ch.type !== undefined && { clickhouseType: ch.type }) };
  const suffix = ` (ClickHouse code ${ch.code}${ch.type ? ` ${ch.type}` : ""})`;
  if (code === "AUTH_FAILED") {
    return new DatabaseError(
      code,
      `ClickHouse at ${context.host}:${context.port} rejected the credentials of user "${context.username}"${suffix}`,
      details,
    );
  }
  return new DatabaseError(
    code,
    `${scrub(ch.message.replace(/\.?\s*$/, ""), context.password, context.username)}${suffix}`,
    details,
  );
}

/** Maps anything thrown by @clickhouse/client or Node's HTTP stack to a DatabaseError. */
export function toDatabaseError(
  error: unknown,
  context: ErrorContext,
  phase: "request" | "stream" = "request",
): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const ch =
    asClickHouseError(error) ??
    (error instanceof Error ? parseClickHouseException(error.message) : undefined);
  if (ch) return clickHouseError(ch, context);

  const systemCode =
    typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : undefined;
  const raw = error instanceof Error ? error.message : String(error);
  const detail = scrub(raw, context.password, context.username);
  const where = `${context.host}:${context.port}`;
  if (isTlsErrorCode(systemCode)) {
    return new DatabaseError("TLS_FAILED", `TLS connection to ${where} failed: ${detail}`, { systemCode });
  }
  if (systemCode && isNetworkErrorCode(systemCode)) {
    if (phase === "stream") {
      return new DatabaseError(
        "CONNECT_FAILED",
        `Connection to ${where} lost while reading the result: ${detail}`,
        {
          systemCode,
        },
      );
    }
    if (context.tls && systemCode === "ECONNRESET") {
      // A TLS server that refuses the client certificate (TLS 1.3) often just closes the connection.
      return new DatabaseError(
        "TLS_FAILED",
        `The TLS connection to ${where} was closed before ClickHouse answered (is the client certificate accepted?): ${detail}`,
        { systemCode },
      );
    }
    return new DatabaseError("CONNECT_FAILED", `Could not connect to ClickHouse at ${where}: ${detail}`, {
      systemCode,
    });
  }
  if (raw === "Timeout error.") {
    return new DatabaseError(
      "QUERY_TIMEOUT",
      `No response from ClickHouse at ${where} within the request timeout`,
    );
  }
  return new DatabaseError(
    "CONNECT_FAILED",
    `Unexpected response from ${where} (is it a ClickHouse HTTP port?): ${detail}`,
    systemCode ? { systemCode } : {},
  );
}

/** What each native-driver failure means to a caller of this package (server exceptions aside). */
const NATIVE_CODES: Record<
  Exclude<NativeErrorCode, "SERVER_EXCEPTION" | "AUTH_FAILED">,
  DatabaseErrorCode
> = {
  CONNECT_FAILED: "CONNECT_FAILED",
  TLS_FAILED: "TLS_FAILED",
  // A server older than the revisions the driver needs: the protocol cannot be used with it.
  UNSUPPORTED_SERVER: "UNSUPPORTED_PROTOCOL",
  QUERY_CANCELLED: "QUERY_CANCELLED",
  TIMEOUT: "QUERY_TIMEOUT",
  // Malformed data or an unexpected packet: most likely not a ClickHouse native port.
  PROTOCOL_ERROR: "CONNECT_FAILED",
  CONNECTION_CLOSED: "CONNECT_FAILED",
  UNSUPPORTED_TYPE: "QUERY_FAILED",
  CONNECTION_BUSY: "QUERY_FAILED",
  POOL_CLOSED: "POOL_CLOSED",
};

/** Maps anything thrown by @mcp/clickhouse-native (or Node's net/tls) to a DatabaseError. */
export function fromNativeError(error: unknown, context: ErrorContext): DatabaseError {
  if (error instanceof DatabaseError) return error;
  if (!isNativeError(error)) return toDatabaseError(error, context);
  if (error.exception) {
    // The same text HTTP gives, without "Code: N. DB::Exception:" or the "(NAME)" suffix.
    return clickHouseError(
      { code: error.exception.code, type: error.clickhouseName, message: error.exception.message },
      context,
    );
  }
  const details = error.systemCode === undefined ? {} : { systemCode: error.systemCode };
  const detail = scrub(error.message, context.password, context.username);
  switch (error.code) {
    case "PROTOCOL_ERROR":
      return new DatabaseError(
        "CONNECT_FAILED",
        `Unexpected data from ${context.host}:${context.port} (is it a ClickHouse native port?): ${detail}`,
        details,
      );
    case "SERVER_EXCEPTION":
      return new DatabaseError("QUERY_FAILED", detail, details);
    case "AUTH_FAILED":
      return new DatabaseError("AUTH_FAILED", detail, details);
    default:
      // The driver's messages already name the host and port.
      return new DatabaseError(NATIVE_CODES[error.code], detail, details);
  }
}
