import { describe, expect, it } from "vitest";
import { DatabaseError } from "./errors.js";
import { compileHostAllowList, createHostPolicy, normalizeHost } from "./host-allow-list.js";

function allowed(rules: readonly string[] | undefined, host: string): boolean {
  const check = compileHostAllowList(rules);
  try {
    check(normalizeHost(host));
    return true;
  } catch (error) {
    if (error instanceof DatabaseError && error.code === "HOST_NOT_ALLOWED") return false;
    throw error;
  }
}

describe("normalizeHost", () => {
  it.each([
    ["DB.Example.COM", "db.example.com"],
    ["db.example.com.", "db.example.com"],
    ["127.1", "127.0.0.1"],
    ["0x7f.0.0.1", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["::1", "::1"],
    ["[::1]", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"],
  ])("%s -> %s", (raw, host) => {
    expect(normalizeHost(raw).host).toBe(host);
  });

  it("puts IPv6 in brackets for URLs", () => {
    expect(normalizeHost("::1").urlHost).toBe("[::1]");
  });

  it.each([
    "evil.com/path",
    "user:pw@evil.com",
    "a b",
    "evil.com:8123",
    "",
    "-bad.com",
    "1.2.3.4.5",
    "fe80::1%eth0",
    "a..b",
  ])("refuses %j", (raw) => {
    expect(() => normalizeHost(raw)).toThrow(expect.objectContaining({ code: "INVALID_CONNECTION" }));
  });
});

describe("compileHostAllowList", () => {
  it("allows everything without rules", () => {
    expect(allowed(undefined, "anything.example")).toBe(true);
  });

  it("matches exact names case-insensitively and nothing else", () => {
    const rules = ["db.internal"];
    expect(allowed(rules, "DB.internal")).toBe(true);
    expect(allowed(rules, "db.internal.")).toBe(true);
    expect(allowed(rules, "x.db.internal")).toBe(false);
    expect(allowed(rules, "db.internal.evil.com")).toBe(false);
  });

  it("matches *.suffix below the suffix only", () => {
    const rules = ["*.example.com"];
    expect(allowed(rules, "a.example.com")).toBe(true);
    expect(allowed(rules, "a.b.example.com")).toBe(true);
    expect(allowed(rules, "example.com")).toBe(false);
    expect(allowed(rules, "evilexample.com")).toBe(false);
    expect(allowed(rules, "example.com.evil.net")).toBe(false);
  });

  it("matches IPv4 and IPv6 ranges against the canonical IP, never against names", () => {
    const rules = ["10.0.0.0/8", "::1/128"];
    expect(allowed(rules, "10.1.2.3")).toBe(true);
    expect(allowed(rules, "10.255.255.255")).toBe(true);
    expect(allowed(rules, "11.0.0.1")).toBe(false);
    expect(allowed(rules, "::1")).toBe(true);
    expect(allowed(rules, "::2")).toBe(false);
    expect(allowed(rules, "0x0a000001")).toBe(true); // 10.0.0.1 written in hex
    expect(allowed(rules, "::ffff:10.0.0.1")).toBe(true); // IPv4-mapped IPv6
    expect(allowed(rules, "localhost")).toBe(false);
  });

  it("matches an exact IP rule against other spellings of the same address", () => {
    expect(allowed(["127.0.0.1"], "127.1")).toBe(true);
    expect(allowed(["127.0.0.1"], "127.0.0.2")).toBe(false);
  });

  it("names the host, not the rules, when refusing", () => {
    const check = compileHostAllowList(["secret-internal.example"]);
    expect(() => check(normalizeHost("other.example"))).toThrow(
      /Host "other\.example" is not in the server's list/,
    );
    try {
      check(normalizeHost("other.example"));
    } catch (error) {
      expect((error as Error).message).not.toContain("secret-internal");
    }
  });

  it.each(["10.0.0.0/33", "foo/8", "*.", "a.*.com", "*", ""])("rejects the invalid rule %j", (rule) => {
    expect(() => compileHostAllowList([rule])).toThrow(TypeError);
  });
});

describe("createHostPolicy", () => {
  it("judges the host the pool would connect to, not the text of the claim", () => {
    const check = createHostPolicy(["127.0.0.1", "*.internal"]);
    expect(() => check("127.1")).not.toThrow();
    expect(() => check("db.internal")).not.toThrow();
    expect(() => check("db.example.com")).toThrow(expect.objectContaining({ code: "HOST_NOT_ALLOWED" }));
    expect(() => check("not a host")).toThrow(expect.objectContaining({ code: "INVALID_CONNECTION" }));
  });

  it("allows every valid host without rules", () => {
    expect(() => createHostPolicy(undefined)("anything.example.com")).not.toThrow();
  });
});
