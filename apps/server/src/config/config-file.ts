import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { isPlainObject } from "../is-plain-object.js";
import { ConfigError } from "./config-error.js";
import { FILE_ONLY_OPTIONS, OPTIONS } from "./flags.js";

/**
 * Reads a YAML or JSON config file into its settings by dotted key ("clickhouse.tls.ca_cert").
 * Unknown keys are refused; values are left raw, for coerce() to check with the other sources.
 */
export function readConfigFile(path: string): Map<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(
      "CONFIG_FILE_UNREADABLE",
      `config file ${path} (--config / CONFIG_FILE): ${reason}`,
      {
        setting: "config",
        cause: error,
      },
    );
  }
  let data: unknown;
  try {
    data = extname(path).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // Parser messages quote the offending line, which could hold a secret: keep only the position.
    const position = describeParsePosition(error);
    throw new ConfigError("CONFIG_FILE_INVALID", `config file ${path} is not valid YAML/JSON${position}`, {
      setting: "config",
    });
  }
  if (data === null || data === undefined) return new Map();
  if (!isPlainObject(data)) {
    throw new ConfigError(
      "CONFIG_FILE_INVALID",
      `config file ${path} must contain a mapping at the top level`,
      {
        setting: "config",
      },
    );
  }
  const out = new Map<string, unknown>();
  flatten(data, "", path, out);
  return out;
}

function describeParsePosition(error: unknown): string {
  const linePos = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
  if (linePos) return ` (line ${linePos.line}, column ${linePos.col})`;
  const match = /position (\d+)/.exec((error as Error).message ?? "");
  return match ? ` (at character ${match[1]})` : "";
}

const fileKeys = new Set<string>([
  ...OPTIONS.flatMap((o) => ("key" in o ? [o.key] : [])),
  ...FILE_ONLY_OPTIONS.map((o) => o.key),
]);
const filePrefixes = new Set<string>(
  [...fileKeys].flatMap((key) => key.split(".").map((_, i, parts) => parts.slice(0, i + 1).join("."))),
);

function flatten(
  node: Record<string, unknown>,
  prefix: string,
  path: string,
  out: Map<string, unknown>,
): void {
  for (const [name, value] of Object.entries(node)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (fileKeys.has(key)) {
      out.set(key, value);
    } else if (filePrefixes.has(key) && isPlainObject(value)) {
      flatten(value, key, path, out);
    } else if (filePrefixes.has(key) && (value === null || value === undefined)) {
      // An empty section (`tls:` with nothing under it) is harmless.
    } else {
      throw new ConfigError("CONFIG_UNKNOWN_KEY", `unknown config key "${key}" in ${path}`, { setting: key });
    }
  }
}
