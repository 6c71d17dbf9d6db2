import { compactDecrypt, compactVerify, errors } from "jose";
import { parseClaims, type TokenClaims } from "./claims.js";
import { TokenError } from "./errors.js";
import { type CryptoKey, sharedHmacKey, sharedWrapKey } from "./keys.js";
import { epochMillis, resolveVerifyOptions, type VerifyOptions } from "./options.js";

export interface VerifiedToken {
  claims: TokenClaims;
  /** True when the inner HS256 JWT signature was present and verified. */
  signed: boolean;
  expiresAt: Date;
}

export type TokenTimeStatus = "valid" | "expired" | "not_yet_valid" | "lifetime_exceeded";

/** The time rules a token is judged by (see VerifyOptions). */
export interface TimePolicy {
  clockTolerance: number;
  maxTokenLifetime: number;
}

export interface TokenInspection extends VerifiedToken {
  /** Where the token stands against the clock; inspectToken reports it instead of throwing. */
  status: TokenTimeStatus;
  /** The later of `nbf` and `iat`, when either is present. */
  notBefore?: Date;
}

export interface VerifyKeys {
  /** Current key first, then previous ones. */
  wrapKeys: readonly Promise<CryptoKey>[];
  hmacKey: Promise<CryptoKey> | undefined;
}

export interface OpenedToken {
  claims: TokenClaims;
  signed: boolean;
}

const JWE_ALG = "A256KW";
const JWE_ENC = "A256GCM";
const JWS_ALG = "HS256";
const WRAPPED_KEY_BYTES = 40;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

function malformed(message: string, cause?: unknown): TokenError {
  return new TokenError("TOKEN_MALFORMED", message, { cause });
}

function unsupported(message: string): TokenError {
  return new TokenError("TOKEN_UNSUPPORTED_ALGORITHM", message);
}

/** Rejects a missing or oversized token; this runs before anything looks inside the token. */
export function assertTokenSize(token: unknown, maxTokenBytes: number): asserts token is string {
  if (typeof token !== "string" || token.length === 0) {
    throw new TokenError("TOKEN_MISSING", "no token was given");
  }
  // Only base64url characters and dots are valid later, so characters and bytes coincide here.
  if (token.length > maxTokenBytes) {
    throw new TokenError("TOKEN_TOO_LARGE", `token is larger than ${maxTokenBytes} bytes`);
  }
}

// Canonical only: a non-canonical encoding would let many strings stand for one token.
function decodePart(part: string): Uint8Array | undefined {
  if (!BASE64URL.test(part) || part.length % 4 === 1) return undefined;
  const bytes = Buffer.from(part, "base64url");
  return bytes.toString("base64url") === part ? bytes : undefined;
}

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function decodeHeader(part: string): Record<string, unknown> | undefined {
  const bytes = decodePart(part);
  return bytes === undefined ? undefined : parseJsonObject(bytes);
}

/** Structural and algorithm checks on the outer JWE, before any key is used. */
function checkJweShape(token: string): void {
  const parts = token.split(".");
  if (parts.length === 3) {
    const header = decodeHeader(parts[0] ?? "");
    if (header !== undefined && typeof header.alg === "string") {
      throw unsupported("token is a JWS, not a JWE; only A256KW/A256GCM encrypted tokens are accepted");
    }
    throw malformed("token is not a JWE compact serialization");
  }
  if (parts.length !== 5) throw malformed("token is not a JWE compact serialization");
  const [headerPart = "", keyPart = "", ivPart = "", cipherPart = "", tagPart = ""] = parts;
  const header = decodeHeader(headerPart);
  if (header === undefined) throw malformed("token header is not valid base64url-encoded JSON");
  if (header.alg !== JWE_ALG) {
    throw unsupported('token key management algorithm is not allowed; only "A256KW"');
  }
  if (header.enc !== JWE_ENC) throw unsupported('token content encryption is not allowed; only "A256GCM"');
  if ("zip" in header) throw unsupported("compressed tokens are not accepted");
  if ("crit" in header) throw unsupported("tokens with critical header extensions are not accepted");
  const lengths: [string, string, number][] = [
    ["encrypted key", keyPart, WRAPPED_KEY_BYTES],
    ["initialization vector", ivPart, IV_BYTES],
    ["authentication tag", tagPart, TAG_BYTES],
  ];
  for (const [name, part, expected] of lengths) {
    const bytes = decodePart(part);
    if (bytes === undefined) throw malformed(`token ${name} is not valid base64url`);
    if (bytes.length !== expected) throw malformed(`token ${name} must be ${expected} bytes`);
  }
  const ciphertext = decodePart(cipherPart);
  if (ciphertext === undefined || ciphertext.length === 0) {
    throw malformed("token ciphertext is not valid base64url");
  }
}

function mapJoseError(error: unknown): TokenError {
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new TokenError("TOKEN_UNSUPPORTED_ALGORITHM", "token uses an unsupported algorithm or feature", {
      cause: error,
    });
  }
  if (error instanceof errors.JWEDecryptionFailed) {
    return new TokenError("TOKEN_DECRYPTION_FAILED", "token could not be decrypted with the configured key", {
      cause: error,
    });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenError("TOKEN_SIGNATURE_INVALID", "token signature is invalid", { cause: error });
  }
  return malformed("token is malformed", error);
}

async function decrypt(
  token: string,
  wrapKeys: readonly Promise<CryptoKey>[],
): Promise<{ plaintext: Uint8Array; cty: unknown }> {
  let failure: unknown;
  for (const wrapKey of wrapKeys) {
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(token, await wrapKey, {
        keyManagementAlgorithms: [JWE_ALG],
        contentEncryptionAlgorithms: [JWE_ENC],
      });
      return { plaintext, cty: protectedHeader.cty };
    } catch (error) {
      // A wrong key shows up as a failed decryption; only then is the next (older) key worth a try.
      if (!(error instanceof errors.JWEDecryptionFailed)) throw mapJoseError(error);
      failure = error;
    }
  }
  throw mapJoseError(failure);
}

/** "JWT" marks a nested signed JWT; "JSON" (or no cty) the reference's unsigned claims object. */
function contentKind(cty: unknown): "jwt" | "json" | undefined {
  if (cty === undefined) return "json";
  if (typeof cty !== "string") return undefined;
  const type = cty.toLowerCase().replace(/^application\//, "");
  return type === "jwt" || type === "json" ? type : undefined;
}

async function verifyInnerJws(jws: string, hmacKey: CryptoKey): Promise<Uint8Array> {
  const parts = jws.split(".");
  if (parts.length !== 3) throw malformed("token content is not a compact JWS");
  const header = decodeHeader(parts[0] ?? "");
  if (header === undefined) throw malformed("inner JWT header is not valid base64url-encoded JSON");
  if (header.alg !== JWS_ALG) throw unsupported('inner JWT signature algorithm is not allowed; only "HS256"');
  if ("crit" in header) throw unsupported("inner JWTs with critical header extensions are not accepted");
  try {
    const { payload } = await compactVerify(jws, hmacKey, { algorithms: [JWS_ALG] });
    return payload;
  } catch (error) {
    throw mapJoseError(error);
  }
}

/**
 * Decrypts the token, checks the inner signature policy and validates the claims.
 * Time is not checked here: verify enforces it, inspect reports it.
 */
export async function openToken(token: string, keys: VerifyKeys): Promise<OpenedToken> {
  checkJweShape(token);
  const { plaintext, cty } = await decrypt(token, keys.wrapKeys);
  // Decisions on cty come after decryption, when the header is authenticated.
  const kind = contentKind(cty);
  if (kind === undefined) throw malformed('token content type must be "JWT" or "JSON"');
  let payload: Uint8Array;
  if (kind === "jwt") {
    if (keys.hmacKey === undefined) {
      throw new TokenError(
        "TOKEN_SIGNATURE_UNEXPECTED",
        "token is signed but no JWT secret is configured to verify it",
      );
    }
    let jws: string;
    try {
      jws = utf8.decode(plaintext);
    } catch (error) {
      throw malformed("token content is not a compact JWS", error);
    }
    payload = await verifyInnerJws(jws, await keys.hmacKey);
  } else {
    if (keys.hmacKey !== undefined) {
      throw new TokenError("TOKEN_SIGNATURE_REQUIRED", "token is not signed but a signature is required");
    }
    payload = plaintext;
  }
  const object = parseJsonObject(payload);
  if (object === undefined) throw malformed("token claims are not a JSON object");
  const claims = parseClaims(object, { requireExp: true }) as TokenClaims;
  return { claims, signed: kind === "jwt" };
}

/** The earliest second (before tolerance) from which the claims allow use, or -Infinity. */
export function notBeforeSeconds(claims: TokenClaims): number {
  return Math.max(claims.nbf ?? Number.NEGATIVE_INFINITY, claims.iat ?? Number.NEGATIVE_INFINITY);
}

/**
 * Where the claims stand against the clock. This is the one copy of the time rules: verify
 * enforces it, inspect reports it, and the verifier's cache re-checks a hit without any crypto.
 * jose's jwtVerify / jwtDecrypt checks (`clockTolerance`, `requiredClaims`) are not used because
 * they cannot carry these rules: unsigned (cty "JSON") tokens never pass through jwtVerify; jose
 * checks `nbf` before `exp` (an expired token must say TOKEN_EXPIRED), rejects a future `iat` only
 * under `maxTokenAge`, which then makes `iat` required (reference tokens need not carry it), knows
 * no upper bound on `exp` (TOKEN_LIFETIME_EXCEEDED), throws instead of reporting (inspect), and
 * would judge claim types before our name and type checks, changing which error a token gets.
 */
export function timeStatus(claims: TokenClaims, nowMillis: number, policy: TimePolicy): TokenTimeStatus {
  const now = Math.floor(nowMillis / 1000);
  const { clockTolerance } = policy;
  if (now - clockTolerance >= claims.exp) return "expired";
  if (now + clockTolerance < notBeforeSeconds(claims)) return "not_yet_valid";
  if (claims.exp - now > policy.maxTokenLifetime + clockTolerance) return "lifetime_exceeded";
  return "valid";
}

export function enforceTime(claims: TokenClaims, nowMillis: number, policy: TimePolicy): void {
  const { clockTolerance } = policy;
  const status = timeStatus(claims, nowMillis, policy);
  if (status === "expired") throw new TokenError("TOKEN_EXPIRED", "token has expired");
  if (status === "lifetime_exceeded") {
    throw new TokenError(
      "TOKEN_LIFETIME_EXCEEDED",
      `token expires more than ${policy.maxTokenLifetime} seconds from now, the longest lifetime allowed`,
      { claim: "exp" },
    );
  }
  if (status === "not_yet_valid") {
    const now = Math.floor(nowMillis / 1000);
    const claim = claims.nbf !== undefined && now + clockTolerance < claims.nbf ? "nbf" : "iat";
    const message = claim === "nbf" ? "token is not valid yet" : "token was issued in the future";
    throw new TokenError("TOKEN_NOT_YET_VALID", message, { claim });
  }
}

function sharedKeys(options: VerifyOptions) {
  const settings = resolveVerifyOptions(options);
  const keys: VerifyKeys = {
    wrapKeys: settings.jweSecrets.map(sharedWrapKey),
    hmacKey: settings.jwtSecret === undefined ? undefined : sharedHmacKey(settings.jwtSecret),
  };
  return { settings, keys };
}

/** Decrypts and fully checks one token. For a hot path, prefer createTokenVerifier (it caches). */
export async function verifyToken(token: string, options: VerifyOptions): Promise<VerifiedToken> {
  const { settings, keys } = sharedKeys(options);
  assertTokenSize(token, settings.maxTokenBytes);
  const nowMillis = epochMillis(settings.currentDate(), "currentDate()");
  const { claims, signed } = await openToken(token, keys);
  enforceTime(claims, nowMillis, settings);
  return { claims, signed, expiresAt: new Date(claims.exp * 1000) };
}

/**
 * Like verifyToken, but an expired or not-yet-valid token is reported in `status` instead of
 * thrown, so tools can show what such a token holds. Every other check still throws.
 */
export async function inspectToken(token: string, options: VerifyOptions): Promise<TokenInspection> {
  const { settings, keys } = sharedKeys(options);
  assertTokenSize(token, settings.maxTokenBytes);
  const nowMillis = epochMillis(settings.currentDate(), "currentDate()");
  const { claims, signed } = await openToken(token, keys);
  const status = timeStatus(claims, nowMillis, settings);
  const inspection: TokenInspection = { claims, signed, expiresAt: new Date(claims.exp * 1000), status };
  const notBefore = notBeforeSeconds(claims);
  if (Number.isFinite(notBefore)) inspection.notBefore = new Date(notBefore * 1000);
  return inspection;
}
