/**
 * The one place where error codes become HTTP statuses and MCP error results. Client-visible text
 * is built from fixed strings and from the packages' messages, which never carry a token, a
 * password or a secret; messages are still bounded, and stacks never leave the server.
 */
import type { DatabaseErrorCode } from "@mcp/clickhouse";
import { isDatabaseError } from "@mcp/clickhouse";
import { isTokenError, type TokenErrorCode } from "@mcp/jwe";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ToolOutcome } from "./metrics.js";

export interface HttpError {
  status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 429 | 500 | 503;
  body: { error: string; error_description: string };
  headers?: Record<string, string>;
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

export interface TokenRejection {
  code: TokenErrorCode;
  /** For TOKEN_CLAIMS_INVALID: which claim, and what is wrong with it (fixed text). */
  claim?: string;
  detail?: string;
}

/** The token-rejection reason for any error thrown while verifying a token. */
export function tokenRejection(error: unknown): TokenRejection {
  if (isTokenError(error))
    return error.claim === undefined ? { code: error.code } : { code: error.code, claim: error.claim };
  // A verifier bug must not let a request through, nor leak what happened.
  return { code: "TOKEN_MALFORMED" };
}

/** 401 with the RFC 6750 body and header, for every way a token can be refused. */
export function tokenErrorResponse(rejection: TokenRejection): HttpError {
  let description = TOKEN_DESCRIPTIONS[rejection.code];
  if (rejection.code === "TOKEN_CLAIMS_INVALID" && rejection.claim && PRINTABLE_CLAIM.test(rejection.claim)) {
    description += `: ${rejection.claim}${rejection.detail ? ` ${rejection.detail}` : ""}`;
  }
  return {
    status: 401,
    body: { error: "invalid_token", error_description: description },
    headers: { "WWW-Authenticate": WWW_AUTHENTICATE_INVALID_TOKEN },
  };
}

export function httpError(
  status: HttpError["status"],
  error: string,
  description: string,
  headers?: Record<string, string>,
): HttpError {
  return headers
    ? { status, body: { error, error_description: description }, headers }
    : { status, body: { error, error_description: description } };
}

export function jsonResponse(error: HttpError): Response {
  return new Response(JSON.stringify(error.body), {
    status: error.status,
    headers: { "Content-Type": "application/json", ...error.headers },
  });
}

/** The 429 for a token that already has its most requests running. */
export function tooManyCalls(maxPerToken: number): HttpError {
  return httpError(
    429,
    "too_many_requests",
    `this token already has ${maxPerToken} requests running, the most allowed at once; retry when one finishes`,
    { "Retry-After": "1" },
  );
}

const MAX_MESSAGE_CHARS = 1000;

export function boundMessage(message: string, max = MAX_MESSAGE_CHARS): string {
  const clean = message.replace(/\s+/g, " ").trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

const OUTCOME_BY_CODE: Partial<Record<DatabaseErrorCode, ToolOutcome>> = {
  QUERY_CANCELLED: "cancelled",
};

/** Hints appended to errors the model can fix by changing its call. */
const HINTS: Partial<Record<DatabaseErrorCode, string>> = {
  READ_ONLY_VIOLATION:
    "This connection is read-only: send one SELECT, SHOW, DESCRIBE, EXISTS or EXPLAIN statement, without table functions that reach files or the network and without SETTINGS that change limits.",
  QUERY_TIMEOUT: "The query hit the execution time limit: add filters or a LIMIT.",
  QUERY_TOO_LARGE: "The SQL text is longer than the server allows.",
  SETTING_NOT_ALLOWED: "Remove the setting from the call.",
};

export interface ToolError {
  result: CallToolResult;
  outcome: ToolOutcome;
  /** Safe fields for the tool-call log line. */
  log: { code: string; clickhouseCode?: number; clickhouseType?: string };
}

/**
 * An `isError` tool result for anything a tool handler throws. Database errors keep their code,
 * ClickHouse code/type and bounded message; anything else becomes a generic internal error, since
 * its message was not written to be shown.
 */
export function toolErrorResult(error: unknown, signal?: AbortSignal): ToolError {
  if (isDatabaseError(error)) {
    const parts = [`Error ${error.code}`];
    if (error.clickhouseCode !== undefined || error.clickhouseType !== undefined) {
      parts.push(
        `(ClickHouse ${[error.clickhouseCode, error.clickhouseType].filter((p) => p !== undefined).join(" ")})`,
      );
    }
    let text = `${parts.join(" ")}: ${boundMessage(error.message)}`;
    const hint = HINTS[error.code];
    if (hint) text += ` ${hint}`;
    const log: ToolError["log"] = { code: error.code };
    if (error.clickhouseCode !== undefined) log.clickhouseCode = error.clickhouseCode;
    if (error.clickhouseType !== undefined) log.clickhouseType = error.clickhouseType;
    return {
      result: { isError: true, content: [{ type: "text", text }] },
      outcome: signal?.aborted ? "cancelled" : (OUTCOME_BY_CODE[error.code] ?? "error"),
      log,
    };
  }
  if (signal?.aborted) {
    return {
      result: {
        isError: true,
        content: [{ type: "text", text: "Error QUERY_CANCELLED: the request was cancelled" }],
      },
      outcome: "cancelled",
      log: { code: "QUERY_CANCELLED" },
    };
  }
  return {
    result: {
      isError: true,
      content: [{ type: "text", text: "Error INTERNAL: the server failed to run this tool" }],
    },
    outcome: "error",
    log: { code: "INTERNAL" },
  };
}
