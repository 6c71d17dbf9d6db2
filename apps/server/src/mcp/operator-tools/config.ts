import { ConfigError } from "../../config/config-error.js";
import { isPlainObject } from "../../is-plain-object.js";

// `server.tools` as the reference (altinity-mcp 1.7, pkg/config/config.go `ToolDefinition`,
// docs/tools.md) reads it, checked strictly: an entry is a static tool (`type` + `name`:
// execute_query or write_query) or a discovery rule (`type: read` + `view_regexp`, or
// `type: write` + `table_regexp` + `mode: insert`, with an optional `prefix`, and an optional
// `name` for a rule meant to match one object). The deprecated `server.dynamic_tools` (entries
// with `regexp`, `prefix`, `name`, `type`, `mode`) is read the way the reference converts it.
// Where the reference logs a bad entry and skips it, this is a configuration error (exit 2)
// naming the key, as for every other setting.

export type StaticToolName = "execute_query" | "write_query";

/** One discovery rule. */
export interface ToolRule {
  type: "read" | "write";
  /** Matched (unanchored) against `database.name`. */
  pattern: RegExp;
  /** The regexp as configured, for logs. */
  source: string;
  prefix: string;
  /** The tool's name (after the prefix) for a rule meant to match one view or table. */
  name?: string;
  /** The config key of the entry, e.g. `server.tools[2]`, for logs. */
  key: string;
}

export interface OperatorToolsConfig {
  /** Discovery rules, in configuration order (the first rule matching an object wins). */
  rules: ToolRule[];
  /**
   * With `server.tools` given, the reference registers execute_query and write_query only when
   * an entry names them; undefined when no `server.tools` list was given (every built-in).
   */
  staticTools?: StaticToolName[];
  /** How long a connection's discovered tools are kept before they are looked up again. */
  discoveryTtlMs: number;
}

const TOOL_KEYS = ["type", "name", "view_regexp", "table_regexp", "prefix", "mode"] as const;
const LEGACY_KEYS = ["name", "regexp", "prefix", "type", "mode"] as const;

function invalid(key: string, message: string): never {
  throw new ConfigError("CONFIG_INVALID_VALUE", `config key ${key}: ${message}`, { setting: key });
}

/**
 * A JavaScript RegExp for a regexp written for the reference (Go's RE2): RE2's leading flag group
 * `(?i)` / `(?s)` / `(?m)` becomes JavaScript flags, `(?P<name>` a named group, `\A` and `\z` the
 * text's ends. RE2 constructs JavaScript would read differently are refused.
 */
export function compileRegexp(source: string, key: string): RegExp {
  let pattern = source;
  let flags = "";
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  if (leading) {
    for (const flag of leading[1]!) {
      if (flag === "i" || flag === "m" || flag === "s") {
        if (!flags.includes(flag)) flags += flag;
      } else invalid(key, `the regexp flag (?${flag}) is not supported (only i, m and s)`);
    }
    pattern = pattern.slice(leading[0].length);
  }
  if (/\[\[:[a-z]+:\]/.test(pattern)) {
    invalid(key, "POSIX character classes such as [[:alpha:]] are not supported; use \\w, \\d or a range");
  }
  if (/(^|[^\\])(\\\\)*\\Q/.test(pattern))
    invalid(key, "\\Q…\\E quoting is not supported; escape each character");
  pattern = pattern
    .replace(/\(\?P</g, "(?<")
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, "$1$2(?<![\\s\\S])")
    .replace(/(^|[^\\])((?:\\\\)*)\\z/g, "$1$2(?![\\s\\S])");
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    // The engine's message quotes the pattern, which is configuration, not a secret.
    return invalid(key, `not a valid regular expression: ${(error as Error).message}`);
  }
}

function stringField(entry: Record<string, unknown>, field: string, key: string): string | undefined {
  const value = entry[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string")
    invalid(`${key}.${field}`, `must be a string (got ${JSON.stringify(value)})`);
  return value === "" ? undefined : value;
}

function entriesOf(raw: unknown, key: string): Record<string, unknown>[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) invalid(key, "must be a list of mappings");
  return raw.map((entry, i) => {
    if (!isPlainObject(entry)) invalid(`${key}[${i}]`, "must be a mapping");
    return entry;
  });
}

function checkKeys(
  entry: Record<string, unknown>,
  allowed: readonly string[],
  key: string,
  path: string,
): void {
  for (const name of Object.keys(entry)) {
    if (!allowed.includes(name)) {
      throw new ConfigError("CONFIG_UNKNOWN_KEY", `unknown config key "${key}.${name}" in ${path}`, {
        setting: `${key}.${name}`,
      });
    }
  }
}

interface Entry {
  type?: string;
  name?: string;
  viewRegexp?: string;
  tableRegexp?: string;
  prefix?: string;
  mode?: string;
  key: string;
}

type Parsed = { kind: "static"; name: StaticToolName } | { kind: "rule"; rule: ToolRule };

function parseEntry(entry: Entry): Parsed {
  const { key } = entry;
  if (entry.type !== "read" && entry.type !== "write") {
    invalid(`${key}.type`, `must be read or write (got ${JSON.stringify(entry.type ?? null)})`);
  }
  const type = entry.type;
  if (entry.viewRegexp !== undefined && entry.tableRegexp !== undefined) {
    invalid(key, "give view_regexp (type: read) or table_regexp (type: write), not both");
  }
  const regexp = entry.viewRegexp ?? entry.tableRegexp;
  if (regexp === undefined) {
    // A static tool.
    if (entry.name === undefined) {
      invalid(key, "needs a name (execute_query or write_query) or a view_regexp / table_regexp");
    }
    const expected = type === "read" ? "execute_query" : "write_query";
    if (entry.name !== expected) {
      invalid(
        `${key}.name`,
        `a static ${type} tool must be named ${expected} (got ${JSON.stringify(entry.name)})`,
      );
    }
    if (entry.prefix !== undefined)
      invalid(`${key}.prefix`, "applies only to view_regexp / table_regexp rules");
    if (entry.mode !== undefined)
      invalid(`${key}.mode`, "applies only to type: write rules with table_regexp");
    return { kind: "static", name: expected };
  }
  if (type === "read") {
    if (entry.tableRegexp !== undefined)
      invalid(`${key}.table_regexp`, "a read rule matches views: use view_regexp");
    if (entry.mode !== undefined) invalid(`${key}.mode`, "applies only to type: write rules");
  } else {
    if (entry.viewRegexp !== undefined)
      invalid(`${key}.view_regexp`, "a write rule matches tables: use table_regexp");
    if (entry.mode === undefined)
      invalid(`${key}.mode`, "a write rule with table_regexp requires mode: insert");
    if (entry.mode !== "insert") {
      invalid(`${key}.mode`, `only insert is supported (got ${JSON.stringify(entry.mode)})`);
    }
  }
  const regexpKey = `${key}.${type === "read" ? "view_regexp" : "table_regexp"}`;
  return {
    kind: "rule",
    rule: {
      type,
      pattern: compileRegexp(regexp, regexpKey),
      source: regexp,
      prefix: entry.prefix ?? "",
      ...(entry.name !== undefined && { name: entry.name }),
      key,
    },
  };
}

export interface ToolsConfigInput {
  /** `server.tools` as read from the file. */
  tools?: unknown;
  /** `server.dynamic_tools` (deprecated) as read from the file. */
  dynamicTools?: unknown;
  /** The config file, for messages. */
  path?: string;
  discoveryTtlSeconds: number;
}

/** Reads and checks the two keys; warnings (deprecation, ignored keys) go to `warnings`. */
export function parseToolsConfig(input: ToolsConfigInput, warnings: string[]): OperatorToolsConfig {
  const path = input.path ?? "the config file";
  const tools = entriesOf(input.tools, "server.tools");
  const legacy = entriesOf(input.dynamicTools, "server.dynamic_tools");
  const discoveryTtlMs = input.discoveryTtlSeconds * 1000;

  let entries: Entry[];
  let fromToolsList = false;
  if (tools.length > 0) {
    fromToolsList = true;
    if (legacy.length > 0) {
      warnings.push(
        "config key server.dynamic_tools is ignored because server.tools is set (as in the reference)",
      );
    }
    entries = tools.map((entry, i) => {
      const key = `server.tools[${i}]`;
      checkKeys(entry, TOOL_KEYS, key, path);
      return {
        key,
        type: stringField(entry, "type", key),
        name: stringField(entry, "name", key),
        viewRegexp: stringField(entry, "view_regexp", key),
        tableRegexp: stringField(entry, "table_regexp", key),
        prefix: stringField(entry, "prefix", key),
        mode: stringField(entry, "mode", key),
      };
    });
  } else {
    if (legacy.length > 0) warnings.push("config key server.dynamic_tools is deprecated: use server.tools");
    entries = legacy.map((entry, i) => {
      const key = `server.dynamic_tools[${i}]`;
      checkKeys(entry, LEGACY_KEYS, key, path);
      const regexp = stringField(entry, "regexp", key);
      // As the reference converts it: no type and a regexp means a read rule over views.
      const type = stringField(entry, "type", key) ?? (regexp !== undefined ? "read" : undefined);
      if (regexp === undefined) invalid(`${key}.regexp`, "is required");
      return {
        key,
        type,
        name: stringField(entry, "name", key),
        ...(type === "write" ? { tableRegexp: regexp } : { viewRegexp: regexp }),
        prefix: stringField(entry, "prefix", key),
        mode: stringField(entry, "mode", key),
      };
    });
  }

  const rules: ToolRule[] = [];
  const staticTools: StaticToolName[] = [];
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (parsed.kind === "rule") rules.push(parsed.rule);
    else if (!staticTools.includes(parsed.name)) staticTools.push(parsed.name);
  }
  return { rules, ...(fromToolsList && { staticTools }), discoveryTtlMs };
}
