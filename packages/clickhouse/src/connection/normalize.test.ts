import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { normalizeConnection } from "./normalize.js";

const secret = randomBytes(32);
const key = (claims: Parameters<typeof normalizeConnection>[0], defaults = {}) =>
  normalizeConnection(claims, defaults, secret).key;

describe("normalizeConnection", () => {
  it("fills in defaults: port 8123 (8443 with TLS), database and user `default`", () => {
    const plain = normalizeConnection({ host: "h" }, {}, secret);
    expect(plain).toMatchObject({ port: 8123, database: "default", username: "default", password: "" });
    expect(plain.tls).toBeUndefined();
    expect(normalizeConnection({ host: "h", tls_enabled: true }, {}, secret).port).toBe(8443);
  });

  it("uses the operator's defaults for absent or empty claims", () => {
    const c = normalizeConnection(
      { host: "", port: 0, database: "", username: "" },
      { host: "ch.internal", port: 9999, database: "analytics", username: "reader" },
      secret,
    );
    expect(c).toMatchObject({ port: 9999, database: "analytics", username: "reader" });
    expect(c.host.host).toBe("ch.internal");
  });

  it("gives equal claims the same key, whatever the spelling of the host", () => {
    expect(key({ host: "DB.example.com", password: "p" })).toBe(
      key({ host: "db.example.com.", password: "p", port: 8123 }),
    );
  });

  it("gives any difference in the connection claims a different key", () => {
    const base = { host: "h", port: 8123, database: "d", username: "u", password: "p" };
    const variants = [
      { ...base, host: "h2" },
      { ...base, port: 8124 },
      { ...base, database: "d2" },
      { ...base, username: "u2" },
      { ...base, password: "p2" },
      { ...base, tls_enabled: true },
      { ...base, tls_enabled: true, tls_ca_cert: "/ca.pem" },
      { ...base, tls_enabled: true, tls_insecure_skip_verify: true },
      { ...base, tls_enabled: true, tls_client_cert: "/c.pem", tls_client_key: "/k.pem" },
    ];
    const keys = new Set([key(base), ...variants.map((v) => key(v))]);
    expect(keys.size).toBe(variants.length + 1);
  });

  it("ignores TLS file claims while TLS is off", () => {
    expect(key({ host: "h", tls_ca_cert: "/ca.pem" })).toBe(key({ host: "h" }));
  });

  it("holds the password only as a keyed digest", () => {
    const password = "correct horse battery staple";
    const k = key({ host: "h", password });
    expect(k).not.toContain(password);
    expect(k).not.toContain(Buffer.from(password).toString("base64"));
    // Another pool (another secret) derives another digest, so keys cannot be compared across pools.
    expect(normalizeConnection({ host: "h", password }, {}, randomBytes(32)).key).not.toBe(k);
  });

  it("serves the native protocol on 9000 (9440 with TLS) under keys of its own", () => {
    const tcp = normalizeConnection({ host: "h", protocol: "tcp" }, {}, secret);
    expect(tcp).toMatchObject({ protocol: "tcp", port: 9000 });
    expect(normalizeConnection({ host: "h", protocol: "tcp", tls_enabled: true }, {}, secret).port).toBe(
      9440,
    );
    expect(normalizeConnection({ host: "h" }, {}, secret).protocol).toBe("http");
    // Same host, port and credentials over another protocol is another client.
    expect(key({ host: "h", port: 9000, protocol: "tcp" })).not.toBe(key({ host: "h", port: 9000 }));
    expect(key({ host: "h", protocol: "tcp" })).toBe(key({ host: "H", protocol: "tcp", port: 9000 }));
    expect(key({ host: "h", protocol: "tcp", tls_enabled: true })).not.toBe(
      key({ host: "h", protocol: "tcp" }),
    );
  });

  it("takes the default port only for the default protocol", () => {
    const defaults = { port: 18123 };
    expect(normalizeConnection({ host: "h" }, defaults, secret).port).toBe(18123);
    expect(normalizeConnection({ host: "h", protocol: "tcp" }, defaults, secret).port).toBe(9000);
    const nativeDefaults = { protocol: "tcp" as const, port: 19000 };
    expect(normalizeConnection({ host: "h" }, nativeDefaults, secret)).toMatchObject({
      protocol: "tcp",
      port: 19000,
    });
    expect(normalizeConnection({ host: "h", protocol: "http" }, nativeDefaults, secret).port).toBe(8123);
  });

  it.each([
    [{}, "INVALID_CONNECTION"],
    [{ host: "h", port: 70000 }, "INVALID_CONNECTION"],
    [{ host: "h", port: 1.5 }, "INVALID_CONNECTION"],
    [{ host: "h", tls_enabled: true, tls_client_cert: "/c.pem" }, "INVALID_CONNECTION"],
    [{ host: "h", protocol: "grpc" }, "UNSUPPORTED_PROTOCOL"],
    [{ host: "h", username: 5 }, "INVALID_CONNECTION"],
  ])("refuses %j with %s", (claims, code) => {
    expect(() => key(claims as never)).toThrow(expect.objectContaining({ code }));
  });
});
