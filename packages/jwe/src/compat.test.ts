import { describe, expect, it } from "vitest";
import { mintToken, verifyToken } from "./index.js";
import {
  REFERENCE_JWE_HEADER,
  REFERENCE_JWS_HEADER,
  REFERENCE_UNSIGNED_JWE_HEADER,
  referenceDecrypt,
  referenceEncrypt,
  referenceSign,
  referenceToken,
  referenceUnsignedToken,
  referenceVerify,
} from "./test-support/reference-format.js";

const JWE_SECRET = "reference-jwe-secret-of-enough-length";
const JWT_SECRET = "reference-jwt-secret-of-enough-length";
const NOW = new Date("2030-01-01T00:00:00Z");
const NOW_S = NOW.getTime() / 1000;
const currentDate = () => NOW;

// What the reference generator emits for a TLS connection (Go sorts map keys when encoding).
const referenceClaims = {
  database: "my_database",
  exp: NOW_S + 3600,
  host: "clickhouse.example.com",
  limit: 1000,
  password: "my_password",
  port: 9440,
  protocol: "tcp" as const,
  tls_ca_cert: "/path/to/ca.crt",
  tls_client_cert: "/path/to/client.crt",
  tls_client_key: "/path/to/client.key",
  tls_enabled: true,
  username: "my_user",
};

describe("a token built by the independent node:crypto path", () => {
  it("verifies when signed (cty JWT, HS256 inside)", async () => {
    const token = referenceToken(referenceClaims, JWE_SECRET, JWT_SECRET);
    const verified = await verifyToken(token, { jweSecrets: JWE_SECRET, jwtSecret: JWT_SECRET, currentDate });
    expect(verified.signed).toBe(true);
    expect(verified.claims).toEqual(referenceClaims);
    expect(verified.expiresAt).toEqual(new Date((NOW_S + 3600) * 1000));
  });

  it("verifies when unsigned (cty JSON) and no JWT secret is configured", async () => {
    const token = referenceUnsignedToken(referenceClaims, JWE_SECRET);
    const verified = await verifyToken(token, { jweSecrets: JWE_SECRET, currentDate });
    expect(verified.signed).toBe(false);
    expect(verified.claims).toEqual(referenceClaims);
  });

  it("verifies with a fixed content key and IV (deterministic bytes)", async () => {
    const token = referenceEncrypt(
      referenceSign(JSON.stringify({ exp: NOW_S + 60 }), JWT_SECRET),
      JWE_SECRET,
      undefined,
      {
        cek: Buffer.alloc(32, 7),
        iv: Buffer.alloc(12, 9),
      },
    );
    expect(token.split(".")[2]).toBe("CQkJCQkJCQkJCQkJ");
    const verified = await verifyToken(token, { jweSecrets: JWE_SECRET, jwtSecret: JWT_SECRET, currentDate });
    expect(verified.claims).toEqual({ exp: NOW_S + 60 });
  });

  it("derives both keys as SHA-256 of the UTF-8 secret, whatever its length", async () => {
    for (const [jwe, jwt] of [
      ["s", "t"],
      ["pässwörd-🔑", "ключ-秘密"],
      ["x".repeat(500), "y".repeat(1000)],
    ] as const) {
      const token = referenceToken({ exp: NOW_S + 60 }, jwe, jwt);
      await expect(
        verifyToken(token, { jweSecrets: jwe, jwtSecret: jwt, currentDate }),
      ).resolves.toMatchObject({
        signed: true,
      });
    }
  });
});

describe("a token minted by @mcp/jwe, opened by the independent node:crypto path", () => {
  it("has the exact reference headers, key derivation and HS256 signature", async () => {
    const { exp: _exp, ...claims } = referenceClaims;
    const token = await mintToken(claims, {
      jweSecret: JWE_SECRET,
      jwtSecret: JWT_SECRET,
      expiresIn: 600,
      currentDate: NOW,
    });
    const { header, plaintext } = referenceDecrypt(token, JWE_SECRET);
    expect(header).toBe(REFERENCE_JWE_HEADER);
    const inner = referenceVerify(plaintext, JWT_SECRET);
    expect(inner.header).toBe(REFERENCE_JWS_HEADER);
    expect(JSON.parse(inner.payload)).toEqual({ ...claims, exp: NOW_S + 600 });
  });

  it("is unsigned with cty JSON and the bare claims when no JWT secret is given", async () => {
    const token = await mintToken({ host: "h", port: 8123 }, { jweSecret: "pässwörd-🔑", currentDate: NOW });
    const { header, plaintext } = referenceDecrypt(token, "pässwörd-🔑");
    expect(header).toBe(REFERENCE_UNSIGNED_JWE_HEADER);
    expect(JSON.parse(plaintext)).toEqual({ host: "h", port: 8123, exp: NOW_S + 3600 });
  });

  it("cannot be opened by the independent path with another secret", async () => {
    const token = await mintToken({ host: "h" }, { jweSecret: JWE_SECRET, jwtSecret: JWT_SECRET });
    expect(() => referenceDecrypt(token, "another-secret")).toThrow();
    const { plaintext } = referenceDecrypt(token, JWE_SECRET);
    expect(() => referenceVerify(plaintext, "another-secret")).toThrow("bad signature");
  });
});
