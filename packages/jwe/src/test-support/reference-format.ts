/**
 * An independent implementation of the reference token format with node:crypto alone
 * (RFC 3394 key wrap, AES-256-GCM, HMAC-SHA256), so compatibility tests do not trust jose.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

export const REFERENCE_JWE_HEADER = '{"alg":"A256KW","enc":"A256GCM","cty":"JWT","typ":"JWE"}';
export const REFERENCE_UNSIGNED_JWE_HEADER = '{"alg":"A256KW","enc":"A256GCM","cty":"JSON","typ":"JWE"}';
export const REFERENCE_JWS_HEADER = '{"alg":"HS256","typ":"JWT"}';

// RFC 3394 default initial value.
const KEY_WRAP_IV = Buffer.from("A6A6A6A6A6A6A6A6", "hex");

export const b64u = (data: Buffer | string): string => Buffer.from(data).toString("base64url");
export const sha256 = (secret: string): Buffer => createHash("sha256").update(secret, "utf8").digest();

export function referenceSign(
  payload: string,
  jwtSecret: string,
  header = REFERENCE_JWS_HEADER,
  hash: "sha256" | "sha512" = "sha256",
): string {
  const signingInput = `${b64u(header)}.${b64u(payload)}`;
  const signature = createHmac(hash, sha256(jwtSecret)).update(signingInput).digest();
  return `${signingInput}.${b64u(signature)}`;
}

export interface EncryptParts {
  cek?: Buffer;
  iv?: Buffer;
}

export function referenceEncrypt(
  plaintext: string,
  jweSecret: string,
  header = REFERENCE_JWE_HEADER,
  parts: EncryptParts = {},
): string {
  const cek = parts.cek ?? randomBytes(32);
  const iv = parts.iv ?? randomBytes(12);
  const wrap = createCipheriv("id-aes256-wrap", sha256(jweSecret), KEY_WRAP_IV);
  const encryptedKey = Buffer.concat([wrap.update(cek), wrap.final()]);
  const protectedHeader = b64u(header);
  const gcm = createCipheriv("aes-256-gcm", cek, iv);
  gcm.setAAD(Buffer.from(protectedHeader, "ascii"));
  const ciphertext = Buffer.concat([gcm.update(plaintext, "utf8"), gcm.final()]);
  return [protectedHeader, b64u(encryptedKey), b64u(iv), b64u(ciphertext), b64u(gcm.getAuthTag())].join(".");
}

/** A signed reference token: HS256 JWT inside an A256KW/A256GCM JWE. */
export function referenceToken(claims: object, jweSecret: string, jwtSecret: string): string {
  return referenceEncrypt(referenceSign(JSON.stringify(claims), jwtSecret), jweSecret);
}

/** An unsigned reference token: the claims JSON inside the JWE, cty "JSON". */
export function referenceUnsignedToken(claims: object, jweSecret: string): string {
  return referenceEncrypt(JSON.stringify(claims), jweSecret, REFERENCE_UNSIGNED_JWE_HEADER);
}

export function referenceDecrypt(token: string, jweSecret: string): { header: string; plaintext: string } {
  const parts = token.split(".");
  if (parts.length !== 5) throw new Error("not a compact JWE");
  const [protectedHeader, encryptedKey, iv, ciphertext, tag] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  const unwrap = createDecipheriv("id-aes256-wrap", sha256(jweSecret), KEY_WRAP_IV);
  const cek = Buffer.concat([unwrap.update(Buffer.from(encryptedKey, "base64url")), unwrap.final()]);
  const gcm = createDecipheriv("aes-256-gcm", cek, Buffer.from(iv, "base64url"));
  gcm.setAAD(Buffer.from(protectedHeader, "ascii"));
  gcm.setAuthTag(Buffer.from(tag, "base64url"));
  const plaintext = Buffer.concat([gcm.update(Buffer.from(ciphertext, "base64url")), gcm.final()]);
  return {
    header: Buffer.from(protectedHeader, "base64url").toString("utf8"),
    plaintext: plaintext.toString("utf8"),
  };
}

export function referenceVerify(jws: string, jwtSecret: string): { header: string; payload: string } {
  const parts = jws.split(".");
  if (parts.length !== 3) throw new Error("not a compact JWS");
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac("sha256", sha256(jwtSecret)).update(`${header}.${payload}`).digest();
  const actual = Buffer.from(signature, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new Error("bad signature");
  }
  return {
    header: Buffer.from(header, "base64url").toString("utf8"),
    payload: Buffer.from(payload, "base64url").toString("utf8"),
  };
}

/** Flips one bit of the decoded byte at `byteIndex` of part `partIndex` and re-encodes canonically. */
export function tamperByte(token: string, partIndex: number, byteIndex: number): string {
  const parts = token.split(".");
  const bytes = Buffer.from(parts[partIndex] ?? "", "base64url");
  if (byteIndex >= bytes.length) throw new Error("byte index out of range");
  bytes[byteIndex] = (bytes[byteIndex] ?? 0) ^ 0x01;
  parts[partIndex] = b64u(bytes);
  return parts.join(".");
}

export function replacePart(token: string, partIndex: number, value: string): string {
  const parts = token.split(".");
  parts[partIndex] = value;
  return parts.join(".");
}

export function partBytes(token: string, partIndex: number): Buffer {
  return Buffer.from(token.split(".")[partIndex] ?? "", "base64url");
}
