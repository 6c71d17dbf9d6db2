import { describe, expect, it } from "vitest";
import { extractToken } from "./extract-token.js";

const headers = (init: Record<string, string>) => new Headers(init);

describe("extractToken", () => {
  it("prefers the path, then Authorization: Bearer, then X-Altinity-MCP-Key", () => {
    const all = headers({ Authorization: "Bearer from-bearer", "X-Altinity-MCP-Key": "from-key" });
    expect(extractToken("from-path", all)).toEqual({ token: "from-path", source: "path" });
    expect(extractToken(undefined, all)).toEqual({ token: "from-bearer", source: "authorization" });
    expect(extractToken(undefined, headers({ "X-Altinity-MCP-Key": " from-key " }))).toEqual({
      token: "from-key",
      source: "x-altinity-mcp-key",
    });
  });

  it("accepts any case of the Bearer scheme and ignores other schemes", () => {
    expect(extractToken(undefined, headers({ Authorization: "bearer abc" }))?.token).toBe("abc");
    expect(extractToken(undefined, headers({ Authorization: "Basic dXNlcjpwYXNz" }))).toBeUndefined();
    expect(
      extractToken(undefined, headers({ Authorization: "Basic dXNlcjpwYXNz", "X-Altinity-MCP-Key": "k" }))
        ?.source,
    ).toBe("x-altinity-mcp-key");
  });

  it("strips only HTTP whitespace around X-Altinity-MCP-Key, never U+00A0", () => {
    // Found by the token fuzzer: String#trim turned "\u00a0<genuine token>" (byte 0xA0 on the
    // wire) into the genuine token.
    for (const odd of ["\u00a0"]) {
      expect(extractToken(undefined, headers({ "X-Altinity-MCP-Key": `${odd}tok` }))?.token).toBe(
        `${odd}tok`,
      );
      expect(extractToken(undefined, headers({ "X-Altinity-MCP-Key": `tok${odd}` }))?.token).toBe(
        `tok${odd}`,
      );
    }
    expect(extractToken(undefined, headers({ "X-Altinity-MCP-Key": "\ttok \t" }))?.token).toBe("tok");
  });

  it("finds nothing in empty values", () => {
    expect(
      extractToken("", headers({ Authorization: "Bearer ", "X-Altinity-MCP-Key": "  " })),
    ).toBeUndefined();
    expect(extractToken(undefined, headers({ Authorization: "Bearer a b" }))).toBeUndefined();
  });
});
