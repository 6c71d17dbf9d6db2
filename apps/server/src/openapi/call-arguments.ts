/**
 * A REST call's arguments: from the query string (GET) or the JSON body (POST), then checked by
 * the tool's own zod schema, the one MCP calls are checked with. Refusals name the argument.
 */
import type { z } from "zod";
import { badRequest, type HttpError, unsupportedMediaType } from "../http/errors.js";
import { isPlainObject } from "../is-plain-object.js";
import { admittedTypes, type JsonSchema } from "./json-schema.js";

export type Arguments = { ok: true; args: Record<string, unknown> } | { ok: false; error: HttpError };

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * One query-string value as the argument's schema wants it: text where text is admitted, else a
 * number, a boolean or null when the text spells one, else JSON for an object or array
 * (`settings={"max_threads":2}`). Anything else stays text, and the schema refuses it by name.
 */
function fromText(raw: string, schema: unknown): unknown {
  const types = admittedTypes(schema);
  if (types.size === 0 || types.has("string")) return raw;
  if ((types.has("integer") || types.has("number")) && NUMBER.test(raw)) return Number(raw);
  if (types.has("boolean") && (raw === "true" || raw === "false")) return raw === "true";
  if (types.has("null") && raw === "null") return null;
  if (types.has("object") || types.has("array")) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** A name as it may be quoted back in an error: short, printable. */
function shown(name: string): string {
  const clean = name.replace(/[^\x20-\x7e]/g, "?");
  return JSON.stringify(clean.length > 64 ? `${clean.slice(0, 63)}…` : clean);
}

/** GET: one query parameter per top-level argument, typed by the tool's input JSON Schema. */
export function argumentsFromQuery(params: URLSearchParams, inputSchema: JsonSchema): Arguments {
  const properties = isPlainObject(inputSchema.properties) ? inputSchema.properties : {};
  const args: Record<string, unknown> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    if (values.length > 1)
      return { ok: false, error: badRequest(`argument ${shown(name)} is given more than once`) };
    args[name] = fromText(values[0] ?? "", Object.hasOwn(properties, name) ? properties[name] : undefined);
  }
  return { ok: true, args };
}

/**
 * POST: a JSON object of the arguments. An empty body is no arguments; any other body must be
 * declared `application/json` (415), so no cross-site "simple" request carries arguments.
 */
export async function argumentsFromBody(request: Request): Promise<Arguments> {
  const text = await request.text();
  if (text.trim() === "") return { ok: true, args: {} };
  if (!/^application\/json\s*(;|$)/i.test(request.headers.get("content-type") ?? "")) {
    return { ok: false, error: unsupportedMediaType() };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, error: badRequest("the body is not valid JSON") };
  }
  if (!isPlainObject(body)) {
    return { ok: false, error: badRequest("the body must be a JSON object of the tool's arguments") };
  }
  return { ok: true, args: body };
}

/** The first few problems zod found, each naming its argument ("settings.max_threads"). */
export function describeIssues(error: z.ZodError, max = 3): string {
  const parts = error.issues.slice(0, max).map((issue) => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const names = issue.keys.map((key) => shown(path ? `${path}.${key}` : key)).join(", ");
      return `unknown argument ${names}`;
    }
    return path ? `argument ${shown(path)}: ${issue.message}` : `arguments: ${issue.message}`;
  });
  const more = error.issues.length > max ? ` (and ${error.issues.length - max} more)` : "";
  return `invalid arguments: ${parts.join("; ")}${more}`;
}

/** The arguments as the tool's schema reads them, or a 400 naming what is wrong. */
export function checkArguments(schema: z.ZodType, args: Record<string, unknown>): Arguments {
  const parsed = schema.safeParse(args);
  if (parsed.success) return { ok: true, args: parsed.data as Record<string, unknown> };
  return { ok: false, error: badRequest(describeIssues(parsed.error)) };
}
