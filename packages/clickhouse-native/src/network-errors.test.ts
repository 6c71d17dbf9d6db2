import { describe, expect, it } from "vitest";
import { isNetworkErrorCode, isTlsErrorCode } from "./network-errors.js";

describe("network and TLS error codes", () => {
  it.each([
    "HOSTNAME_MISMATCH",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "ERR_SSL_WRONG_VERSION_NUMBER",
    "ERR_OSSL_PEM_NO_START_LINE",
  ])("%s is a TLS failure", (code) => {
    expect(isTlsErrorCode(code)).toBe(true);
    expect(isNetworkErrorCode(code)).toBe(false);
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "UND_ERR_SOCKET"])(
    "%s is a network failure",
    (code) => {
      expect(isNetworkErrorCode(code)).toBe(true);
      expect(isTlsErrorCode(code)).toBe(false);
    },
  );

  it("knows nothing of other codes", () => {
    expect(isTlsErrorCode(undefined)).toBe(false);
    expect(isTlsErrorCode("ENOENT")).toBe(false);
    expect(isNetworkErrorCode("ENOENT")).toBe(false);
  });
});
