import { timingSafeEqual } from "node:crypto";
import { createHostPolicy, isDatabaseError } from "@mcp/clickhouse";
import { isTokenError, type MintableClaims, mintToken, parseClaims } from "@mcp/jwe";
import type { Context } from "hono";
import type { Logger } from "pino";
import { tokenDigest } from "../auth/authenticate.js";
import type { ServerConfig } from "../config/server-config.js";
import { type HttpError, httpError, jsonResponse } from "../http-errors.js";

const DEFAULT_EXPIRY_SECONDS = 3600;
/** Tokens from the endpoint live at most a year; longer lifetimes are a CLI decision. */
const MAX_EXPIRY_SECONDS = 31_536_000;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function badRequest(description: string): HttpError {
  return httpError(400, "invalid_request", description);
}

function operatorKeyMatches(header: string | undefined, key: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  if (!match?.[1]) return false;
  // Digests have equal lengths, so the comparison takes the same time whatever was sent.
  return timingSafeEqual(tokenDigest(match[1]), tokenDigest(key));
}

/**
 * `POST /jwe-token-generator`, as the reference documents it: a JSON body with the claims plus
 * `expiry` (seconds, 0 or absent = 3600), answered with `{"token": ...}`. Stricter than the
 * reference: it can be switched off (404), can require an operator key, and refuses hosts
 * outside the ClickHouse host allow-list, so it cannot mint tokens aimed at arbitrary hosts.
 */
export function createGeneratorHandler(
  config: ServerConfig,
  logger: Logger,
): (c: Context) => Promise<Response> {
  const checkHost = createHostPolicy(config.pool.allowedHosts);

  const handler = async (c: Context): Promise<Response> => {
    if (!config.generator.enabled)
      return jsonResponse(httpError(404, "not_found", "the token generator is disabled"));
    if (c.req.method !== "POST") {
      return jsonResponse(httpError(405, "method_not_allowed", "use POST", { Allow: "POST" }));
    }
    if (!config.jwe.allow) {
      return jsonResponse(httpError(403, "forbidden", "JWE authentication is not enabled on this server"));
    }
    const jweSecret = config.jwe.jweSecretKeys[0];
    if (jweSecret === undefined) {
      return jsonResponse(httpError(403, "forbidden", "JWE authentication is not enabled on this server"));
    }
    if (config.generator.operatorKey !== undefined) {
      if (!operatorKeyMatches(c.req.header("authorization"), config.generator.operatorKey)) {
        return jsonResponse(
          httpError(401, "unauthorized", "this endpoint requires Authorization: Bearer <operator key>", {
            "WWW-Authenticate": 'Bearer realm="jwe-token-generator"',
          }),
        );
      }
    }

    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return jsonResponse(badRequest("the body is not valid JSON"));
    }
    if (!isPlainObject(body)) return jsonResponse(badRequest("the body must be a JSON object of claims"));

    const { expiry, ...rest } = body;
    let expiresIn = DEFAULT_EXPIRY_SECONDS;
    if (expiry !== undefined && expiry !== null) {
      if (typeof expiry !== "number" || !Number.isInteger(expiry) || expiry < 0) {
        return jsonResponse(badRequest('field "expiry" must be a non-negative integer number of seconds'));
      }
      if (expiry > MAX_EXPIRY_SECONDS) {
        return jsonResponse(badRequest(`field "expiry" must be at most ${MAX_EXPIRY_SECONDS} seconds`));
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
    if (claims.host === undefined && !config.jwe.fillFromDefault) {
      return jsonResponse(badRequest('field "host" is required'));
    }
    if (claims.host !== undefined) {
      try {
        checkHost(claims.host);
      } catch (error) {
        if (isDatabaseError(error) && error.code === "HOST_NOT_ALLOWED") {
          return jsonResponse(
            httpError(
              403,
              "host_not_allowed",
              "the host is not in the server's list of allowed ClickHouse hosts",
            ),
          );
        }
        if (isDatabaseError(error)) return jsonResponse(badRequest(`field "host": ${error.message}`));
        throw error;
      }
    }

    let token: string;
    try {
      token = await mintToken(claims, {
        jweSecret,
        ...(config.jwe.jwtSecretKey === undefined ? {} : { jwtSecret: config.jwe.jwtSecretKey }),
        expiresIn,
        maxTokenBytes: config.jwe.maxTokenBytes,
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
  return handler;
}
