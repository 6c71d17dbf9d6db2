const COMPACT_JWE = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){4}$/;

/**
 * Whether a string has the outline of a JWE compact serialization: five dot-separated base64url
 * parts, the header not empty. Says nothing about validity (verifyToken decides that); routers use
 * it to tell a token in a URL path from any other path segment.
 */
export function looksLikeCompactJwe(value: string): boolean {
  return COMPACT_JWE.test(value);
}
