import { ConfigError } from "./config-error.js";
import { findOption } from "./flags.js";

export interface ParsedArgv {
  /** Raw flag values by flag name; bare booleans are `true`, `--no-x` is `false`. Last occurrence wins. */
  readonly flags: ReadonlyMap<string, string | boolean>;
  readonly help: boolean;
  readonly version: boolean;
}

/**
 * Splits the command line into raw flag values; types are checked later, together with the
 * other sources. Accepts `--flag=value`, `--flag value`, bare booleans, `--no-flag`, and a single
 * leading dash (`-port 8080`) as the reference's Go flag parser does. A bare `--` is ignored.
 */
export function parseArgv(argv: readonly string[]): ParsedArgv {
  const flags = new Map<string, string | boolean>();
  let help = false;
  let version = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help" || arg === "-help") {
      help = true;
      continue;
    }
    if (arg === "-v" || arg === "--version" || arg === "-version") {
      version = true;
      continue;
    }
    // `pnpm start -- --port=9000` hands the `--` through (pnpm 10): it separates nothing here.
    if (arg === "--") continue;
    if (!arg.startsWith("-") || arg === "-") {
      throw new ConfigError(
        "CONFIG_UNKNOWN_FLAG",
        `unexpected argument "${arg}": altinity-mcp takes only flags`,
      );
    }

    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);

    let spec = findOption(name);
    let negated = false;
    if (!spec && name.startsWith("no-")) {
      const positive = findOption(name.slice(3));
      if (positive?.type === "boolean") {
        spec = positive;
        negated = true;
      }
    }
    if (!spec) {
      throw new ConfigError("CONFIG_UNKNOWN_FLAG", `unknown flag --${name} (see altinity-mcp --help)`, {
        setting: name,
      });
    }

    if (negated) {
      if (inline !== undefined) {
        throw new ConfigError("CONFIG_INVALID_VALUE", `--${name} takes no value`, { setting: spec.flag });
      }
      flags.set(spec.flag, false);
    } else if (spec.type === "boolean") {
      // Like Go's flag package, a boolean never consumes the next argument: `--read-only false`
      // would otherwise be ambiguous. Use --read-only=false or --no-read-only.
      flags.set(spec.flag, inline ?? true);
    } else if (inline !== undefined) {
      flags.set(spec.flag, inline);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) {
        throw new ConfigError("CONFIG_MISSING_VALUE", `--${spec.flag} needs a value`, { setting: spec.flag });
      }
      flags.set(spec.flag, next);
      i++;
    }
  }
  return { flags, help, version };
}
