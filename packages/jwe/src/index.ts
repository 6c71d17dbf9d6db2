export {
  CLAIM_NAMES,
  type ClaimName,
  CONNECTION_CLAIM_NAMES,
  type ConnectionClaimName,
  type ConnectionClaims,
  LIMIT_CLAIM_NAMES,
  type MintableClaims,
  type ParseClaimsOptions,
  parseClaims,
  REGISTERED_CLAIM_NAMES,
  type TokenClaims,
} from "./claims.js";
export {
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_EXPIRES_IN,
  DEFAULT_MAX_TOKEN_BYTES,
  DEFAULT_MAX_TOKEN_LIFETIME,
  MIN_SECRET_LENGTH,
} from "./defaults.js";
export {
  isTokenError,
  TOKEN_ERROR_CODES,
  TokenError,
  type TokenErrorCode,
  type TokenErrorOptions,
} from "./errors.js";
export { type MintOptions, mintToken } from "./mint.js";
export type { VerifyOptions } from "./options.js";
export { looksLikeCompactJwe } from "./shape.js";
export {
  createTokenVerifier,
  type TokenCacheStats,
  type TokenVerifier,
  type TokenVerifierOptions,
} from "./verifier.js";
export {
  inspectToken,
  type TokenInspection,
  type TokenTimeStatus,
  type VerifiedToken,
  verifyToken,
} from "./verify.js";
