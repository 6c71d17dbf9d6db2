import type { Protocol } from "./ports.js";

/**
 * Where and as whom to reach ClickHouse, with the claim names of the token (`@mcp/jwe`'s
 * `ConnectionClaims` is assignable to it). Every field is optional: absent ones take the pool's
 * `defaults`; "" and 0 count as absent (the reference generator leaves values out that way).
 * Structural on purpose: the pool needs the shape, not the token logic.
 */
export interface ConnectionClaims {
  host?: string;
  /** Default: by protocol and TLS, see `defaultPort`. */
  port?: number;
  /** Default: `default`. */
  database?: string;
  /** Default: `default`. */
  username?: string;
  /** Never defaulted: absent is the empty password. */
  password?: string;
  /** `http` (default) or `tcp`; anything else is refused with UNSUPPORTED_PROTOCOL. */
  protocol?: Protocol;
  tls_enabled?: boolean;
  /** Path of a PEM file with the CA to trust (only that CA when given). */
  tls_ca_cert?: string;
  /** Path of a PEM client certificate; requires `tls_client_key`. */
  tls_client_cert?: string;
  /** Path of the client certificate's PEM key; requires `tls_client_cert`. */
  tls_client_key?: string;
  tls_insecure_skip_verify?: boolean;
}
