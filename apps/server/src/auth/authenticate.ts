import { createHash } from "node:crypto";
import {
  CONNECTION_CLAIM_NAMES,
  type ConnectionClaims,
  type TokenClaims,
  type TokenVerifier,
} from "@mcp/jwe";
import { defaultConnection } from "../config/default-connection.js";
import type { ServerConfig } from "../config/server-config.js";
import { extractToken, type TokenSource } from "./extract-token.js";
import { type TokenRejection, tokenRejection } from "./token-rejection.js";

export interface RequestAuth {
  connection: ConnectionClaims;
  /** The verified claims; absent when JWE is off. */
  claims?: TokenClaims;
  /** SHA-256 of the token, to bind an SSE session to it without keeping the token. */
  tokenDigest?: Buffer;
  tokenSource?: TokenSource;
}

export type AuthOutcome = { ok: true; auth: RequestAuth } | { ok: false; rejection: TokenRejection };

export interface Authenticator {
  readonly jwe: boolean;
  authenticate(pathToken: string | undefined, headers: Headers): Promise<AuthOutcome>;
}

export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

function connectionClaims(claims: TokenClaims): ConnectionClaims {
  const connection: Record<string, unknown> = {};
  for (const name of CONNECTION_CLAIM_NAMES) {
    if (claims[name] !== undefined) connection[name] = claims[name];
  }
  return connection as ConnectionClaims;
}

/**
 * The connection a verified token describes. The operator's own credentials are only ever used
 * with `fillFromDefault`, and then only for the operator's own host: filling a username and
 * password into a token that names another host would hand them to whoever minted that token.
 */
export function connectionFromClaims(
  claims: TokenClaims,
  config: ServerConfig,
): ConnectionClaims | TokenRejection {
  const fromToken = connectionClaims(claims);
  if (!config.jwe.fillFromDefault) {
    if (fromToken.host === undefined)
      return { code: "TOKEN_CLAIMS_INVALID", claim: "host", detail: "required" };
    return fromToken;
  }
  const operator = defaultConnection(config.clickhouse);
  if (fromToken.host !== undefined && fromToken.host !== operator.host) return fromToken;
  return { ...operator, ...fromToken };
}

/**
 * Turns a request into the ClickHouse connection it may use. Without JWE every request uses the
 * configured ClickHouse; with JWE a verified token is required and is the only source.
 */
export function createAuthenticator(
  config: ServerConfig,
  verifier: TokenVerifier | undefined,
): Authenticator {
  if (!config.jwe.allow || verifier === undefined) {
    const connection = defaultConnection(config.clickhouse);
    return {
      jwe: false,
      authenticate: async () => ({ ok: true, auth: { connection } }),
    };
  }
  return {
    jwe: true,
    async authenticate(pathToken, headers) {
      const extracted = extractToken(pathToken, headers);
      if (extracted === undefined) return { ok: false, rejection: { code: "TOKEN_MISSING" } };
      let claims: TokenClaims;
      try {
        claims = (await verifier.verify(extracted.token)).claims;
      } catch (error) {
        return { ok: false, rejection: tokenRejection(error) };
      }
      const connection = connectionFromClaims(claims, config);
      if ("code" in connection) return { ok: false, rejection: connection };
      return {
        ok: true,
        auth: {
          connection,
          claims,
          tokenDigest: tokenDigest(extracted.token),
          tokenSource: extracted.source,
        },
      };
    },
  };
}
