import { isTokenError, type TokenErrorCode } from "@mcp/jwe";

/** Why a request's token was refused: what the 401, the log line and the metric say. */
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
