import { describe, expect, it } from "vitest";
import { TokenCallLimiter } from "./call-limiter.js";

describe("TokenCallLimiter", () => {
  it("gives each token its own slots up to the cap, and frees them on release", () => {
    const limiter = new TokenCallLimiter(2);
    const a1 = limiter.tryAcquire("a");
    const a2 = limiter.tryAcquire("a");
    expect(a1).toBeTypeOf("function");
    expect(a2).toBeTypeOf("function");
    expect(limiter.tryAcquire("a")).toBeUndefined();
    expect(limiter.tryAcquire("b")).toBeTypeOf("function");
    a1?.();
    a1?.(); // idempotent: a second release frees nothing more
    expect(limiter.running("a")).toBe(1);
    expect(limiter.tryAcquire("a")).toBeTypeOf("function");
    expect(limiter.tryAcquire("a")).toBeUndefined();
  });
});
