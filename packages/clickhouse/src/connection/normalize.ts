import { createHmac } from "node:crypto";
import { DatabaseError } from "../errors/database-error.js";
import type { ConnectionClaims } from "./claims.js";
import { type NormalizedHost, normalizeHost } from "./host-policy.js";
import { defaultPort, type Protocol } from "./ports.js";

export interface ConnectionDefaults {
  /** Used when a token has no `host` claim. Default: none (such tokens are refused). */
  host?: string;
  /** Used when a token has no `protocol` claim. Default: `http`. */
  protocol?: Protocol;
  /**
   * Used when a token has no `port` claim and names the default protocol (a port is specific to
   * its protocol). Default: 8123 (8443 with TLS) for HTTP, 9000 (9440 with TLS) for TCP.
   */
  port?: number;
  /** Default: `default`. */
  database?: string;
  /** Default: `default`. */
  username?: string;
}

export interface NormalizedConnection {
  key: string;
  protocol: Protocol;
  host: NormalizedHost;
  port: number;
  database: string;
  username: string;
  password: string;
  tls?: {
    caCert?: string;
    clientCert?: string;
    clientKey?: string;
    insecureSkipVerify: boolean;
  };
}

// Tokens from the reference generator leave out empty values, and Go's zero values mean
// "not set"; treat "" and 0 the same as an absent claim.
function text(value: unknown, claim: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string")
    throw new DatabaseError("INVALID_CONNECTION", `The ${claim} claim must be a string`);
  return value;
}

function flag(value: unknown, claim: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean")
    throw new DatabaseError("INVALID_CONNECTION", `The ${claim} claim must be a boolean`);
  return value;
}

/**
 * The canonical form of the connection claims and the pool key derived from it: host
 * lower-cased and canonical, defaults filled in, TLS file claims ignored unless TLS is on, and
 * the password present only as an HMAC under a per-pool secret (so a key seen in a debug log
 * does not allow guessing the password offline).
 */
export function normalizeConnection(
  claims: ConnectionClaims,
  defaults: ConnectionDefaults,
  passwordKey: Buffer,
): NormalizedConnection {
  const defaultProtocol = defaults.protocol ?? "http";
  const protocol = text(claims.protocol, "protocol") ?? defaultProtocol;
  if (protocol !== "http" && protocol !== "tcp") {
    throw new DatabaseError("UNSUPPORTED_PROTOCOL", `Unknown protocol "${protocol}"; use "http" or "tcp"`);
  }
  const rawHost = text(claims.host, "host") ?? defaults.host;
  if (rawHost === undefined) throw new DatabaseError("INVALID_CONNECTION", "The token has no host claim");
  const host = normalizeHost(rawHost);

  const tlsEnabled = flag(claims.tls_enabled, "tls_enabled");
  const rawPort = claims.port === 0 ? undefined : claims.port;
  const port =
    rawPort ??
    (protocol === defaultProtocol ? defaults.port : undefined) ??
    defaultPort(protocol, tlsEnabled);
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DatabaseError("INVALID_CONNECTION", "The port claim must be an integer between 1 and 65535");
  }
  const database = text(claims.database, "database") ?? defaults.database ?? "default";
  const username = text(claims.username, "username") ?? defaults.username ?? "default";
  const password = text(claims.password, "password") ?? "";

  let tls: NormalizedConnection["tls"];
  if (tlsEnabled) {
    const caCert = text(claims.tls_ca_cert, "tls_ca_cert");
    const clientCert = text(claims.tls_client_cert, "tls_client_cert");
    const clientKey = text(claims.tls_client_key, "tls_client_key");
    if ((clientCert === undefined) !== (clientKey === undefined)) {
      throw new DatabaseError(
        "INVALID_CONNECTION",
        "tls_client_cert and tls_client_key must be given together (or neither)",
      );
    }
    tls = {
      ...(caCert !== undefined && { caCert }),
      ...(clientCert !== undefined && { clientCert }),
      ...(clientKey !== undefined && { clientKey }),
      insecureSkipVerify: flag(claims.tls_insecure_skip_verify, "tls_insecure_skip_verify"),
    };
  }

  const passwordDigest = createHmac("sha256", passwordKey)
    .update(password, "utf8")
    .digest("base64url")
    .slice(0, 22);
  const key = JSON.stringify([
    protocol === "tcp" ? (tls ? "tcp+tls" : "tcp") : tls ? "https" : "http",
    host.host,
    port,
    database,
    username,
    passwordDigest,
    tls?.caCert ?? null,
    tls?.clientCert ?? null,
    tls?.clientKey ?? null,
    tls?.insecureSkipVerify ?? false,
  ]);
  return { key, protocol, host, port, database, username, password, ...(tls && { tls }) };
}
