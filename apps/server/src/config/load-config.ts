import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parseBooleanWord } from "@mcp/argv";
import { HTTP_PORT, HTTPS_PORT, NATIVE_PORT, NATIVE_TLS_PORT } from "@mcp/clickhouse";
import { parse as parseYaml } from "yaml";
import { isLoopbackHost } from "../loopback.js";
import { ConfigError } from "./config-error.js";
import { describeOption, OPTIONS, type OptionName, type OptionSpec, type OptionValue } from "./flags.js";
import { type ParsedArgv, parseArgv } from "./parse-argv.js";
import type { LogLevel, ServerConfig, Transport } from "./server-config.js";

/** Secrets shorter than this draw a warning (they still work: the token format accepts any length). */
export const MIN_SECRET_LENGTH = 32;

type Origin = "flag" | "env" | "file" | "default";

interface Resolved {
  value: OptionValue | undefined;
  origin: Origin;
}

export interface ConfigResult {
  config: ServerConfig;
  /** Non-fatal problems, logged by main once the logger exists. Never contain secret values. */
  warnings: string[];
  /** Started as `pnpm start` (--quickstart). */
  quickstart: boolean;
  /** Secrets made up because --quickstart enabled JWE without them; printed once so tokens can be minted. */
  generatedSecrets: { jweSecretKey?: string; jwtSecretKey?: string };
  /** Which source each setting came from (flag name -> origin), for diagnostics and tests. */
  origins: ReadonlyMap<OptionName, Origin>;
}

/** flag > env > config file > default, then validated. Throws ConfigError (exit 2). */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServerConfig {
  return resolveConfig(parseArgv(argv), env).config;
}

export function resolveConfig(
  parsed: ParsedArgv,
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  const quickstart = coerce(findSpec("quickstart"), parsed.flags.get("quickstart") ?? false, "--quickstart");

  const configPath = pickConfigPath(parsed, env);
  const file = configPath === undefined ? new Map<string, unknown>() : readConfigFile(configPath);

  const resolved = new Map<OptionName, Resolved>();
  for (const spec of OPTIONS) {
    resolved.set(spec.flag, resolveOne(spec, parsed, env, file, configPath, quickstart === true));
  }
  return build(resolved, quickstart === true);
}

function findSpec(flag: OptionName): OptionSpec {
  return OPTIONS.find((o) => o.flag === flag)!;
}

function pickConfigPath(
  parsed: ParsedArgv,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const fromFlag = parsed.flags.get("config");
  if (typeof fromFlag === "string" && fromFlag !== "") return fromFlag;
  if (fromFlag === true)
    throw new ConfigError("CONFIG_MISSING_VALUE", "--config needs a value", { setting: "config" });
  const fromEnv = env.CONFIG_FILE;
  return fromEnv ? fromEnv : undefined;
}

function readConfigFile(path: string): Map<string, unknown> {
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

const fileKeys = new Set<string>(OPTIONS.flatMap((o) => ("key" in o ? [o.key] : [])));
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function resolveOne(
  spec: OptionSpec,
  parsed: ParsedArgv,
  env: Readonly<Record<string, string | undefined>>,
  file: Map<string, unknown>,
  configPath: string | undefined,
  quickstart: boolean,
): Resolved {
  const fromFlag = parsed.flags.get(spec.flag);
  if (fromFlag !== undefined) {
    return { value: coerce(spec, fromFlag, `--${spec.flag}`), origin: "flag" };
  }
  if (spec.env) {
    const fromEnv = env[spec.env];
    // An empty variable counts as unset, as `FOO=` lines in env files and compose files mean.
    if (fromEnv !== undefined && fromEnv !== "") {
      return { value: coerce(spec, fromEnv, spec.env), origin: "env" };
    }
  }
  if (spec.key && file.has(spec.key)) {
    const raw = file.get(spec.key);
    if (raw !== null && raw !== undefined) {
      return { value: coerce(spec, raw, `config key ${spec.key} in ${configPath}`), origin: "file" };
    }
  }
  const fallback = quickstart && spec.quickstartDefault !== undefined ? spec.quickstartDefault : spec.default;
  return { value: fallback, origin: "default" };
}

/** Converts a raw value from any source to the spec's type; `where` names the source in errors. */
function coerce(spec: OptionSpec, raw: unknown, where: string): OptionValue {
  const shown = spec.secret ? "" : ` (got ${JSON.stringify(raw)})`;
  const fail = (what: string): never => {
    throw new ConfigError("CONFIG_INVALID_VALUE", `${where}: ${what}${shown}`, { setting: spec.flag });
  };

  switch (spec.type) {
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      const word = typeof raw === "string" ? parseBooleanWord(raw) : undefined;
      if (word !== undefined) return word;
      return fail("must be true or false");
    }
    case "integer": {
      let n: number | undefined;
      if (typeof raw === "number") n = raw;
      else if (typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw)) n = Number(raw);
      if (n === undefined || !Number.isSafeInteger(n)) return fail("must be a whole number");
      const { min, max } = spec;
      if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
        const range =
          min !== undefined && max !== undefined
            ? `from ${min} to ${max}`
            : min !== undefined
              ? `at least ${min}`
              : `at most ${max}`;
        return fail(`must be ${range}`);
      }
      return n;
    }
    case "string": {
      if (typeof raw === "number" && !spec.choices) return String(raw);
      if (typeof raw !== "string") return fail("must be a string");
      if (spec.choices) {
        const word = raw.trim().toLowerCase();
        if (!spec.choices.includes(word)) return fail(`must be one of ${spec.choices.join(", ")}`);
        return word;
      }
      return raw;
    }
    case "list": {
      let items: string[];
      if (typeof raw === "string") items = raw.split(",");
      else if (
        Array.isArray(raw) &&
        raw.every((item) => typeof item === "string" || typeof item === "number")
      ) {
        items = raw.map(String);
      } else return fail("must be a comma-separated string or a list of strings");
      items = items.map((item) => item.trim()).filter((item) => item !== "");
      if (spec.choices) {
        items = items.map((item) => item.toLowerCase());
        const bad = items.find((item) => !spec.choices!.includes(item));
        if (bad !== undefined) {
          throw new ConfigError(
            "CONFIG_INVALID_VALUE",
            `${where}: unknown value "${bad}", must be one of ${spec.choices.join(", ")}`,
            { setting: spec.flag },
          );
        }
        items = [...new Set(items)];
      }
      return items;
    }
  }
}

function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

function build(resolved: Map<OptionName, Resolved>, quickstart: boolean): ConfigResult {
  const warnings: string[] = [];
  const generatedSecrets: ConfigResult["generatedSecrets"] = {};
  const origins = new Map<OptionName, Origin>([...resolved].map(([name, r]) => [name, r.origin]));

  const raw = (name: OptionName): OptionValue | undefined => resolved.get(name)?.value;
  const str = (name: OptionName): string | undefined => {
    const v = raw(name);
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const strOr = (name: OptionName, fallback: string): string => {
    const v = raw(name);
    return typeof v === "string" ? v : fallback;
  };
  const int = (name: OptionName): number => raw(name) as number;
  const bool = (name: OptionName): boolean => raw(name) === true;
  const list = (name: OptionName): string[] | undefined => {
    const v = raw(name);
    return Array.isArray(v) && v.length > 0 ? [...(v as readonly string[])] : undefined;
  };
  const spec = (name: OptionName): OptionSpec => findSpec(name);
  const conflict = (setting: OptionName, message: string): never => {
    throw new ConfigError("CONFIG_CONFLICT", message, { setting });
  };

  // --- transports ---
  const transports = (list("transport") ?? []) as Transport[];
  if (transports.length === 0)
    conflict("transport", `${describeOption(spec("transport"))}: no transport given`);
  if (transports.includes("stdio") && transports.length > 1) {
    conflict(
      "transport",
      `${describeOption(spec("transport"))}: stdio cannot be combined with sse or http (got ${transports.join(",")})`,
    );
  }
  const stdio = transports.includes("stdio");

  // --- JWE ---
  const allowJwe = bool("allow-jwe-auth");
  let jweSecret = str("jwe-secret-key");
  let jwtSecret = str("jwt-secret-key");
  if (allowJwe && quickstart) {
    if (!jweSecret) jweSecret = generatedSecrets.jweSecretKey = generateSecret();
    if (!jwtSecret) jwtSecret = generatedSecrets.jwtSecretKey = generateSecret();
  }
  if (allowJwe && !jweSecret) {
    conflict(
      "jwe-secret-key",
      `JWE authentication is on (--allow-jwe-auth / MCP_ALLOW_JWE_AUTH / config key server.jwe.enabled) ` +
        `but no secret is set: give ${describeOption(spec("jwe-secret-key"))}`,
    );
  }
  const previous = list("jwe-previous-secret-keys") ?? [];
  if (allowJwe) {
    const short = (name: OptionName, value: string | undefined) => {
      if (value !== undefined && value.length < MIN_SECRET_LENGTH) {
        warnings.push(
          `${describeOption(spec(name))} is shorter than ${MIN_SECRET_LENGTH} characters: use a long random secret`,
        );
      }
    };
    short("jwe-secret-key", jweSecret);
    short("jwt-secret-key", jwtSecret);
    if (previous.some((p) => p.length < MIN_SECRET_LENGTH)) {
      warnings.push(
        `a secret in ${describeOption(spec("jwe-previous-secret-keys"))} is shorter than ${MIN_SECRET_LENGTH} characters`,
      );
    }
    short("jwe-token-generator-key", str("jwe-token-generator-key"));
    if (stdio) {
      warnings.push(
        "--allow-jwe-auth has no effect with --transport=stdio: the stdio transport uses the default ClickHouse",
      );
    }
  }

  // --- server TLS ---
  const serverTls = bool("server-tls");
  const certFile = str("server-tls-cert-file");
  const keyFile = str("server-tls-key-file");
  const caCertFile = str("server-tls-ca-cert");
  if (serverTls) {
    if (stdio)
      conflict("server-tls", "--server-tls needs an HTTP transport (--transport=sse and/or http), not stdio");
    if (!certFile) {
      conflict(
        "server-tls-cert-file",
        `server TLS is on but no certificate is set: give ${describeOption(spec("server-tls-cert-file"))}`,
      );
    }
    if (!keyFile) {
      conflict(
        "server-tls-key-file",
        `server TLS is on but no private key is set: give ${describeOption(spec("server-tls-key-file"))}`,
      );
    }
  } else if (certFile || keyFile || caCertFile) {
    warnings.push(
      "server TLS files are set but server TLS is off (--server-tls / MCP_SERVER_TLS): serving plain HTTP",
    );
  }

  // --- default ClickHouse ---
  const tlsClientCert = str("clickhouse-tls-client-cert");
  const tlsClientKey = str("clickhouse-tls-client-key");
  if (Boolean(tlsClientCert) !== Boolean(tlsClientKey)) {
    const missing: OptionName = tlsClientCert ? "clickhouse-tls-client-key" : "clickhouse-tls-client-cert";
    conflict(
      missing,
      "a ClickHouse client certificate needs both --clickhouse-tls-client-cert and --clickhouse-tls-client-key: " +
        `missing ${describeOption(spec(missing))}`,
    );
  }
  const clickhouseProtocol = strOr("clickhouse-protocol", "http") as "http" | "tcp";
  const clickhouseTls = bool("clickhouse-tls");
  // Unless given, the port follows the protocol and TLS, as it does for a token's claims.
  const clickhousePort =
    resolved.get("clickhouse-port")?.origin !== "default"
      ? int("clickhouse-port")
      : clickhouseProtocol === "tcp"
        ? clickhouseTls
          ? NATIVE_TLS_PORT
          : NATIVE_PORT
        : clickhouseTls
          ? HTTPS_PORT
          : HTTP_PORT;
  const configured = OPTIONS.some(
    (o) => "connection" in o && o.connection && resolved.get(o.flag)?.origin !== "default",
  );

  // --- exposure: what a non-loopback address opens up ---
  const address = strOr("address", "127.0.0.1");
  const loopback = isLoopbackHost(address);
  const httpServed = !stdio;
  let generatorEnabled = bool("jwe-token-generator") && allowJwe && httpServed;
  const generatorKey = str("jwe-token-generator-key");
  if (generatorEnabled && !loopback && generatorKey === undefined) {
    // Anyone who can reach the server could mint tokens for any ClickHouse user it can reach.
    if (resolved.get("jwe-token-generator")?.origin === "default") {
      generatorEnabled = false;
      warnings.push(
        `the token generator is off: --address=${address} is not a loopback address and no ` +
          `${describeOption(spec("jwe-token-generator-key"))} is set`,
      );
    } else {
      conflict(
        "jwe-token-generator-key",
        `the token generator (${describeOption(spec("jwe-token-generator"))}) on the non-loopback address ` +
          `${address} needs an operator key: give ${describeOption(spec("jwe-token-generator-key"))}`,
      );
    }
  }
  if (httpServed && !loopback && list("allowed-hosts") === undefined) {
    warnings.push(
      `listening on ${address} without ${describeOption(spec("allowed-hosts"))}: any Host header is accepted, ` +
        "so DNS-rebinding protection is off; list the names clients use (and --allowed-origins for browsers)",
    );
  }

  const config: ServerConfig = {
    http: {
      transports,
      address,
      port: int("port"),
      corsOrigin: str("cors-origin"),
      allowedHosts: list("allowed-hosts"),
      allowedOrigins: list("allowed-origins"),
      maxBodyBytes: int("max-body-bytes"),
      maxSseSessions: int("max-sse-sessions"),
      maxSseSessionsPerToken: int("max-sse-sessions-per-token"),
      maxConcurrentCallsPerToken: int("max-concurrent-calls-per-token"),
      sseKeepAliveMs: int("sse-keep-alive") * 1000,
      shutdownGraceMs: int("shutdown-grace") * 1000,
      requestTimeoutMs: int("request-timeout") * 1000,
      tls: serverTls && certFile && keyFile ? { certFile, keyFile, caCertFile } : undefined,
    },
    jwe: {
      allow: allowJwe,
      jweSecretKeys: allowJwe && jweSecret ? [jweSecret, ...previous.filter((p) => p !== jweSecret)] : [],
      jwtSecretKey: allowJwe ? jwtSecret : undefined,
      clockToleranceSeconds: int("jwe-clock-tolerance"),
      maxTokenBytes: int("jwe-max-token-bytes"),
      maxTokenLifetimeSeconds: int("jwe-max-token-lifetime"),
      fillFromDefault: bool("jwe-fill-from-default"),
    },
    clickhouse: {
      host: strOr("clickhouse-host", "localhost"),
      port: clickhousePort,
      database: strOr("clickhouse-database", "default"),
      username: strOr("clickhouse-username", "default"),
      password: strOr("clickhouse-password", ""),
      protocol: clickhouseProtocol,
      tlsEnabled: clickhouseTls,
      tlsCaCert: str("clickhouse-tls-ca-cert"),
      tlsClientCert,
      tlsClientKey,
      tlsInsecureSkipVerify: bool("clickhouse-tls-insecure-skip-verify"),
      configured,
    },
    limits: {
      readOnly: bool("read-only"),
      maxExecutionTime: int("clickhouse-max-execution-time"),
      maxResultRows: int("clickhouse-max-result-rows"),
      maxResultBytes: int("clickhouse-max-result-bytes"),
      maxMemoryUsage: int("clickhouse-max-memory-usage"),
      maxQueryLength: int("clickhouse-max-query-length"),
    },
    pool: {
      maxClients: int("pool-max-clients"),
      idleTimeoutMs: int("pool-idle-timeout") * 1000,
      allowedHosts: list("clickhouse-allowed-hosts"),
      allowedTlsDirs: list("clickhouse-allowed-tls-dirs"),
    },
    generator: {
      enabled: generatorEnabled,
      operatorKey: generatorKey,
    },
    logLevel: strOr("log-level", "info") as LogLevel,
  };

  return { config, warnings, quickstart, generatedSecrets, origins };
}

/** Every secret value in a config, so the logger can scrub them wherever they appear. */
export function configSecrets(config: ServerConfig): string[] {
  return [
    ...config.jwe.jweSecretKeys,
    config.jwe.jwtSecretKey,
    config.generator.operatorKey,
    config.clickhouse.password,
  ].filter((s): s is string => typeof s === "string" && s !== "");
}
