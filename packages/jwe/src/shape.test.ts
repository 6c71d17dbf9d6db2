import { describe, expect, it } from "vitest";
import { looksLikeCompactJwe } from "./index.js";

describe("looksLikeCompactJwe", () => {
  it("accepts five base64url parts with a header", () => {
    expect(looksLikeCompactJwe("eyJh.abc.def.ghi.jkl")).toBe(true);
    expect(looksLikeCompactJwe("eyJh..iv..tag")).toBe(true);
  });

  it.each([
    "",
    "sse",
    "mcp",
    ".well-known",
    "a.b.c",
    "a.b.c.d",
    "a.b.c.d.e.f",
    ".b.c.d.e",
    "a.b.c.d.e+",
    "a b.c.d.e.f",
    "a.b.c.d.e\n",
  ])("refuses %j", (value) => {
    expect(looksLikeCompactJwe(value)).toBe(false);
  });
});
