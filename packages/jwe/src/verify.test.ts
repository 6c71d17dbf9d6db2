import { generateKeyPairSync } from "node:crypto";
import { CompactEncrypt, CompactSign } from "jose";
import { describe, expect, it } from "vitest";
import {
  inspectToken,
  mintToken,
  TOKEN_ERROR_CODES,
  TokenError,
  type TokenErrorCode,
  type VerifyOptions,
  verifyToken,
} from "./index.js";
import {
  b64u,
  partBytes,
  REFERENCE_JWE_HEADER,
  REFERENCE_UNSIGNED_JWE_HEADER,
  referenceEncrypt,
  referenceSign,
  referenceToken,
  referenceUnsignedToken,
  replacePart,
  sha256,
  tamperByte,
} from "./test-support/reference-format.js";

const JWE_SECRET = "verify-test-jwe-secret-0123456789";
const JWT_SECRET = "verify-test-jwt-secret-0123456789";
const PASSWORD = "top-secret-password-value";
const NOW = new Date("2030-06-01T12:00:00Z");
const NOW_S = NOW.getTime() / 1000;
const at = (seconds: number) => () => new Date(seconds * 1000);
const options: VerifyOptions = { jweSecrets: JWE_SECRET, jwtSecret: JWT_SECRET, currentDate: () => NOW };
const encoder = new TextEncoder();

const claims = { host: "ch.example.com", port: 8443, username: "u", password: PASSWORD, exp: NOW_S + 3600 };

async function rejection(promise: Promise<unknown>): Promise<TokenError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenError) return error;
    throw error;
  }
  throw new Error("the token was accepted");
}

const seen = new Set<TokenErrorCode>();
async function expectCode(
  token: string,
  code: TokenErrorCode,
  opts: VerifyOptions = options,
  secrets: readonly string[] = [],
): Promise<TokenError> {
  const error = await rejection(verifyToken(token, opts));
  expect(error.code).toBe(code);
  seen.add(error.code);
  for (const secret of [JWE_SECRET, JWT_SECRET, PASSWORD, ...secrets])
    expect(error.message).not.toContain(secret);
  if (typeof token === "string" && token.length > 20) expect(error.message).not.toContain(token.slice(0, 20));
  return error;
}

describe("verifyToken accepts", () => {
  it("a signed token and returns typed claims, signed: true and expiresAt", async () => {
    const token = await mintToken(claims, { currentDate: NOW, jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET });
    expect(await verifyToken(token, options)).toEqual({
      claims,
      signed: true,
      expiresAt: new Date(claims.exp * 1000),
    });
  });

  it("an unsigned token when no JWT secret is configured", async () => {
    const token = await mintToken(claims, { currentDate: NOW, jweSecret: JWE_SECRET });
    const verified = await verifyToken(token, { jweSecrets: [JWE_SECRET], currentDate: () => NOW });
    expect(verified).toMatchObject({ claims, signed: false });
  });
});

describe("algorithm policy", () => {
  const inner = encoder.encode(referenceSign(JSON.stringify(claims), JWT_SECRET));

  it("rejects dir", async () => {
    const token = await new CompactEncrypt(inner)
      .setProtectedHeader({ alg: "dir", enc: "A256GCM", cty: "JWT" })
      .encrypt(sha256(JWE_SECRET));
    await expectCode(token, "TOKEN_UNSUPPORTED_ALGORITHM");
  });

  it("rejects A128KW", async () => {
    const token = await new CompactEncrypt(inner)
      .setProtectedHeader({ alg: "A128KW", enc: "A256GCM", cty: "JWT" })
      .encrypt(sha256(JWE_SECRET).subarray(0, 16));
    await expectCode(token, "TOKEN_UNSUPPORTED_ALGORITHM");
  });

  it("rejects RSA-OAEP", async () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const token = await new CompactEncrypt(inner)
      .setProtectedHeader({ alg: "RSA-OAEP", enc: "A256GCM", cty: "JWT" })
      .encrypt(publicKey);
    await expectCode(token, "TOKEN_UNSUPPORTED_ALGORITHM");
  });

  it('rejects alg "none" in a JWE header', async () => {
    const token = referenceEncrypt(JSON.stringify(claims), JWE_SECRET, '{"alg":"none","enc":"A256GCM"}');
    await expectCode(token, "TOKEN_UNSUPPORTED_ALGORITHM");
  });

  it("rejects content encryption other than A256GCM", async () => {
    for (const enc of ["A128GCM", "A256CBC-HS512"]) {
      const token = await new CompactEncrypt(inner)
        .setProtectedHeader({ alg: "A256KW", enc, cty: "JWT" })
        .encrypt(sha256(JWE_SECRET));
      await expectCode(token, "TOKEN_UNSUPPORTED_ALGORITHM");
    }
  });

  it("rejects a JWS (a signed JWT) given instead of a JWE", async () => {
    await expectCode(referenceSign(JSON.stringify(claims), JWT_SECRET), "TOKEN_UNSUPPORTED_ALGORITHM");
  });

  it('rejects an unsecured JWT (alg "none")', async () => {
    const token = `${b64u('{"alg":"none","typ":"JWT"}')}.${b64u(JSON.stringify(claims))}.`;
    await expectCode(token, "TOKEN_UNSUPPORTED_ALGORITHM");
  });

  it("rejects an inner JWT signed with anything but HS256", async () => {
    const hs512 = referenceSign(JSON.stringify(claims), JWT_SECRET, '{"alg":"HS512","typ":"JWT"}', "sha512");
    await expectCode(referenceEncrypt(hs512, JWE_SECRET), "TOKEN_UNSUPPORTED_ALGORITHM");
    const none = `${b64u('{"alg":"none"}')}.${b64u(JSON.stringify(claims))}.`;
    await expectCode(referenceEncrypt(none, JWE_SECRET), "TOKEN_UNSUPPORTED_ALGORITHM");
  });

  it("rejects compression and critical header extensions", async () => {
    const zip = '{"alg":"A256KW","enc":"A256GCM","cty":"JWT","zip":"DEF"}';
    await expectCode(
      referenceEncrypt(new TextDecoder().decode(inner), JWE_SECRET, zip),
      "TOKEN_UNSUPPORTED_ALGORITHM",
    );
    const crit = '{"alg":"A256KW","enc":"A256GCM","cty":"JWT","crit":["exp"],"exp":1}';
    await expectCode(
      referenceEncrypt(new TextDecoder().decode(inner), JWE_SECRET, crit),
      "TOKEN_UNSUPPORTED_ALGORITHM",
    );
    const innerCrit = await new CompactSign(encoder.encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: "HS256", crit: ["b64"], b64: true })
      .sign(sha256(JWT_SECRET));
    await expectCode(referenceEncrypt(innerCrit, JWE_SECRET), "TOKEN_UNSUPPORTED_ALGORITHM");
  });
});

describe("size bound", () => {
  it("rejects a token over 16 KiB before parsing it", async () => {
    await expectCode("x".repeat(16_385), "TOKEN_TOO_LARGE");
    // The same garbage at the limit gets as far as parsing.
    await expectCode("x".repeat(16_384), "TOKEN_MALFORMED");
  });

  it("honours a configured maxTokenBytes", async () => {
    const token = await mintToken(claims, { currentDate: NOW, jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET });
    await expectCode(token, "TOKEN_TOO_LARGE", { ...options, maxTokenBytes: token.length - 1 });
    await expect(verifyToken(token, { ...options, maxTokenBytes: token.length })).resolves.toBeDefined();
  });
});

describe("malformed tokens", () => {
  it("rejects a missing token", async () => {
    await expectCode("", "TOKEN_MISSING");
    await expectCode(undefined as unknown as string, "TOKEN_MISSING");
  });

  it("rejects structural damage", async () => {
    const token = await mintToken(claims, { currentDate: NOW, jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET });
    const parts = token.split(".");
    const cases = [
      "not-a-token",
      parts.slice(0, 4).join("."),
      `${token}.AAAA`,
      replacePart(token, 0, "!!!!"),
      replacePart(token, 0, b64u("not json")),
      replacePart(token, 0, b64u("[1,2]")),
      replacePart(token, 1, b64u(Buffer.alloc(32))),
      replacePart(token, 2, b64u(Buffer.alloc(16))),
      replacePart(token, 3, ""),
      replacePart(token, 3, "a+b/"),
      replacePart(token, 4, b64u(Buffer.alloc(12))),
      ` ${token}`,
    ];
    for (const bad of cases) await expectCode(bad, "TOKEN_MALFORMED");
  });

  it("rejects a non-canonical base64url encoding of an otherwise valid token", async () => {
    const token = await mintToken(claims, { currentDate: NOW, jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET });
    const tag = token.split(".")[4] ?? "";
    // 16 bytes leave 4 unused bits in the last character; setting one keeps the bytes the same.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(tag.at(-1) ?? "A");
    const variant = `${tag.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(variant, "base64url")).toEqual(Buffer.from(tag, "base64url"));
    await expectCode(replacePart(token, 4, variant), "TOKEN_MALFORMED");
  });

  it("rejects decrypted content that is not what the header announces", async () => {
    const json = JSON.stringify(claims);
    const unsigned = { jweSecrets: JWE_SECRET, currentDate: () => NOW };
    await expectCode(
      referenceEncrypt("not json", JWE_SECRET, REFERENCE_UNSIGNED_JWE_HEADER),
      "TOKEN_MALFORMED",
      unsigned,
    );
    await expectCode(
      referenceEncrypt("[1]", JWE_SECRET, REFERENCE_UNSIGNED_JWE_HEADER),
      "TOKEN_MALFORMED",
      unsigned,
    );
    await expectCode(referenceEncrypt(json, JWE_SECRET, REFERENCE_JWE_HEADER), "TOKEN_MALFORMED");
    const xml = '{"alg":"A256KW","enc":"A256GCM","cty":"XML"}';
    await expectCode(referenceEncrypt(json, JWE_SECRET, xml), "TOKEN_MALFORMED", unsigned);
    const notObject = referenceSign('"just a string"', JWT_SECRET);
    await expectCode(referenceEncrypt(notObject, JWE_SECRET), "TOKEN_MALFORMED");
  });

  it("treats a token without cty as the unsigned JSON form", async () => {
    const token = referenceEncrypt(JSON.stringify(claims), JWE_SECRET, '{"alg":"A256KW","enc":"A256GCM"}');
    await expect(
      verifyToken(token, { jweSecrets: JWE_SECRET, currentDate: () => NOW }),
    ).resolves.toMatchObject({
      signed: false,
    });
    await expectCode(token, "TOKEN_SIGNATURE_REQUIRED");
  });
});

describe("tampering and keys", () => {
  it("rejects a flipped bit in any byte of each of the five parts", async () => {
    const token = await mintToken(claims, { currentDate: NOW, jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET });
    for (let part = 0; part < 5; part++) {
      const length = partBytes(token, part).length;
      for (let byte = 0; byte < length; byte++) {
        const error = await rejection(verifyToken(tamperByte(token, part, byte), options));
        // Header damage may also break its JSON or its algorithm; everything else fails authentication.
        const allowed: TokenErrorCode[] =
          part === 0
            ? ["TOKEN_DECRYPTION_FAILED", "TOKEN_MALFORMED", "TOKEN_UNSUPPORTED_ALGORITHM"]
            : ["TOKEN_DECRYPTION_FAILED"];
        expect(allowed, `part ${part} byte ${byte}`).toContain(error.code);
      }
    }
  });

  it("rejects a header changed to other valid JSON, because the header is authenticated", async () => {
    const token = await mintToken(claims, { currentDate: NOW, jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET });
    const header = b64u('{"alg":"A256KW","enc":"A256GCM","cty":"JWT","typ":"JWF"}');
    await expectCode(replacePart(token, 0, header), "TOKEN_DECRYPTION_FAILED");
  });

  it("rejects a token encrypted with another key", async () => {
    const token = await mintToken(claims, {
      currentDate: NOW,
      jweSecret: "some-other-jwe-secret",
      jwtSecret: JWT_SECRET,
    });
    await expectCode(token, "TOKEN_DECRYPTION_FAILED", options, ["some-other-jwe-secret"]);
  });

  it("rejects an inner JWT signed with another key", async () => {
    const token = await mintToken(claims, {
      currentDate: NOW,
      jweSecret: JWE_SECRET,
      jwtSecret: "some-other-jwt-secret",
    });
    await expectCode(token, "TOKEN_SIGNATURE_INVALID", options, ["some-other-jwt-secret"]);
  });

  it("rejects a validly encrypted inner JWT whose signature or payload was altered", async () => {
    const jws = referenceSign(JSON.stringify(claims), JWT_SECRET);
    const [header, payload, signature] = jws.split(".") as [string, string, string];
    const badSignature = b64u(
      Buffer.from(Buffer.from(signature, "base64url").map((b, i) => (i === 0 ? b ^ 1 : b))),
    );
    await expectCode(
      referenceEncrypt(`${header}.${payload}.${badSignature}`, JWE_SECRET),
      "TOKEN_SIGNATURE_INVALID",
    );
    const otherPayload = b64u(JSON.stringify({ ...claims, host: "evil.example.com" }));
    await expectCode(
      referenceEncrypt(`${header}.${otherPayload}.${signature}`, JWE_SECRET),
      "TOKEN_SIGNATURE_INVALID",
    );
    await expectCode(referenceEncrypt(`${header}.${payload}.`, JWE_SECRET), "TOKEN_SIGNATURE_INVALID");
  });

  it("accepts tokens of the current and previous secrets during rotation", async () => {
    const oldToken = await mintToken(claims, {
      currentDate: NOW,
      jweSecret: "previous-jwe-secret",
      jwtSecret: JWT_SECRET,
    });
    const newToken = await mintToken(claims, {
      currentDate: NOW,
      jweSecret: JWE_SECRET,
      jwtSecret: JWT_SECRET,
    });
    const rotating = { ...options, jweSecrets: [JWE_SECRET, "previous-jwe-secret"] };
    await expect(verifyToken(oldToken, rotating)).resolves.toMatchObject({ claims });
    await expect(verifyToken(newToken, rotating)).resolves.toMatchObject({ claims });
    // Once the previous secret is dropped, its tokens stop working.
    await expectCode(oldToken, "TOKEN_DECRYPTION_FAILED", options, ["previous-jwe-secret"]);
  });
});

describe("signature policy", () => {
  it("requires the inner signature when a JWT secret is configured", async () => {
    await expectCode(referenceUnsignedToken(claims, JWE_SECRET), "TOKEN_SIGNATURE_REQUIRED");
  });

  it("rejects a signed token when no JWT secret is configured, as the reference does", async () => {
    const error = await expectCode(
      referenceToken(claims, JWE_SECRET, JWT_SECRET),
      "TOKEN_SIGNATURE_UNEXPECTED",
      {
        jweSecrets: JWE_SECRET,
        currentDate: () => NOW,
      },
    );
    expect(error.message).toMatch(/no JWT secret/);
  });
});

describe("time policy", () => {
  const timed = (extra: object) => referenceToken({ ...claims, ...extra }, JWE_SECRET, JWT_SECRET);

  it("requires exp", async () => {
    const { exp: _exp, ...withoutExp } = claims;
    const error = await expectCode(
      referenceToken(withoutExp, JWE_SECRET, JWT_SECRET),
      "TOKEN_CLAIMS_INVALID",
    );
    expect(error.claim).toBe("exp");
  });

  it("applies the default 30 s tolerance to exp", async () => {
    const token = timed({ exp: NOW_S });
    await expect(verifyToken(token, { ...options, currentDate: at(NOW_S + 29) })).resolves.toBeDefined();
    await expectCode(token, "TOKEN_EXPIRED", { ...options, currentDate: at(NOW_S + 30) });
  });

  it("applies a configured tolerance to exp", async () => {
    const token = timed({ exp: NOW_S });
    const strict = { ...options, clockTolerance: 0 };
    await expect(verifyToken(token, { ...strict, currentDate: at(NOW_S - 1) })).resolves.toBeDefined();
    await expectCode(token, "TOKEN_EXPIRED", { ...strict, currentDate: at(NOW_S) });
  });

  it("honours nbf with the tolerance", async () => {
    const token = timed({ nbf: NOW_S + 30 });
    await expect(verifyToken(token, options)).resolves.toBeDefined();
    const early = await expectCode(token, "TOKEN_NOT_YET_VALID", { ...options, currentDate: at(NOW_S - 1) });
    expect(early.claim).toBe("nbf");
    await expectCode(token, "TOKEN_NOT_YET_VALID", { ...options, clockTolerance: 29 });
  });

  it("rejects a token issued in the future beyond the tolerance", async () => {
    const token = timed({ iat: NOW_S + 31 });
    const error = await expectCode(token, "TOKEN_NOT_YET_VALID");
    expect(error.claim).toBe("iat");
    await expect(verifyToken(token, { ...options, currentDate: at(NOW_S + 1) })).resolves.toBeDefined();
  });

  it("refuses a token whose exp lies beyond the maximum lifetime (30 days by default, plus tolerance)", async () => {
    const month = 30 * 24 * 3600;
    await expect(verifyToken(timed({ exp: NOW_S + month + 30 }), options)).resolves.toBeDefined();
    const error = await expectCode(timed({ exp: NOW_S + month + 31 }), "TOKEN_LIFETIME_EXCEEDED");
    expect(error.claim).toBe("exp");
    expect(error.message).toMatch(/longest lifetime allowed/);
    // Year 9999: the "never expires in practice" token.
    await expectCode(timed({ exp: 253_402_300_799 }), "TOKEN_LIFETIME_EXCEEDED");
    const short = { ...options, maxTokenLifetime: 600 };
    await expect(verifyToken(timed({ exp: NOW_S + 600 }), short)).resolves.toBeDefined();
    await expectCode(timed({ exp: NOW_S + 700 }), "TOKEN_LIFETIME_EXCEEDED", short);
    // inspectToken reports it instead of throwing, so the CLI can show such a token.
    const inspection = await inspectToken(timed({ exp: NOW_S + 700 }), short);
    expect(inspection.status).toBe("lifetime_exceeded");
  });

  it("uses the real clock by default", async () => {
    const token = await mintToken(
      { host: "h" },
      { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET, expiresIn: 60 },
    );
    await expect(
      verifyToken(token, { jweSecrets: JWE_SECRET, jwtSecret: JWT_SECRET }),
    ).resolves.toBeDefined();
    const expired = await mintToken({ host: "h", exp: 1 }, { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET });
    await expectCode(expired, "TOKEN_EXPIRED", { jweSecrets: JWE_SECRET, jwtSecret: JWT_SECRET });
  });
});

describe("claims policy", () => {
  it("rejects an undocumented claim, naming it", async () => {
    const error = await expectCode(timedToken({ role: "admin" }), "TOKEN_CLAIMS_INVALID");
    expect(error.claim).toBe("role");
  });

  it("type-checks claims without echoing values", async () => {
    for (const [claim, value] of [
      ["port", 70000],
      ["protocol", "ftp"],
      ["tls_enabled", "true"],
      ["limit", 0],
      ["max_execution_time", -1],
      ["host", ""],
    ] as const) {
      const error = await expectCode(timedToken({ [claim]: value }), "TOKEN_CLAIMS_INVALID");
      expect(error.claim).toBe(claim);
    }
  });

  function timedToken(extra: object): string {
    return referenceToken({ ...claims, ...extra }, JWE_SECRET, JWT_SECRET);
  }
});

describe("inspectToken", () => {
  it("reports an expired token's claims instead of throwing", async () => {
    const token = referenceToken({ ...claims, exp: NOW_S - 100, iat: NOW_S - 200 }, JWE_SECRET, JWT_SECRET);
    const inspection = await inspectToken(token, options);
    expect(inspection).toMatchObject({ status: "expired", signed: true, claims: { host: "ch.example.com" } });
    expect(inspection.notBefore).toEqual(new Date((NOW_S - 200) * 1000));
  });

  it("reports valid and not-yet-valid tokens, and still throws for anything else", async () => {
    await expect(
      inspectToken(referenceToken(claims, JWE_SECRET, JWT_SECRET), options),
    ).resolves.toMatchObject({
      status: "valid",
    });
    const future = referenceToken({ ...claims, nbf: NOW_S + 600 }, JWE_SECRET, JWT_SECRET);
    await expect(inspectToken(future, options)).resolves.toMatchObject({ status: "not_yet_valid" });
    await expect(inspectToken(referenceUnsignedToken(claims, JWE_SECRET), options)).rejects.toMatchObject({
      code: "TOKEN_SIGNATURE_REQUIRED",
    });
  });
});

describe("caller mistakes", () => {
  it("throws TypeError for invalid options", async () => {
    const token = await mintToken(claims, { currentDate: NOW, jweSecret: "ok", jwtSecret: "ok" });
    for (const bad of [
      { jweSecrets: "" },
      { jweSecrets: [] },
      { jweSecrets: ["ok", ""] },
      { jweSecrets: "ok", jwtSecret: "" },
      { jweSecrets: "ok", maxTokenBytes: 0 },
      { jweSecrets: "ok", clockTolerance: -1 },
      { jweSecrets: "ok", maxTokenLifetime: 0 },
      { jweSecrets: "ok", maxTokenLifetime: 1.5 },
      { jweSecrets: "ok", currentDate: () => new Date(Number.NaN) },
    ] as VerifyOptions[]) {
      await expect(verifyToken(token, bad)).rejects.toBeInstanceOf(TypeError);
    }
  });
});

describe("error codes", () => {
  it("are each produced by some test above", () => {
    expect([...TOKEN_ERROR_CODES].filter((code) => !seen.has(code))).toEqual([]);
  });
});
