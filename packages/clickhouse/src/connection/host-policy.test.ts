import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DatabaseError } from "../errors/database-error.js";
import { createConnectionPolicy } from "./connection-policy.js";
import { compileHostAllowList, normalizeHost } from "./host-policy.js";

function allowed(rules: readonly string[] | undefined, host: string, port = 8123): boolean {
  const check = compileHostAllowList(rules);
  try {
    check(normalizeHost(host), port);
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

  it("allows only the standard ClickHouse ports for a rule without a port", () => {
    for (const port of [8123, 8443, 9000, 9440]) expect(allowed(["127.0.0.1"], "127.0.0.1", port)).toBe(true);
    for (const port of [22, 6379, 8080, 18123]) expect(allowed(["127.0.0.1"], "127.0.0.1", port)).toBe(false);
    expect(allowed(["*.internal", "10.0.0.0/8"], "db.internal", 3306)).toBe(false);
    expect(allowed(["*.internal", "10.0.0.0/8"], "10.1.1.1", 5432)).toBe(false);
  });

  it("matches :port and :* on every kind of rule, IPv6 in brackets", () => {
    expect(allowed(["127.0.0.1:18123"], "127.0.0.1", 18123)).toBe(true);
    expect(allowed(["127.0.0.1:18123"], "127.0.0.1", 8123)).toBe(false);
    expect(allowed(["127.0.0.1:18123"], "127.0.0.2", 18123)).toBe(false);
    expect(allowed(["db.internal:*"], "db.internal", 1)).toBe(true);
    expect(allowed(["*.internal:9000"], "a.internal", 9000)).toBe(true);
    expect(allowed(["*.internal:9000"], "a.internal", 9001)).toBe(false);
    expect(allowed(["10.0.0.0/8:*"], "10.9.9.9", 65535)).toBe(true);
    expect(allowed(["[::1]:18123"], "::1", 18123)).toBe(true);
    expect(allowed(["[::1]:18123"], "::1", 18124)).toBe(false);
    expect(allowed(["[fd00::/8]:*"], "fd12::1", 7)).toBe(true);
    expect(allowed(["::1"], "::1", 8123)).toBe(true);
    expect(allowed(["::1"], "::1", 18123)).toBe(false);
  });

  it("names the host and port, not the rules, when refusing", () => {
    const check = compileHostAllowList(["secret-internal.example"]);
    expect(() => check(normalizeHost("other.example"), 8123)).toThrow(
      /Host "other\.example" port 8123 is not in the server's list/,
    );
    try {
      check(normalizeHost("other.example"), 8123);
    } catch (error) {
      expect((error as Error).message).not.toContain("secret-internal");
    }
  });

  it.each([
    "10.0.0.0/33",
    "foo/8",
    "*.",
    "a.*.com",
    "*",
    "",
    "db:0",
    "db:65536",
    "db:http",
    "[::1",
    "[::1]x",
    "db:",
  ])("rejects the invalid rule %j", (rule) => {
    expect(() => compileHostAllowList([rule])).toThrow(TypeError);
  });
});

describe("createConnectionPolicy", () => {
  it("judges the host and port the pool would connect to, not the text of the claims", async () => {
    const check = createConnectionPolicy({ allowedHosts: ["127.0.0.1", "*.internal:18123"] });
    await expect(check({ host: "127.1" })).resolves.toBeUndefined();
    await expect(check({ host: "127.1", protocol: "tcp", tls_enabled: true })).resolves.toBeUndefined(); // 9440
    await expect(check({ host: "127.0.0.1", port: 6379 })).rejects.toMatchObject({
      code: "HOST_NOT_ALLOWED",
    });
    await expect(check({ host: "db.internal", port: 18123 })).resolves.toBeUndefined();
    await expect(check({ host: "db.internal" })).rejects.toMatchObject({ code: "HOST_NOT_ALLOWED" });
    await expect(check({ host: "db.example.com" })).rejects.toMatchObject({ code: "HOST_NOT_ALLOWED" });
    await expect(check({ host: "not a host" })).rejects.toMatchObject({ code: "INVALID_CONNECTION" });
    await expect(check({ host: "127.0.0.1", protocol: "ftp" as "http" })).rejects.toMatchObject({
      code: "UNSUPPORTED_PROTOCOL",
    });
  });

  it("applies the TLS-directory allow-list without reading the files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "policy-tls-"));
    const inside = join(dir, "ca.pem");
    await writeFile(inside, "not even a certificate");
    const check = createConnectionPolicy({ allowedTlsDirs: [dir] });
    const tls = { host: "db", tls_enabled: true } as const;
    await expect(check({ ...tls, tls_ca_cert: inside })).resolves.toBeUndefined();
    await expect(check({ ...tls, tls_ca_cert: "/etc/passwd" })).rejects.toMatchObject({
      code: "TLS_FILE_NOT_ALLOWED",
    });
    await expect(check({ ...tls, tls_ca_cert: `${dir}/../../etc/passwd` })).rejects.toMatchObject({
      code: "TLS_FILE_NOT_ALLOWED",
    });
    await expect(
      check({ ...tls, tls_client_cert: inside, tls_client_key: "/root/.ssh/id_rsa" }),
    ).rejects.toMatchObject({ code: "TLS_FILE_NOT_ALLOWED" });
    // TLS file claims without tls_enabled are ignored, as the pool ignores them.
    await expect(check({ host: "db", tls_ca_cert: "/etc/passwd" })).resolves.toBeUndefined();
  });

  it("allows every valid host and port without rules", async () => {
    await expect(
      createConnectionPolicy()({ host: "anything.example.com", port: 1 }),
    ).resolves.toBeUndefined();
  });
});
