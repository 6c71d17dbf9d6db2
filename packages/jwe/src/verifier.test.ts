import { webcrypto } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createTokenVerifier,
  DEFAULT_CACHE_MAX_ENTRIES,
  mintToken,
  type TokenVerifierOptions,
} from "./index.js";
import { referenceToken, tamperByte } from "./test-support/reference-format.js";

const JWE_SECRET = "verifier-test-jwe-secret-01234567";
const JWT_SECRET = "verifier-test-jwt-secret-01234567";
const T0 = 2_000_000_000;

/** A clock the test moves by hand. */
function manualClock(startSeconds: number) {
  let now = startSeconds * 1000;
  return {
    currentDate: () => new Date(now),
    set(seconds: number) {
      now = seconds * 1000;
    },
  };
}

function verifierAt(clock: ReturnType<typeof manualClock>, extra: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({
    jweSecrets: JWE_SECRET,
    jwtSecret: JWT_SECRET,
    currentDate: clock.currentDate,
    ...extra,
  });
}

const token = (claims: object) => referenceToken(claims, JWE_SECRET, JWT_SECRET);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("createTokenVerifier", () => {
  it("pays for the crypto once per token and counts hits and misses", async () => {
    const clock = manualClock(T0);
    const verifier = verifierAt(clock);
    const t = token({ host: "h", exp: T0 + 600 });
    const first = await verifier.verify(t);
    const second = await verifier.verify(t);
    expect(second).toEqual(first);
    expect(second.claims).toBe(first.claims);
    expect(verifier.cacheStats()).toEqual({ size: 1, hits: 1, misses: 1 });
  });

  it("never serves a cached token at or after its exp", async () => {
    const clock = manualClock(T0);
    const verifier = verifierAt(clock, { clockTolerance: 0 });
    const t = token({ host: "h", exp: T0 + 10 });
    await verifier.verify(t);
    clock.set(T0 + 9);
    await verifier.verify(t);
    expect(verifier.cacheStats().hits).toBe(1);
    clock.set(T0 + 10);
    await expect(verifier.verify(t)).rejects.toMatchObject({ code: "TOKEN_EXPIRED" });
    expect(verifier.cacheStats()).toEqual({ size: 0, hits: 1, misses: 2 });
  });

  it("leaves the tolerance window after exp to the full check, without caching", async () => {
    const clock = manualClock(T0);
    const verifier = verifierAt(clock);
    const t = token({ host: "h", exp: T0 + 10 });
    await verifier.verify(t);
    clock.set(T0 + 20);
    await expect(verifier.verify(t)).resolves.toMatchObject({ claims: { host: "h" } });
    expect(verifier.cacheStats()).toEqual({ size: 0, hits: 0, misses: 2 });
    clock.set(T0 + 40);
    await expect(verifier.verify(t)).rejects.toMatchObject({ code: "TOKEN_EXPIRED" });
  });

  it("never serves a cached token before its nbf when the clock goes back", async () => {
    const clock = manualClock(T0);
    const verifier = verifierAt(clock, { clockTolerance: 0 });
    const t = token({ host: "h", nbf: T0, exp: T0 + 600 });
    await verifier.verify(t);
    clock.set(T0 - 1);
    await expect(verifier.verify(t)).rejects.toMatchObject({ code: "TOKEN_NOT_YET_VALID", claim: "nbf" });
  });

  it("does not cache failures", async () => {
    const verifier = verifierAt(manualClock(T0));
    const bad = tamperByte(token({ exp: T0 + 600 }), 3, 0);
    await expect(verifier.verify(bad)).rejects.toMatchObject({ code: "TOKEN_DECRYPTION_FAILED" });
    await expect(verifier.verify(bad)).rejects.toMatchObject({ code: "TOKEN_DECRYPTION_FAILED" });
    expect(verifier.cacheStats()).toEqual({ size: 0, hits: 0, misses: 2 });
  });

  it("rejects missing and oversized tokens before hashing or caching", async () => {
    const verifier = verifierAt(manualClock(T0), { maxTokenBytes: 64 });
    await expect(verifier.verify("")).rejects.toMatchObject({ code: "TOKEN_MISSING" });
    await expect(verifier.verify("x".repeat(65))).rejects.toMatchObject({ code: "TOKEN_TOO_LARGE" });
    expect(verifier.cacheStats()).toEqual({ size: 0, hits: 0, misses: 0 });
  });

  it("evicts the least recently used entry beyond maxEntries", async () => {
    const verifier = verifierAt(manualClock(T0), { cache: { maxEntries: 2 } });
    const [a, b, c] = [1, 2, 3].map((n) => token({ jti: `t${n}`, exp: T0 + 600 })) as [
      string,
      string,
      string,
    ];
    await verifier.verify(a);
    await verifier.verify(b);
    await verifier.verify(a); // a is now the most recently used
    await verifier.verify(c); // evicts b
    expect(verifier.cacheStats()).toEqual({ size: 2, hits: 1, misses: 3 });
    await verifier.verify(a);
    await verifier.verify(b);
    expect(verifier.cacheStats()).toEqual({ size: 2, hits: 2, misses: 4 });
  });

  it("can run without a cache", async () => {
    const verifier = verifierAt(manualClock(T0), { cache: false });
    const t = token({ exp: T0 + 600 });
    await verifier.verify(t);
    await verifier.verify(t);
    expect(verifier.cacheStats()).toEqual({ size: 0, hits: 0, misses: 0 });
  });

  it("returns frozen claims, so one caller cannot change what the next one sees", async () => {
    const verifier = verifierAt(manualClock(T0));
    const { claims } = await verifier.verify(token({ host: "h", aud: ["a"], exp: T0 + 600 }));
    expect(() => {
      (claims as { host?: string }).host = "evil";
    }).toThrow(TypeError);
    expect(() => (claims.aud as string[]).push("b")).toThrow(TypeError);
  });

  it("derives each key once, not per verification or per mint", async () => {
    const importKey = vi.spyOn(webcrypto.subtle, "importKey");
    const kwImports = () => importKey.mock.calls.filter(([, , algorithm]) => algorithm === "AES-KW").length;
    const verifier = createTokenVerifier({
      jweSecrets: ["derive-once-current", "derive-once-previous"],
      jwtSecret: JWT_SECRET,
      cache: false,
      currentDate: () => new Date(T0 * 1000),
    });
    expect(kwImports()).toBe(2);
    for (let i = 0; i < 5; i++) {
      const t = await mintToken(
        { jti: `n${i}`, exp: T0 + 600 },
        { jweSecret: "derive-once-previous", jwtSecret: JWT_SECRET, currentDate: new Date(T0 * 1000) },
      );
      await verifier.verify(t);
    }
    // Two for the verifier, one for mintToken's remembered key.
    expect(kwImports()).toBe(3);
  });

  it("accepts rotated secrets", async () => {
    const verifier = createTokenVerifier({
      jweSecrets: [JWE_SECRET, "verifier-previous-secret"],
      jwtSecret: JWT_SECRET,
      currentDate: () => new Date(T0 * 1000),
    });
    const old = referenceToken({ exp: T0 + 600 }, "verifier-previous-secret", JWT_SECRET);
    await expect(verifier.verify(old)).resolves.toMatchObject({ signed: true });
  });

  it("throws TypeError for a bad cache size", () => {
    expect(DEFAULT_CACHE_MAX_ENTRIES).toBe(10_000);
    expect(() => createTokenVerifier({ jweSecrets: "s", cache: { maxEntries: 0 } })).toThrow(TypeError);
    expect(() => createTokenVerifier({ jweSecrets: [] })).toThrow(TypeError);
  });
});
