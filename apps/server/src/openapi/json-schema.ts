/**
 * A tool's zod schemas as JSON Schemas that an OpenAPI 3.1 document can hold as they are, within
 * GPT actions' limits. OpenAPI 3.1's Schema Object is JSON Schema 2020-12, zod 4's default target.
 */
import { z } from "zod";
import { isPlainObject } from "../is-plain-object.js";

export type JsonSchema = Record<string, unknown>;

/**
 * What GPT actions accept in an OpenAPI document (OpenAI, "Production notes on GPT Actions",
 * https://platform.openai.com/docs/actions/production, read 2026; "subject to change"): at most
 * 300 characters in the description or summary of an endpoint, at most 700 in the description of
 * a parameter. The same page: request and response payloads under 100,000 characters each, a 45 s
 * timeout, and `x-openai-isConsequential` (absent: GET operations are not consequential, the rest are).
 */
export const GPT_ACTION_LIMITS = {
  /** `summary` and `description` of an operation. */
  operationText: 300,
  /** `description` of a parameter (and, here, of any property of a request or response schema). */
  parameterDescription: 700,
} as const;

/**
 * `text` on one line in at most `max` characters: whole sentences while they fit, otherwise cut
 * after a word with "…". Tool descriptions are written for MCP clients, which take longer ones.
 */
export function fitText(text: string, max: number): string {
  const clean = text.replace(/\s+/g, " ").trim();
  if (clean.length <= max) return clean;
  let sentences = 0;
  for (const end of clean.slice(0, max).matchAll(/[.!?](?=\s|$)/g)) sentences = end.index + 1;
  if (sentences >= max / 3) return clean.slice(0, sentences);
  const head = clean.slice(0, max - 1);
  const space = head.lastIndexOf(" ");
  return `${(space > max / 3 ? head.slice(0, space) : head).trimEnd()}…`;
}

/** Keys whose values are data, not schemas: a `description` inside them is not a schema's. */
const DATA_KEYS = new Set(["default", "const", "enum", "examples", "example"]);

/**
 * Copies a converted schema, bounding every description and pointing its references at
 * `#/components/schemas/...`: `$defs` (zod emits them for cycles and named schemas) would
 * otherwise be resolved against the document root, where they are not.
 */
function rewrite(node: unknown, refs: (ref: string) => string): unknown {
  if (Array.isArray(node)) return node.map((item) => rewrite(item, refs));
  if (!isPlainObject(node)) return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema" || key === "$defs" || key === "$id") continue;
    if (DATA_KEYS.has(key)) out[key] = value;
    else if (key === "description" && typeof value === "string")
      out[key] = fitText(value, GPT_ACTION_LIMITS.parameterDescription);
    else if (key === "$ref" && typeof value === "string") out[key] = refs(value);
    else out[key] = rewrite(value, refs);
  }
  return out;
}

/** A component name as OpenAPI allows them (`^[a-zA-Z0-9.\-_]+$`). */
export function componentName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_");
}

export interface ConvertedSchema {
  /** The schema to place inline. */
  schema: JsonSchema;
  /** Schemas it refers to, to add under `components.schemas`. */
  components: Record<string, JsonSchema>;
}

/**
 * One zod schema of a tool as an inline JSON Schema (`io`: the input form, what a caller sends,
 * or the output form, what comes back). `name` prefixes the components it needs.
 */
export function convertSchema(schema: z.ZodType, io: "input" | "output", name: string): ConvertedSchema {
  const json = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as JsonSchema;
  const prefix = componentName(name);
  const refs = (ref: string): string => {
    if (ref === "#") return `#/components/schemas/${prefix}`;
    const def = /^#\/\$defs\/(.+)$/.exec(ref)?.[1];
    return def === undefined ? ref : `#/components/schemas/${prefix}.${componentName(def)}`;
  };
  const components: Record<string, JsonSchema> = {};
  const defs = isPlainObject(json.$defs) ? json.$defs : {};
  for (const [def, value] of Object.entries(defs)) {
    components[`${prefix}.${componentName(def)}`] = rewrite(value, refs) as JsonSchema;
  }
  const inline = rewrite(json, refs) as JsonSchema;
  // A schema that refers to itself as a whole ("#") is also a component.
  if (JSON.stringify(inline).includes(`"#/components/schemas/${prefix}"`)) components[prefix] = inline;
  return { schema: inline, components };
}

/** The JSON types a (converted) schema admits at its top: its `type`, or its `anyOf`/`oneOf` members'. */
export function admittedTypes(schema: unknown): Set<string> {
  const types = new Set<string>();
  if (!isPlainObject(schema)) return types;
  const type = schema.type;
  if (typeof type === "string") types.add(type);
  if (Array.isArray(type)) for (const t of type) if (typeof t === "string") types.add(t);
  for (const key of ["anyOf", "oneOf"] as const) {
    const members = schema[key];
    if (Array.isArray(members))
      for (const member of members) for (const t of admittedTypes(member)) types.add(t);
  }
  if (Array.isArray(schema.enum)) {
    for (const value of schema.enum) types.add(value === null ? "null" : typeof value);
  }
  return types;
}
