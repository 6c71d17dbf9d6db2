import { describe, expect, expectTypeOf, it } from "vitest";
import type { ConnectionClaims } from "./claims.js";
import { normalizeConnection } from "./normalize.js";

// @mcp/jwe's ConnectionClaims (the zod schema's inferred type), restated: this package must not
// depend on the token package, and the token's claims must stay assignable to the pool's type.
type TokenConnectionClaims = {
  host?: string | undefined;
  port?: number | undefined;
  database?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  protocol?: "http" | "tcp" | undefined;
  tls_enabled?: boolean | undefined;
  tls_ca_cert?: string | undefined;
  tls_client_cert?: string | undefined;
  tls_client_key?: string | undefined;
  tls_insecure_skip_verify?: boolean | undefined;
};

describe("ConnectionClaims", () => {
  it("is structural: a plain object with the claim fields is accepted", () => {
    const plain = {
      host: "ch.internal",
      port: 9440,
      database: "db",
      username: "reader",
      password: "secret",
      protocol: "tcp" as const,
      tls_enabled: true,
      tls_ca_cert: "/etc/ch/ca.pem",
      tls_client_cert: "/etc/ch/client.pem",
      tls_client_key: "/etc/ch/client.key",
      tls_insecure_skip_verify: false,
    };
    expectTypeOf(plain).toExtend<ConnectionClaims>();
    const claims: ConnectionClaims = plain;
    expect(normalizeConnection(claims, {}, Buffer.alloc(32)).port).toBe(9440);
  });

  it("accepts the token package's claims type, and claims with token-only fields beside them", () => {
    expectTypeOf<TokenConnectionClaims>().toExtend<ConnectionClaims>();
    expectTypeOf<TokenConnectionClaims & { jti?: string; exp: number }>().toExtend<ConnectionClaims>();
    expectTypeOf<{ host: number }>().not.toExtend<ConnectionClaims>();
    expectTypeOf<{ protocol: "ftp" }>().not.toExtend<ConnectionClaims>();
  });
});
