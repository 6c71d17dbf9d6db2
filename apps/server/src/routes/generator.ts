import { timingSafeEqual } from "node:crypto";
import { createConnectionPolicy } from "@mcp/clickhouse";
import {
  DEFAULT_EXPIRES_IN,
  isTokenError,
  type MintableClaims,
  mintToken,
  parseClaims,
  type TokenClaims,
} from "@mcp/jwe";
import type { Context } from "hono";
import type { Logger } from "pino";
import { connectionFromClaims, tokenDigest } from "../auth/authenticate.js";
import { bearerCredential } from "../auth/extract-token.js";
import type { ServerConfig } from "../config/server-config.js";
import { badRequest, connectionPolicyRefusal, httpError, jsonResponse } from "../http/errors.js";
import { readJsonBody } from "../http/json-body.js";
import { isPlainObject } from "../is-plain-object.js";

function operatorKeyMatches(header: string | undefined, key: string): boolean {
  const credential = bearerCredential(header);
  if (!credential) return false;
  // Digests have equal lengths, so the comparison takes the same time whatever was sent.
  return timingSafeEqual(tokenDigest(credential), tokenDigest(key));
}

/**
 * `POST /jwe-token-generator`, as the reference documents it: a JSON body with the claims plus
 * `expiry` (seconds, 0 or absent = DEFAULT_EXPIRES_IN, 3600), answered with `{"token": ...}`. Stricter than the
 * reference: off unless enabled (the route does not exist), an operator key when configured (and
 * always off a loopback address, see config), `Content-Type: application/json` only (a
 * cross-site form or `text/plain` post cannot reach it without a CORS preflight), the pool's own
 * host (with port) and TLS-directory policy, and never past the maximum token lifetime.
 */
export function createGeneratorHandler(
  config: ServerConfig,
  logger: Logger,
): (c: Context) => Promise<Response> {
  const checkConnection = createConnectionPolicy({
    allowedHosts: config.pool.allowedHosts,
    allowedTlsDirs: config.pool.allowedTlsDirs,
  });
  const maxLifetime = config.jwe.maxTokenLifetimeSeconds;

  return async (c: Context): Promise<Response> => {
    const jweSecret = config.jwe.jweSecretKeys[0];
    if (!config.jwe.allow || jweSecret === undefined) {
      return jsonResponse(httpError("forbidden", "JWE authentication is not enabled on this server"));
    }
    if (config.generator.operatorKey !== undefined) {
      if (!operatorKeyMatches(c.req.header("authorization"), config.generator.operatorKey)) {
        return jsonResponse(
          httpError("unauthorized", "this endpoint requires Authorization: Bearer <operator key>", {
            "WWW-Authenticate": 'Bearer realm="jwe-token-generator"',
          }),
        );
      }
    }
    const json = await readJsonBody(c);
    if (!json.ok) return json.response;
    const { body } = json;
    if (!isPlainObject(body)) return jsonResponse(badRequest("the body must be a JSON object of claims"));

    const { expiry, ...rest } = body;
    let expiresIn = DEFAULT_EXPIRES_IN;
    if (expiry !== undefined && expiry !== null) {
      if (typeof expiry !== "number" || !Number.isInteger(expiry) || expiry < 0) {
        return jsonResponse(badRequest('field "expiry" must be a non-negative integer number of seconds'));
      }
      if (expiry > maxLifetime) {
        return jsonResponse(
          badRequest(`field "expiry" must be at most ${maxLifetime} seconds (the maximum token lifetime)`),
        );
      }
      if (expiry > 0) expiresIn = expiry;
    }

    let claims: MintableClaims;
    try {
      claims = parseClaims(rest);
    } catch (error) {
      // The package's messages name the claim ("claim \"port\" must be a number") and never echo values.
      if (isTokenError(error)) return jsonResponse(badRequest(error.message.replace(/^claim /, "field ")));
      throw error;
    }
    if (claims.exp !== undefined) {
      return jsonResponse(badRequest('field "exp": use "expiry" (seconds from now) instead'));
    }
    // Judge the connection the server would really make: with --jwe-fill-from-default, the
    // operator's fields fill the gaps first.
    const connection = connectionFromClaims(claims as TokenClaims, config);
    if ("code" in connection) return jsonResponse(badRequest('field "host" is required'));
    try {
      await checkConnection(connection);
    } catch (error) {
      const refusal = connectionPolicyRefusal(error);
      if (refusal) return jsonResponse(refusal);
      throw error;
    }

    let token: string;
    try {
      token = await mintToken(claims, {
        jweSecret,
        ...(config.jwe.jwtSecretKey === undefined ? {} : { jwtSecret: config.jwe.jwtSecretKey }),
        expiresIn,
        maxTokenBytes: config.jwe.maxTokenBytes,
        maxTokenLifetime: maxLifetime,
      });
    } catch (error) {
      if (isTokenError(error)) return jsonResponse(badRequest(error.message));
      throw error;
    }
    logger.info(
      { expiresIn, signed: config.jwe.jwtSecretKey !== undefined },
      "token minted by the generator endpoint",
    );
    return c.json({ token });
  };
}
