import { createHash } from "node:crypto";
import type { TokenClaims } from "./claims.js";
import { DEFAULT_CACHE_MAX_ENTRIES } from "./defaults.js";
import { importHmacKey, importWrapKey } from "./keys.js";
import { epochMillis, resolveVerifyOptions, type VerifyOptions } from "./options.js";
import {
  assertTokenSize,
  enforceTime,
  notBeforeSeconds,
  openToken,
  type VerifiedToken,
  type VerifyKeys,
} from "./verify.js";

export interface TokenVerifierOptions extends VerifyOptions {
  /** Cache of verified tokens; `false` disables it. Default on, at most 10000 entries. */
  cache?: false | { maxEntries?: number };
}

export interface TokenCacheStats {
  size: number;
  hits: number;
  misses: number;
}

export interface TokenVerifier {
  /** Same checks and errors as verifyToken. Returned claims are frozen: cache hits share them. */
  verify(token: string): Promise<VerifiedToken>;
  cacheStats(): TokenCacheStats;
}

interface CacheEntry {
  claims: TokenClaims;
  signed: boolean;
  exp: number;
  notBefore: number;
}

function freezeClaims(claims: TokenClaims): TokenClaims {
  if (Array.isArray(claims.aud)) Object.freeze(claims.aud);
  return Object.freeze(claims);
}

/**
 * Derives the keys once and, unless disabled, remembers verified tokens by the SHA-256 of the
 * token (never the token itself), so a client sending the same token on every request pays for
 * the crypto once. A cached entry is served only before the token's `exp` (tolerance not
 * included) and never before its `nbf`/`iat` allow, checked against `currentDate` at each lookup.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const settings = resolveVerifyOptions(options);
  const cacheOption = options.cache;
  let maxEntries = 0;
  if (cacheOption !== false) {
    maxEntries = cacheOption?.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES;
    if (!(Number.isSafeInteger(maxEntries) && maxEntries > 0)) {
      throw new TypeError("cache.maxEntries must be a positive integer");
    }
  }
  const keys: VerifyKeys = {
    wrapKeys: settings.jweSecrets.map(importWrapKey),
    hmacKey: settings.jwtSecret === undefined ? undefined : importHmacKey(settings.jwtSecret),
  };
  // Surface a broken key on verify, not as an unhandled rejection at construction.
  for (const key of [...keys.wrapKeys, keys.hmacKey]) key?.catch(() => {});

  // Map iteration order is insertion order: re-inserting on a hit makes the first key the least recently used.
  const cache = new Map<string, CacheEntry>();
  let hits = 0;
  let misses = 0;

  async function verifyUncached(token: string, nowMillis: number): Promise<VerifiedToken> {
    const { claims, signed } = await openToken(token, keys);
    enforceTime(claims, nowMillis, settings);
    return { claims, signed, expiresAt: new Date(claims.exp * 1000) };
  }

  async function verify(token: string): Promise<VerifiedToken> {
    assertTokenSize(token, settings.maxTokenBytes);
    const nowMillis = epochMillis(settings.currentDate(), "currentDate()");
    if (maxEntries === 0) return verifyUncached(token, nowMillis);

    const id = createHash("sha256").update(token).digest("base64url");
    const entry = cache.get(id);
    if (entry !== undefined) {
      if (nowMillis >= entry.exp * 1000) {
        cache.delete(id);
      } else if (Math.floor(nowMillis / 1000) + settings.clockTolerance >= entry.notBefore) {
        hits++;
        cache.delete(id);
        cache.set(id, entry);
        return { claims: entry.claims, signed: entry.signed, expiresAt: new Date(entry.exp * 1000) };
      }
    }
    misses++;
    const verified = await verifyUncached(token, nowMillis);
    const claims = freezeClaims(verified.claims);
    // Accepted within the tolerance after exp: valid now, but not worth remembering.
    if (nowMillis < claims.exp * 1000) {
      if (cache.size >= maxEntries) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(id, {
        claims,
        signed: verified.signed,
        exp: claims.exp,
        notBefore: notBeforeSeconds(claims),
      });
    }
    return { ...verified, claims };
  }

  return {
    verify,
    cacheStats: () => ({ size: cache.size, hits, misses }),
  };
}
