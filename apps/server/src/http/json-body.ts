import type { Context } from "hono";
import { badRequest, jsonResponse, unsupportedMediaType } from "./errors.js";

export type JsonBody = { ok: true; body: unknown } | { ok: false; response: Response };

/**
 * A request body that must be JSON: `Content-Type: application/json` (415 otherwise, so no
 * cross-site "simple" request gets through without a CORS preflight), then valid JSON (400).
 */
export async function readJsonBody(c: Context): Promise<JsonBody> {
  if (!/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
    return { ok: false, response: jsonResponse(unsupportedMediaType()) };
  }
  try {
    return { ok: true, body: JSON.parse(await c.req.text()) };
  } catch {
    return { ok: false, response: jsonResponse(badRequest("the body is not valid JSON")) };
  }
}
