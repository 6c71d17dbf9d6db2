import { buildConfig, type GeneratedSecrets } from "./build-config.js";
import { coerce } from "./coerce.js";
import { ConfigError } from "./config-error.js";
import { readConfigFile } from "./config-file.js";
import { OPTIONS, type OptionName, type OptionSpec, optionSpec, type SecretOptionName } from "./flags.js";
import type { ParsedArgv } from "./parse-argv.js";
import { parseArgv } from "./parse-argv.js";
import { type Origin, type Resolved, ResolvedOptions } from "./resolved-options.js";
import type { ServerConfig } from "./server-config.js";

export interface ConfigResult {
  config: ServerConfig;
  /** Non-fatal problems, logged by main once the logger exists. Never contain secret values. */
  warnings: string[];
  /** Started as `pnpm start` (--quickstart). */
  quickstart: boolean;
  /** Secrets made up because --quickstart enabled JWE without them; printed once so tokens can be minted. */
  generatedSecrets: GeneratedSecrets;
  /** Which source each setting came from (flag name -> origin), for diagnostics and tests. */
  origins: ReadonlyMap<OptionName, Origin>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** flag > env > config file > default, then validated. Throws ConfigError (exit 2). */
export function loadConfig(argv: readonly string[], env: Env): ServerConfig {
  return resolveConfig(parseArgv(argv), env).config;
}

export function resolveConfig(parsed: ParsedArgv, env: Env): ConfigResult {
  const quickstartSpec = optionSpec("quickstart");
  const quickstart =
    coerce(quickstartSpec, parsed.flags.get("quickstart") ?? quickstartSpec.default, "--quickstart") === true;

  const configPath = pickConfigPath(parsed, env);
  const file = configPath === undefined ? new Map<string, unknown>() : readConfigFile(configPath);

  const resolved = new Map<OptionName, Resolved>();
  for (const spec of OPTIONS) {
    resolved.set(spec.flag, resolveOne(spec, { parsed, env, file, configPath, quickstart }));
  }
  const options = new ResolvedOptions(resolved);
  const { config, warnings, generatedSecrets } = buildConfig(options, quickstart, {
    tools: file.get("server.tools"),
    dynamicTools: file.get("server.dynamic_tools"),
    ...(configPath !== undefined && { path: configPath }),
  });
  return { config, warnings, quickstart, generatedSecrets, origins: options.origins() };
}

function pickConfigPath(parsed: ParsedArgv, env: Env): string | undefined {
  const fromFlag = parsed.flags.get("config");
  if (typeof fromFlag === "string" && fromFlag !== "") return fromFlag;
  if (fromFlag === true)
    throw new ConfigError("CONFIG_MISSING_VALUE", "--config needs a value", { setting: "config" });
  const fromEnv = env[optionSpec("config").env];
  return fromEnv ? fromEnv : undefined;
}

interface Sources {
  parsed: ParsedArgv;
  env: Env;
  file: Map<string, unknown>;
  configPath: string | undefined;
  quickstart: boolean;
}

/** One setting from the first source that has it; each source's value checked against the table. */
function resolveOne(spec: OptionSpec, { parsed, env, file, configPath, quickstart }: Sources): Resolved {
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

/**
 * Where each secret of the table (`secret: true` in flags.ts) ends up in the config. Keyed by
 * SecretOptionName, so a new secret option does not compile until it says where it lands.
 */
const SECRET_VALUES: {
  readonly [N in SecretOptionName]: (config: ServerConfig) => string | readonly string[] | undefined;
} = {
  "jwe-secret-key": (config) => config.jwe.jweSecretKeys[0],
  "jwt-secret-key": (config) => config.jwe.jwtSecretKey,
  "jwe-previous-secret-keys": (config) => config.jwe.jweSecretKeys.slice(1),
  "jwe-token-generator-key": (config) => config.generator.operatorKey,
  "clickhouse-password": (config) => config.clickhouse.password,
};

const SECRET_OPTIONS = OPTIONS.flatMap((o) => ("secret" in o && o.secret ? [o.flag] : []));

/** Every secret value in a config, so the logger can scrub them wherever they appear. */
export function configSecrets(config: ServerConfig): string[] {
  return SECRET_OPTIONS.flatMap((name) => SECRET_VALUES[name](config) ?? []).filter(
    (s): s is string => typeof s === "string" && s !== "",
  );
}
