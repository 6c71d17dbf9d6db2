import { describe, expect, it } from "vitest";
import {
  DEFAULT_EXPIRES_IN,
  DEFAULT_MAX_TOKEN_LIFETIME,
  type MintableClaims,
  type MintOptions,
  mintToken,
  TokenError,
} from "./index.js";
import { referenceDecrypt, referenceVerify } from "./test-support/reference-format.js";

const JWE_SECRET = "mint-test-jwe-secret-0123456789ab";
const JWT_SECRET = "mint-test-jwt-secret-0123456789ab";
const NOW = new Date("2031-02-03T04:05:06.789Z");
const NOW_S = Math.floor(NOW.getTime() / 1000);

function payloadOf(token: string, jwtSecret = JWT_SECRET): Record<string, unknown> {
  const { plaintext } = referenceDecrypt(token, JWE_SECRET);
  return JSON.parse(referenceVerify(plaintext, jwtSecret).payload);
}

describe("mintToken", () => {
  it("sets exp to now + 3600 s by default", async () => {
    const token = await mintToken(
      { host: "h" },
      { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET, currentDate: NOW },
    );
    expect(DEFAULT_EXPIRES_IN).toBe(3600);
    expect(payloadOf(token)).toEqual({ host: "h", exp: NOW_S + 3600 });
  });

  it("uses expiresIn, and an absolute exp in the claims wins over it", async () => {
    const base: MintOptions = { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET, currentDate: NOW };
    expect(payloadOf(await mintToken({}, { ...base, expiresIn: 60 }))).toEqual({ exp: NOW_S + 60 });
    expect(payloadOf(await mintToken({ exp: NOW_S + 7200 }, { ...base, expiresIn: 60 }))).toEqual({
      exp: NOW_S + 7200,
    });
  });

  it("refuses to mint past the maximum lifetime (30 days by default), by expiresIn or by exp", async () => {
    const base: MintOptions = { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET, currentDate: NOW };
    expect(DEFAULT_MAX_TOKEN_LIFETIME).toBe(30 * 24 * 3600);
    expect(payloadOf(await mintToken({}, { ...base, expiresIn: DEFAULT_MAX_TOKEN_LIFETIME }))).toEqual({
      exp: NOW_S + DEFAULT_MAX_TOKEN_LIFETIME,
    });
    for (const [claims, options] of [
      [{}, { ...base, expiresIn: DEFAULT_MAX_TOKEN_LIFETIME + 1 }],
      [{ exp: 253_402_300_799 }, base], // 9999-12-31
      [{}, { ...base, expiresIn: 3601, maxTokenLifetime: 3600 }],
    ] as const) {
      const error = await mintToken(claims, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenError);
      expect((error as TokenError).code).toBe("TOKEN_LIFETIME_EXCEEDED");
      expect((error as TokenError).claim).toBe("exp");
      expect((error as TokenError).message).toMatch(/longest lifetime allowed/);
    }
    await expect(mintToken({}, { ...base, maxTokenLifetime: 0 })).rejects.toBeInstanceOf(TypeError);
  });

  it("produces a fresh token each time (random key and IV)", async () => {
    const options = { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET, currentDate: NOW };
    expect(await mintToken({ host: "h" }, options)).not.toBe(await mintToken({ host: "h" }, options));
  });

  it("validates claims the same way verify does", async () => {
    const cases: [unknown, string][] = [
      [{ host: "h", expiry: 3600 }, "expiry"],
      [{ port: 70000 }, "port"],
      [{ protocol: "ftp" }, "protocol"],
      [{ exp: "soon" }, "exp"],
    ];
    for (const [claims, claim] of cases) {
      const error = await mintToken(claims as MintableClaims, { jweSecret: JWE_SECRET }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TokenError);
      expect(error).toMatchObject({ code: "TOKEN_CLAIMS_INVALID", claim });
    }
  });

  it("leaves undefined members out of the payload", async () => {
    const token = await mintToken(
      { host: "h", password: undefined },
      { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET, currentDate: NOW },
    );
    expect(payloadOf(token)).toEqual({ host: "h", exp: NOW_S + 3600 });
  });

  it("refuses to mint a token larger than maxTokenBytes", async () => {
    await expect(
      mintToken({ host: "h" }, { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET, maxTokenBytes: 100 }),
    ).rejects.toMatchObject({ code: "TOKEN_TOO_LARGE" });
  });

  it("keeps the largest valid claims under the default 16 KiB limit", async () => {
    const long = (n: number) => "x".repeat(n);
    const token = await mintToken(
      {
        host: long(255),
        port: 65535,
        database: long(256),
        username: long(256),
        password: long(1024),
        protocol: "http",
        tls_enabled: true,
        tls_ca_cert: long(1024),
        tls_client_cert: long(1024),
        tls_client_key: long(1024),
        tls_insecure_skip_verify: true,
        limit: Number.MAX_SAFE_INTEGER,
        read_only: true,
        max_execution_time: 31_536_000,
        nbf: 2_000_000_000,
        iat: 2_000_000_000,
        iss: long(256),
        sub: long(256),
        aud: Array.from({ length: 8 }, () => long(256)),
        jti: long(256),
      },
      { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET },
    );
    expect(token.length).toBeLessThanOrEqual(16_384);
  });

  it("throws TypeError for caller mistakes", async () => {
    for (const options of [
      { jweSecret: "" },
      { jweSecret: JWE_SECRET, jwtSecret: "" },
      { jweSecret: JWE_SECRET, expiresIn: -5 },
      { jweSecret: JWE_SECRET, expiresIn: 0 },
      { jweSecret: JWE_SECRET, expiresIn: 1.5 },
      { jweSecret: JWE_SECRET, currentDate: new Date(Number.NaN) },
    ] as MintOptions[]) {
      await expect(mintToken({}, options)).rejects.toBeInstanceOf(TypeError);
    }
  });
});
