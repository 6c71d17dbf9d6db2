/**
 * The package's defaults, in a module with no imports: also published as `@mcp/jwe/defaults`, so
 * a CLI can show them in its help without loading the crypto and schema libraries.
 */

export const DEFAULT_MAX_TOKEN_BYTES = 16_384;
export const DEFAULT_CLOCK_TOLERANCE = 30;
export const DEFAULT_EXPIRES_IN = 3600;
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;
/** 30 days: a token whose `exp` lies further ahead is refused (verify) or not minted (mint). */
export const DEFAULT_MAX_TOKEN_LIFETIME = 30 * 24 * 3600;
/**
 * Secrets shorter than this many characters deserve a warning from whoever configures them. They
 * still work: the keys are the SHA-256 of the secret, whatever its length, as in the reference.
 */
export const MIN_SECRET_LENGTH = 32;
