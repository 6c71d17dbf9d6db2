/**
 * The one place where refusals become HTTP statuses and bodies (`{error, error_description}`):
 * routes and middlewares name what went wrong, this module decides the status. Client-visible
 * text is built from fixed strings and from the packages' messages, which never carry a token, a
 * password or a secret. (Errors inside MCP calls become tool results in mcp/tool-errors.ts.)
 */
import { isDatabaseError } from "@mcp/clickhouse";
import type { TokenErrorCode } from "@mcp/jwe";
import type { TokenRejection } from "../auth/token-rejection.js";

/** Every kind of refusal, and its status. The kind is the body's `error`, unless renamed below. */
const STATUS = {
  invalid_request: 400,
  invalid_token: 401,
  unauthorized: 401,
  forbidden: 403,
  host_not_allowed: 403,
  tls_file_not_allowed: 403,
  not_found: 404,
  session_not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  query_failed: 422,
  too_many_requests: 429,
  too_many_sessions_per_token: 429,
  internal_error: 500,
  clickhouse_unavailable: 502,
  shutting_down: 503,
  cancelled: 503,
  too_many_sessions: 503,
  query_timeout: 504,
} as const;

export type HttpErrorKind = keyof typeof STATUS;

/** Kinds that share a body `error` with another kind but not its status. */
const ERROR_NAME: Partial<Record<HttpErrorKind, string>> = {
  too_many_sessions_per_token: "too_many_sessions",
};

export interface HttpError {
  status: (typeof STATUS)[HttpErrorKind];
  body: { error: string; error_description: string };
  headers?: Record<string, string>;
}

export function httpError(
  kind: HttpErrorKind,
  description: string,
  headers?: Record<string, string>,
): HttpError {
  const body = { error: ERROR_NAME[kind] ?? kind, error_description: description };
  return headers ? { status: STATUS[kind], body, headers } : { status: STATUS[kind], body };
}

export function jsonResponse(error: HttpError): Response {
  return new Response(JSON.stringify(error.body), {
    status: error.status,
    headers: { "Content-Type": "application/json", ...error.headers },
  });
}

export const WWW_AUTHENTICATE_INVALID_TOKEN = 'Bearer error="invalid_token"';

const TOKEN_DESCRIPTIONS: Record<TokenErrorCode, string> = {
  TOKEN_MISSING: "token missing: put it in the path, an Authorization: Bearer header or X-Altinity-MCP-Key",
  TOKEN_MALFORMED: "token malformed",
  TOKEN_TOO_LARGE: "token too large",
  TOKEN_UNSUPPORTED_ALGORITHM: "token uses an unsupported algorithm",
  TOKEN_DECRYPTION_FAILED: "token could not be decrypted",
  TOKEN_SIGNATURE_INVALID: "token signature invalid",
  TOKEN_SIGNATURE_REQUIRED: "token must be signed",
  TOKEN_SIGNATURE_UNEXPECTED: "token is signed but the server has no JWT secret",
  TOKEN_EXPIRED: "token expired",
  TOKEN_NOT_YET_VALID: "token not yet valid",
  TOKEN_LIFETIME_EXCEEDED: "token expires later than the server's maximum token lifetime allows",
  TOKEN_CLAIMS_INVALID: "token claims invalid",
};

/** A claim name is printed only when it is one the server knows (the package validated it). */
const PRINTABLE_CLAIM = /^[a-z_]{1,32}$/;

/** 401 with the RFC 6750 body and header, for every way a token can be refused. */
export function tokenErrorResponse(rejection: TokenRejection): HttpError {
  let description = TOKEN_DESCRIPTIONS[rejection.code];
  if (rejection.code === "TOKEN_CLAIMS_INVALID" && rejection.claim && PRINTABLE_CLAIM.test(rejection.claim)) {
    description += `: ${rejection.claim}${rejection.detail ? ` ${rejection.detail}` : ""}`;
  }
  return httpError("invalid_token", description, { "WWW-Authenticate": WWW_AUTHENTICATE_INVALID_TOKEN });
}

/** The 503 for MCP work arriving after shutdown began. */
export function shuttingDown(): HttpError {
  return httpError("shutting_down", "the server is shutting down", { "Retry-After": "5" });
}

/** The 429 for a token that already has its most requests running. */
export function tooManyCalls(maxPerToken: number): HttpError {
  return httpError(
    "too_many_requests",
    `this token already has ${maxPerToken} requests running, the most allowed at once; retry when one finishes`,
    { "Retry-After": "1" },
  );
}

/** A token has as many long-lived streams (SSE sessions, subscription streams) open as it may. */
export function tooManyStreamsPerToken(maxPerToken: number, what: string): HttpError {
  return httpError(
    "too_many_sessions_per_token",
    `this token already has ${maxPerToken} open ${what}, the most allowed`,
    { "Retry-After": "30" },
  );
}

export function notFound(): HttpError {
  return httpError("not_found", "no such endpoint");
}

export function methodNotAllowed(allow: string, description = `use ${allow}`): HttpError {
  return httpError("method_not_allowed", description, { Allow: allow });
}

export function unsupportedMediaType(): HttpError {
  return httpError("unsupported_media_type", "Content-Type must be application/json");
}

export function badRequest(description: string): HttpError {
  return httpError("invalid_request", description);
}

/** How a refusal of the pool's connection policy is answered: which field, never the rules. */
export function connectionPolicyRefusal(error: unknown): HttpError | undefined {
  if (!isDatabaseError(error)) return undefined;
  switch (error.code) {
    case "HOST_NOT_ALLOWED":
      return httpError(
        "host_not_allowed",
        "the host and port are not in the server's list of allowed ClickHouse hosts",
      );
    case "TLS_FILE_NOT_ALLOWED":
      return httpError(
        "tls_file_not_allowed",
        "a TLS file is outside the directories the server allows for TLS files",
      );
    default:
      return badRequest(error.message);
  }
}

/**
 * How a failed tool call is answered on a surface that speaks HTTP statuses (OpenAPI), by the
 * code mcp/tool-errors.ts gave it: the caller's mistakes are 4xx, ClickHouse out of reach 502.
 * The description is the tool error's own text (bounded, scrubbed), the same an MCP client gets.
 * Keyed by string, not by the code union, so a code added in @mcp/clickhouse does not break the
 * build here; a test checks every code has its entry.
 */
const TOOL_FAILURE_KIND: Readonly<Record<string, HttpErrorKind>> = {
  INVALID_ARGUMENT: "invalid_request",
  INVALID_QUERY: "invalid_request",
  QUERY_TOO_LARGE: "invalid_request",
  SETTING_NOT_ALLOWED: "invalid_request",
  INVALID_CONNECTION: "invalid_request",
  UNSUPPORTED_PROTOCOL: "invalid_request",
  TLS_FILE_UNREADABLE: "invalid_request",
  READ_ONLY_VIOLATION: "forbidden",
  HOST_NOT_ALLOWED: "host_not_allowed",
  TLS_FILE_NOT_ALLOWED: "tls_file_not_allowed",
  QUERY_FAILED: "query_failed",
  READ_BUDGET_EXCEEDED: "query_failed",
  CONNECT_FAILED: "clickhouse_unavailable",
  AUTH_FAILED: "clickhouse_unavailable",
  TLS_FAILED: "clickhouse_unavailable",
  QUERY_TIMEOUT: "query_timeout",
  QUERY_CANCELLED: "cancelled",
  POOL_CLOSED: "shutting_down",
  INTERNAL: "internal_error",
};

export function toolFailure(code: string, text: string): HttpError {
  const kind = TOOL_FAILURE_KIND[code] ?? "internal_error";
  return httpError(kind, text);
}
