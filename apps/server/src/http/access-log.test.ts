import { describe, expect, it } from "vitest";
import { redactPath } from "./access-log.js";

describe("redactPath", () => {
  it("keeps the server's fixed paths", () => {
    for (const path of [
      "/",
      "/health",
      "/livez",
      "/metrics",
      "/sse",
      "/mcp",
      "/message",
      "/jwe-token-generator",
    ]) {
      expect(redactPath(path)).toBe(path);
    }
  });

  it("replaces a token in the first segment", () => {
    const token = "eyJhbGciOiJBMjU2S1ciLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d";
    expect(redactPath(`/${token}/sse`)).toBe("/<redacted>/sse");
    expect(redactPath(`/${token}/message`)).toBe("/<redacted>/message");
    expect(redactPath(`/${token}/mcp`)).toBe("/<redacted>/mcp");
    expect(redactPath(`/${token}`)).toBe("/<redacted>");
  });

  it("collapses every other path, so nothing unexpected reaches a log or a label", () => {
    expect(redactPath("/favicon.ico")).toBe("/<redacted>");
    expect(redactPath("/health/extra")).toBe("/<redacted>");
    expect(redactPath("/x/secret-token")).toBe("/<redacted>");
  });

  it("shows /.well-known/<name> as itself, and redacts anything after the name", () => {
    expect(redactPath("/.well-known/oauth-protected-resource")).toBe("/.well-known/oauth-protected-resource");
    expect(redactPath("/.well-known/openid-configuration")).toBe("/.well-known/openid-configuration");
    const token = "eyJhbGciOiJBMjU2S1ciLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d";
    expect(redactPath(`/.well-known/oauth-protected-resource/${token}/mcp`)).toBe(
      "/.well-known/oauth-protected-resource/<redacted>",
    );
    expect(redactPath(`/.well-known/${"x".repeat(200)}`)).toBe(`/.well-known/${"x".repeat(64)}/<redacted>`);
    expect(redactPath("/a/sse/b")).toBe("/<redacted>");
  });
});
