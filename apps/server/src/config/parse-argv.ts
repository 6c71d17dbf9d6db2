import {
  ArgvError,
  type ParsedArgv as CommandLine,
  type FlagKind,
  parseArgv as parseCommandLine,
} from "@mcp/argv";
import { ConfigError } from "./config-error.js";
import { OPTIONS } from "./flags.js";

export interface ParsedArgv {
  /** Raw flag values by flag name; bare booleans are `true`, `--no-x` is `false`. Last occurrence wins. */
  readonly flags: ReadonlyMap<string, string | boolean>;
  readonly help: boolean;
  readonly version: boolean;
}

const FLAG_KINDS = Object.fromEntries(
  OPTIONS.map((o): [string, FlagKind] => [o.flag, o.type === "boolean" ? "boolean" : "string"]),
);

const SWITCHES = {
  "-h": "help",
  "--help": "help",
  "-help": "help",
  "-v": "version",
  "--version": "version",
  "-version": "version",
} as const;

/**
 * Splits the command line into raw flag values (with @mcp/argv, as the token CLI does); types are
 * checked later, together with the other sources, so a boolean's `--flag=<word>` stays text here.
 * Accepts `--flag=value`, `--flag value`, bare booleans, `--no-flag`, and a single leading dash
 * (`-port 8080`) as the reference's Go flag parser does. A bare `--` is ignored (`pnpm start --
 * --port=9000` hands it through).
 */
export function parseArgv(argv: readonly string[]): ParsedArgv {
  let parsed: CommandLine<string>;
  try {
    parsed = parseCommandLine(argv, {
      flags: FLAG_KINDS,
      switches: SWITCHES,
      negation: true,
      positionals: false,
      booleanValues: "raw",
    });
  } catch (error) {
    throw error instanceof ArgvError ? toConfigError(error) : error;
  }
  const flags = new Map<string, string | boolean>();
  let help = false;
  let version = false;
  for (const { name, value } of parsed.flags) {
    if (name === "help") help = true;
    else if (name === "version") version = true;
    else flags.set(name, value);
  }
  return { flags, help, version };
}

function toConfigError(error: ArgvError): ConfigError {
  const setting = error.flag;
  switch (error.code) {
    case "UNEXPECTED_ARGUMENT":
      return new ConfigError(
        "CONFIG_UNKNOWN_FLAG",
        `unexpected argument "${error.argument}": altinity-mcp takes only flags`,
      );
    case "UNKNOWN_FLAG":
      return new ConfigError(
        "CONFIG_UNKNOWN_FLAG",
        `unknown flag --${error.typed} (see altinity-mcp --help)`,
        {
          setting,
        },
      );
    case "MISSING_VALUE":
      return new ConfigError("CONFIG_MISSING_VALUE", `--${setting} needs a value`, { setting });
    case "UNEXPECTED_VALUE":
    case "INVALID_BOOLEAN":
      return new ConfigError("CONFIG_INVALID_VALUE", `--${error.typed} takes no value`, { setting });
  }
}
