import { DatabaseError, type DatabaseErrorCode } from "./errors.js";

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

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_SOCKET",
]);

const TLS_CODES = new Set([
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
  "HOSTNAME_MISMATCH",
]);

function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || /^ERR_(SSL|TLS|OSSL)_/.test(code);
}

const MAX_MESSAGE = 2000;

/**
 * Removes what must never reach a client or a log: the password (when long enough that
 * replacing it cannot mangle ordinary words) and credentials inside URLs.
 */
export function scrub(message: string, password: string): string {
  let out = message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, "$1***@");
  if (password.length >= 4) out = out.split(password).join("***");
  if (out.length > MAX_MESSAGE) out = `${out.slice(0, MAX_MESSAGE)}…`;
  return out;
}

interface ClickHouseLike {
  code: number;
  type: string | undefined;
  message: string;
}

const CLICKHOUSE_EXCEPTION = /Code: (\d+)\.\s.*?Exception: (.*?)\(([A-Z][A-Z0-9_]{2,})\)/s;

/** Finds a ClickHouse exception (`Code: 60. DB::Exception: … (UNKNOWN_TABLE)`) in raw text. */
export function parseClickHouseException(text: string): ClickHouseLike | undefined {
  const match = CLICKHOUSE_EXCEPTION.exec(text);
  if (!match) return undefined;
  return { code: Number(match[1]), message: match[2]!.trim(), type: match[3] };
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
  return new DatabaseError(code, `${scrub(ch.message.replace(/\.?\s*$/, ""), context.password)}${suffix}`, details);
}

/** Maps anything thrown by @clickhouse/client or Node's HTTP stack to a DatabaseError. */
export function toDatabaseError(error: unknown, context: ErrorContext): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const ch = asClickHouseError(error) ?? (error instanceof Error ? parseClickHouseException(error.message) : undefined);
  if (ch) return clickHouseError(ch, context);

  const systemCode = typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : undefined;
  const raw = error instanceof Error ? error.message : String(error);
  const detail = scrub(raw, context.password);
  const where = `${context.host}:${context.port}`;
  if (systemCode && isTlsCode(systemCode)) {
    return new DatabaseError("TLS_FAILED", `TLS connection to ${where} failed: ${detail}`, { systemCode });
  }
  if (systemCode && NETWORK_CODES.has(systemCode)) {
    // A TLS server that rejects the handshake (e.g. no client certificate) often just resets.
    const code = context.tls && systemCode === "ECONNRESET" ? "TLS_FAILED" : "CONNECT_FAILED";
    return new DatabaseError(code, `Could not connect to ClickHouse at ${where}: ${detail}`, { systemCode });
  }
  if (raw === "Timeout error.") {
    return new DatabaseError("QUERY_TIMEOUT", `No response from ClickHouse at ${where} within the request timeout`);
  }
  return new DatabaseError(
    "CONNECT_FAILED",
    `Unexpected response from ${where} (is it a ClickHouse HTTP port?): ${detail}`,
    systemCode ? { systemCode } : {},
  );
}
