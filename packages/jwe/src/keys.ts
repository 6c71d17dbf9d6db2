import { createHash, webcrypto } from "node:crypto";

// The global CryptoKey type needs the DOM lib; node:crypto exports the same type.
export type CryptoKey = webcrypto.CryptoKey;

/** Key material derived from one secret: SHA-256 over its UTF-8 bytes, as the reference does. */
export function deriveKeyBytes(secret: string): Uint8Array {
  return createHash("sha256").update(secret, "utf8").digest();
}

export function importWrapKey(secret: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey("raw", deriveKeyBytes(secret), "AES-KW", false, ["wrapKey", "unwrapKey"]);
}

export function importHmacKey(secret: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey("raw", deriveKeyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

export function assertSecret(secret: unknown, name: string): asserts secret is string {
  if (typeof secret !== "string" || secret.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
}

/**
 * The one-shot functions (mintToken, verifyToken) are often called with the same few secrets
 * from a long-lived process; remembering the imported keys keeps derivation to once per secret.
 * Bounded so a caller cycling through many secrets cannot grow it without limit.
 */
const MEMO_LIMIT = 32;
const memo = new Map<string, Promise<CryptoKey>>();

function memoized(kind: "kw" | "hs", secret: string, load: (secret: string) => Promise<CryptoKey>) {
  const id = `${kind}\u0000${secret}`;
  let key = memo.get(id);
  if (key === undefined) {
    if (memo.size >= MEMO_LIMIT) {
      const oldest = memo.keys().next();
      if (!oldest.done) memo.delete(oldest.value);
    }
    key = load(secret);
    memo.set(id, key);
    // A rejected import must not stay remembered.
    key.catch(() => memo.delete(id));
  }
  return key;
}

export function sharedWrapKey(secret: string): Promise<CryptoKey> {
  return memoized("kw", secret, importWrapKey);
}

export function sharedHmacKey(secret: string): Promise<CryptoKey> {
  return memoized("hs", secret, importHmacKey);
}
