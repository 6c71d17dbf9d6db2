// The one table of Node.js/OpenSSL error codes that mean a network or a TLS failure, shared by
// this client and @mcp/clickhouse's HTTP driver, so both classify a failure the same way.

/** Codes of a connection that could not be made or was lost: refused, reset, unreachable, timed out. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_SOCKET",
]);

/**
 * Codes of a failed TLS handshake or certificate check (besides every `ERR_SSL_*`, `ERR_TLS_*`
 * and `ERR_OSSL_*` code): an untrusted, expired or self-signed certificate, a wrong name.
 */
export const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
  "EPROTO",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** True for a code of TLS_ERROR_CODES or any `ERR_SSL_*`, `ERR_TLS_*`, `ERR_OSSL_*` code. */
export function isTlsErrorCode(code: string | undefined): boolean {
  return code !== undefined && (TLS_ERROR_CODES.has(code) || /^ERR_(SSL|TLS|OSSL)_/.test(code));
}

/** True for a code of NETWORK_ERROR_CODES. */
export function isNetworkErrorCode(code: string | undefined): boolean {
  return code !== undefined && NETWORK_ERROR_CODES.has(code);
}
