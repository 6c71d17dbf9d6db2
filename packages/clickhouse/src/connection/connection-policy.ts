import { randomBytes } from "node:crypto";
import type { ConnectionClaims } from "./claims.js";
import { compileHostAllowList } from "./host-policy.js";
import { type ConnectionDefaults, normalizeConnection } from "./normalize.js";
import { TlsFileReader } from "./tls-files.js";

export interface ConnectionPolicyOptions {
  /** As PoolOptions.allowedHosts. */
  allowedHosts?: readonly string[];
  /** As PoolOptions.allowedTlsDirs. */
  allowedTlsDirs?: readonly string[];
  /** As PoolOptions.defaults. */
  defaults?: ConnectionDefaults;
}

/**
 * The pool's judgement of connection claims, for callers outside the pool (a token generator
 * that must refuse to mint what the pool would refuse): normalises host, port and protocol as the
 * pool does, applies the host allow-list (with ports) and the TLS-directory allow-list, without
 * connecting anywhere or reading any file. Rejects with DatabaseError: INVALID_CONNECTION,
 * UNSUPPORTED_PROTOCOL, HOST_NOT_ALLOWED, TLS_FILE_NOT_ALLOWED, TLS_FILE_UNREADABLE.
 */
export function createConnectionPolicy(
  options: ConnectionPolicyOptions = {},
): (claims: ConnectionClaims) => Promise<void> {
  const checkHost = compileHostAllowList(options.allowedHosts);
  const tlsFiles = new TlsFileReader(options.allowedTlsDirs);
  const defaults = { ...options.defaults };
  // Only to build the pool key, which is thrown away here.
  const passwordKey = randomBytes(32);
  return async (claims) => {
    const connection = normalizeConnection(claims, defaults, passwordKey);
    checkHost(connection.host, connection.port);
    const { tls } = connection;
    if (tls?.caCert !== undefined) await tlsFiles.check(tls.caCert, "CA certificate");
    if (tls?.clientCert !== undefined) await tlsFiles.check(tls.clientCert, "client certificate");
    if (tls?.clientKey !== undefined) await tlsFiles.check(tls.clientKey, "client key");
  };
}
