import { TOKEN_ERROR_CODES, TokenError } from "@mcp/jwe";
import { describe, expect, it } from "vitest";
import { tokenRejection } from "../auth/token-rejection.js";
import { tokenErrorResponse } from "./errors.js";

describe("token rejections", () => {
  it.each(TOKEN_ERROR_CODES)("%s is a 401 invalid_token with WWW-Authenticate", (code) => {
    const response = tokenErrorResponse(tokenRejection(new TokenError(code, "x")));
    expect(response.status).toBe(401);
    expect(response.headers).toEqual({ "WWW-Authenticate": 'Bearer error="invalid_token"' });
    expect(response.body.error).toBe("invalid_token");
    expect(response.body.error_description.length).toBeGreaterThan(5);
  });

  it("names a known claim but never prints an odd one", () => {
    expect(
      tokenErrorResponse({ code: "TOKEN_CLAIMS_INVALID", claim: "host", detail: "required" }).body
        .error_description,
    ).toBe("token claims invalid: host required");
    expect(
      tokenErrorResponse({ code: "TOKEN_CLAIMS_INVALID", claim: "<script>" }).body.error_description,
    ).toBe("token claims invalid");
  });

  it("treats anything else thrown while verifying as a malformed token", () => {
    expect(tokenRejection(new Error("boom"))).toEqual({ code: "TOKEN_MALFORMED" });
  });
});
