import { ArgvError } from "./argv-error.js";
import { parseBooleanWord } from "./boolean-words.js";

export type FlagKind = "string" | "boolean";

export interface ParseArgvOptions<N extends string, S extends string = never> {
  /** Every known flag by name (without dashes) and kind. */
  flags: Readonly<Record<N, FlagKind>>;
  /** Other names for flags, e.g. `{ h: "help" }`: `-h` is `--help` (with `-h=false` too). */
  aliases?: Readonly<Record<string, N>>;
  /**
   * Whole arguments that stand alone for a flag set to true, e.g. `{ "--version": "version" }`.
   * Matched before anything else, and only exactly (so `--version=x` is not one).
   */
  switches?: Readonly<Record<string, S>>;
  /** Accept `--no-<flag>` for a boolean flag, meaning false. Default false. */
  negation?: boolean;
  /** Collect arguments that are not flags (default true); with false they throw UNEXPECTED_ARGUMENT. */
  positionals?: boolean;
  /**
   * "check" (default): `--flag=<word>` of a boolean must be a boolean word (parseBooleanWord) and
   * is returned as a boolean. "raw": returned as the string given, for a caller that checks it
   * together with its other sources (environment, file) with the same parseBooleanWord.
   */
  booleanValues?: "check" | "raw";
}

export interface ArgvFlag<N extends string> {
  name: N;
  /** A string flag's value; a boolean's `true` / `false` (or, with booleanValues "raw", its inline text). */
  value: string | boolean;
}

export interface ParsedArgv<N extends string> {
  /** Every flag given, in order; repeated flags appear once per occurrence. */
  flags: ArgvFlag<N>[];
  positionals: string[];
}

/**
 * Splits a command line the way Go's flag package reads it, so the reference's command lines
 * work unchanged: `--flag=value`, `--flag value`, a single leading dash (`-port 8080`), bare
 * booleans (a boolean never takes the next argument: `--read-only false` would be ambiguous),
 * and `--no-flag` when enabled. A bare `--` is skipped (`pnpm run x -- <flags>` passes it
 * through), and `-` is a positional (stdin). A value may start with one dash (`--expiry -5`)
 * but not with two: `--host --port=1` is a missing value, not a host named "--port=1".
 */
export function parseArgv<N extends string, S extends string = never>(
  argv: readonly string[],
  options: ParseArgvOptions<N, S>,
): ParsedArgv<N | S> {
  const { flags: kinds, aliases = {}, switches = {}, negation = false, booleanValues = "check" } = options;
  const kindOf = (name: string): FlagKind | undefined =>
    Object.hasOwn(kinds, name) ? kinds[name as N] : undefined;
  const flags: ArgvFlag<N | S>[] = [];
  const positionals: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (Object.hasOwn(switches, arg)) {
      flags.push({ name: switches[arg] as S, value: true });
      continue;
    }
    if (arg === "--") continue;
    if (!arg.startsWith("-") || arg === "-") {
      if (options.positionals === false) {
        throw new ArgvError("UNEXPECTED_ARGUMENT", "unexpected argument", { argument: arg });
      }
      positionals.push(arg);
      continue;
    }

    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const typed = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);

    const name = (Object.hasOwn(aliases, typed) ? aliases[typed] : typed) as N;
    const kind = kindOf(name);
    if (kind === undefined && negation && typed.startsWith("no-") && kindOf(typed.slice(3)) === "boolean") {
      const positive = typed.slice(3) as N;
      if (inline !== undefined) {
        throw new ArgvError("UNEXPECTED_VALUE", `--${typed} takes no value`, { flag: positive, typed });
      }
      flags.push({ name: positive, value: false });
      continue;
    }
    if (kind === undefined) {
      throw new ArgvError("UNKNOWN_FLAG", `unknown flag --${typed.slice(0, 64)}`, { flag: typed, typed });
    }

    if (kind === "boolean") {
      if (inline === undefined || booleanValues === "raw") {
        flags.push({ name, value: inline ?? true });
        continue;
      }
      const value = parseBooleanWord(inline);
      if (value === undefined) {
        throw new ArgvError("INVALID_BOOLEAN", `--${name} takes no value, or =true / =false`, {
          flag: name,
          typed,
        });
      }
      flags.push({ name, value });
    } else if (inline !== undefined) {
      flags.push({ name, value: inline });
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) {
        throw new ArgvError("MISSING_VALUE", `--${name} needs a value`, { flag: name, typed });
      }
      flags.push({ name, value: next });
      i++;
    }
  }
  return { flags, positionals };
}
