export type TokenErrorCode =
  | "TOKEN_MISSING"
  | "TOKEN_MALFORMED"
  | "TOKEN_TOO_LARGE"
  | "TOKEN_UNSUPPORTED_ALGORITHM"
  | "TOKEN_DECRYPTION_FAILED"
  | "TOKEN_SIGNATURE_INVALID"
  | "TOKEN_SIGNATURE_REQUIRED"
  | "TOKEN_SIGNATURE_UNEXPECTED"
  | "TOKEN_EXPIRED"
  | "TOKEN_NOT_YET_VALID"
  | "TOKEN_LIFETIME_EXCEEDED"
  | "TOKEN_CLAIMS_INVALID";

export const TOKEN_ERROR_CODES: readonly TokenErrorCode[] = Object.freeze([
  "TOKEN_MISSING",
  "TOKEN_MALFORMED",
  "TOKEN_TOO_LARGE",
  "TOKEN_UNSUPPORTED_ALGORITHM",
  "TOKEN_DECRYPTION_FAILED",
  "TOKEN_SIGNATURE_INVALID",
  "TOKEN_SIGNATURE_REQUIRED",
  "TOKEN_SIGNATURE_UNEXPECTED",
  "TOKEN_EXPIRED",
  "TOKEN_NOT_YET_VALID",
  "TOKEN_LIFETIME_EXCEEDED",
  "TOKEN_CLAIMS_INVALID",
]);

export interface TokenErrorOptions {
  /** The offending claim's name, for TOKEN_CLAIMS_INVALID. */
  claim?: string;
  cause?: unknown;
}

/**
 * The one error type of @mcp/jwe. The message is written to be safe to show to a client:
 * it never contains the token, a secret, a password or any claim value.
 */
export class TokenError extends Error {
  override readonly name = "TokenError";
  readonly code: TokenErrorCode;
  readonly claim?: string;

  constructor(code: TokenErrorCode, message: string, options: TokenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.claim !== undefined) this.claim = options.claim;
  }
}

export function isTokenError(error: unknown): error is TokenError {
  return error instanceof TokenError;
}
