import { DatabaseError } from "@mcp/clickhouse";
import { TOKEN_ERROR_CODES, TokenError } from "@mcp/jwe";
import { describe, expect, it } from "vitest";
import { boundMessage, tokenErrorResponse, tokenRejection, toolErrorResult } from "./http-errors.js";

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

describe("tool errors", () => {
  it("keep the code, ClickHouse code and type, and a bounded message", () => {
    const error = new DatabaseError("QUERY_FAILED", `Table x doesn't exist. ${"y".repeat(5000)}`, {
      clickhouseCode: 60,
      clickhouseType: "UNKNOWN_TABLE",
    });
    const { result, outcome, log } = toolErrorResult(error);
    expect(result.isError).toBe(true);
    const text = (result.content[0] as { text: string }).text;
    expect(text.startsWith("Error QUERY_FAILED (ClickHouse 60 UNKNOWN_TABLE): Table x doesn't exist.")).toBe(
      true,
    );
    expect(text.length).toBeLessThan(1100);
    expect(outcome).toBe("error");
    expect(log).toEqual({ code: "QUERY_FAILED", clickhouseCode: 60, clickhouseType: "UNKNOWN_TABLE" });
  });

  it("hide the message of unexpected errors", () => {
    const { result, log } = toolErrorResult(new Error("password=hunter2 at /secret/path"));
    expect((result.content[0] as { text: string }).text).not.toContain("hunter2");
    expect(log.code).toBe("INTERNAL");
  });

  it("report cancellation as its own outcome", () => {
    const controller = new AbortController();
    controller.abort();
    expect(toolErrorResult(new DatabaseError("QUERY_CANCELLED", "The query was cancelled")).outcome).toBe(
      "cancelled",
    );
    expect(toolErrorResult(new Error("aborted"), controller.signal).outcome).toBe("cancelled");
  });

  it("bound messages on a character budget", () => {
    expect(boundMessage("a\n  b")).toBe("a b");
    expect(boundMessage("x".repeat(20), 10)).toHaveLength(10);
  });
});
