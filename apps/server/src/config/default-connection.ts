import type { ConnectionClaims } from "@mcp/jwe";
import type { DefaultClickHouseConfig } from "./server-config.js";

/**
 * The operator's ClickHouse as connection claims, the same shape a token carries, so the pool and
 * tools treat "no JWE" and "JWE" alike. Empty optional values are left out, as the reference's
 * generator leaves them out of tokens.
 */
export function defaultConnection(config: DefaultClickHouseConfig): ConnectionClaims {
  const claims: ConnectionClaims = {
    host: config.host,
    port: config.port,
    database: config.database,
    username: config.username,
    protocol: config.protocol,
  };
  if (config.password !== "") claims.password = config.password;
  if (config.tlsEnabled) {
    claims.tls_enabled = true;
    if (config.tlsCaCert) claims.tls_ca_cert = config.tlsCaCert;
    if (config.tlsClientCert) claims.tls_client_cert = config.tlsClientCert;
    if (config.tlsClientKey) claims.tls_client_key = config.tlsClientKey;
    if (config.tlsInsecureSkipVerify) claims.tls_insecure_skip_verify = true;
  }
  return claims;
}
