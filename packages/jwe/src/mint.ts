import { CompactEncrypt, CompactSign } from "jose";
import { type MintableClaims, parseClaims, type TokenClaims } from "./claims.js";
import { DEFAULT_EXPIRES_IN, DEFAULT_MAX_TOKEN_BYTES, DEFAULT_MAX_TOKEN_LIFETIME } from "./defaults.js";
import { TokenError } from "./errors.js";
import { assertSecret, sharedHmacKey, sharedWrapKey } from "./keys.js";
import { assertLifetime, epochMillis } from "./options.js";

export interface MintOptions {
  /** Encrypts the token (A256KW key = SHA-256 of this string). */
  jweSecret: string;
  /** Signs the inner JWT (HS256 key = SHA-256 of this string). Without it the token is unsigned (cty "JSON"). */
  jwtSecret?: string;
  /** Lifetime in seconds, used when the claims carry no `exp`. Default 3600. */
  expiresIn?: number;
  /** The clock for `exp`. Default now. */
  currentDate?: Date;
  /** Refuse to mint a token no default verifier would accept. Default 16384. */
  maxTokenBytes?: number;
  /**
   * Refuse (TOKEN_LIFETIME_EXCEEDED) to mint a token whose `exp` lies further ahead than this many
   * seconds: verifiers refuse such tokens. Default 30 days, as the verifier's default.
   */
  maxTokenLifetime?: number;
}

const encoder = new TextEncoder();

/**
 * Mints a token in the reference format: a JWE (A256KW, A256GCM, cty "JWT", typ "JWE") around
 * an HS256 JWT, or around the bare claims (cty "JSON") when no JWT secret is given.
 * An absolute `claims.exp` wins over `expiresIn`.
 */
export async function mintToken(claims: MintableClaims, options: MintOptions): Promise<string> {
  if (typeof options !== "object" || options === null) throw new TypeError("mint options must be an object");
  const {
    jweSecret,
    jwtSecret,
    expiresIn = DEFAULT_EXPIRES_IN,
    maxTokenBytes = DEFAULT_MAX_TOKEN_BYTES,
    maxTokenLifetime = DEFAULT_MAX_TOKEN_LIFETIME,
  } = options;
  assertSecret(jweSecret, "jweSecret");
  if (jwtSecret !== undefined) assertSecret(jwtSecret, "jwtSecret");
  assertLifetime(expiresIn, "expiresIn");
  assertLifetime(maxTokenLifetime, "maxTokenLifetime");
  if (!(Number.isSafeInteger(maxTokenBytes) && maxTokenBytes > 0)) {
    throw new TypeError("maxTokenBytes must be a positive integer");
  }
  const nowMillis = epochMillis(options.currentDate ?? new Date(), "currentDate");

  const parsed = parseClaims(claims);
  const now = Math.floor(nowMillis / 1000);
  const payload: TokenClaims = { ...parsed, exp: parsed.exp ?? now + expiresIn };
  if (payload.exp - now > maxTokenLifetime) {
    throw new TokenError(
      "TOKEN_LIFETIME_EXCEEDED",
      `the token would expire more than ${maxTokenLifetime} seconds from now, the longest lifetime allowed`,
      { claim: "exp" },
    );
  }
  const json = encoder.encode(JSON.stringify(payload));

  let plaintext: Uint8Array;
  let cty: "JWT" | "JSON";
  if (jwtSecret === undefined) {
    plaintext = json;
    cty = "JSON";
  } else {
    const jws = await new CompactSign(json)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(await sharedHmacKey(jwtSecret));
    plaintext = encoder.encode(jws);
    cty = "JWT";
  }
  const token = await new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: "A256KW", enc: "A256GCM", cty, typ: "JWE" })
    .encrypt(await sharedWrapKey(jweSecret));
  if (token.length > maxTokenBytes) {
    throw new TokenError("TOKEN_TOO_LARGE", `minted token would be larger than ${maxTokenBytes} bytes`);
  }
  return token;
}
