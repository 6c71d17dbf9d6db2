import { createHash } from "node:crypto";

// Tool names: the reference's snake_case of prefix + database + "_" + object (lower case, every
// run of other characters one underscore), at most 64 characters (what MCP clients and OpenAI
// accept), unique within a connection's list and never a built-in tool's name.

export const MAX_TOOL_NAME_LENGTH = 64;

/** Lower case; each run of characters outside [a-z0-9] becomes one `_`; no `_` at either end. */
export function snakeCase(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 8);

/**
 * The name a rule gives a view or table: prefix + its own `name` when the rule has one, else
 * prefix + database.object, in snake_case; cut to 64 characters with a hash of the whole name
 * when longer, and `tool_<hash>` when nothing is left.
 */
export function toolName(prefix: string, database: string, object: string, ruleName?: string): string {
  const whole = ruleName ? `${prefix}${ruleName}` : `${prefix}${database}.${object}`;
  const name = snakeCase(whole);
  if (name === "") return `tool_${shortHash(whole)}`;
  if (name.length <= MAX_TOOL_NAME_LENGTH) return name;
  return `${name.slice(0, MAX_TOOL_NAME_LENGTH - 9).replace(/_+$/, "")}_${shortHash(whole)}`;
}

/** `name` with `_<n>` at the end, still within 64 characters. */
function numbered(name: string, n: number): string {
  const suffix = `_${n}`;
  return `${name.slice(0, MAX_TOOL_NAME_LENGTH - suffix.length)}${suffix}`;
}

/**
 * Gives each candidate (in the order given, which the caller keeps deterministic) its name, or
 * the first free `name_2`, `name_3`, … when a built-in tool or an earlier candidate has it.
 * Reports each rename.
 */
export function uniqueNames<T extends { name: string }>(
  candidates: readonly T[],
  reserved: ReadonlySet<string>,
  onRename: (candidate: T, from: string, to: string) => void,
): T[] {
  const taken = new Set(reserved);
  return candidates.map((candidate) => {
    let name = candidate.name;
    for (let n = 2; taken.has(name); n += 1) name = numbered(candidate.name, n);
    taken.add(name);
    if (name === candidate.name) return candidate;
    onRename(candidate, candidate.name, name);
    return { ...candidate, name };
  });
}
