/** Where a request's token came from, in order of precedence. */
export type TokenSource = "path" | "authorization" | "x-altinity-mcp-key";

export interface ExtractedToken {
  token: string;
  source: TokenSource;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The credential of an `Authorization: Bearer <credential>` header; undefined for any other scheme. */
export function bearerCredential(header: string | undefined): string | undefined {
  return BEARER.exec(header ?? "")?.[1] || undefined;
}

/**
 * One precedence order for every endpoint: the token in the path (`/<token>/sse`), then
 * `Authorization: Bearer <token>`, then `X-Altinity-MCP-Key: <token>`. An Authorization header
 * with another scheme is ignored rather than rejected, so a proxy's Basic auth does not hide
 * an X-Altinity-MCP-Key.
 */
export function extractToken(pathToken: string | undefined, headers: Headers): ExtractedToken | undefined {
  if (pathToken !== undefined && pathToken !== "") return { token: pathToken, source: "path" };
  const bearer = bearerCredential(headers.get("authorization") ?? undefined);
  if (bearer) return { token: bearer, source: "authorization" };
  // Only HTTP's own whitespace (space, tab) surrounds a header value: String#trim would also strip
  // U+00A0 and U+FEFF, accepting a token the client did not send as-is.
  const key = headers.get("x-altinity-mcp-key")?.replace(/^[ \t]+|[ \t]+$/g, "");
  if (key) return { token: key, source: "x-altinity-mcp-key" };
  return undefined;
}
