/** A small, explicit parser for `--flag=value`, `--flag value` and bare boolean flags (Go-style `-flag` too). */

export type FlagKind = "string" | "boolean";

export const FLAG_KINDS = {
  "jwe-secret-key": "string",
  "jwt-secret-key": "string",
  host: "string",
  port: "string",
  database: "string",
  username: "string",
  password: "string",
  protocol: "string",
  tls: "boolean",
  "tls-ca-cert": "string",
  "tls-client-cert": "string",
  "tls-client-key": "string",
  "tls-insecure-skip-verify": "boolean",
  expiry: "string",
  "max-token-lifetime": "string",
  limit: "string",
  "read-only": "boolean",
  "max-execution-time": "string",
  "server-url": "string",
  output: "string",
  help: "boolean",
} as const satisfies Record<string, FlagKind>;

export type FlagName = keyof typeof FLAG_KINDS;

/** The failure of a command line: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface ParsedArgs {
  positionals: string[];
  /** Every value given for each flag, in order; booleans as "true" / "false". */
  flags: Map<FlagName, string[]>;
}

function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAG_KINDS, name);
}

function booleanValue(name: string, value: string): string {
  const normalized = value.toLowerCase();
  if (normalized === "true" || normalized === "1") return "true";
  if (normalized === "false" || normalized === "0") return "false";
  throw new UsageError(`--${name} takes no value, or =true / =false`);
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<FlagName, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    // `pnpm run token -- <flags>` passes the "--" through; no token or command starts with "-", so skip it.
    if (arg === "--") continue;
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const rawName = eq === -1 ? body : body.slice(0, eq);
    const name = rawName === "h" ? "help" : rawName;
    // Never echo what follows "=": it may be a secret typed into the wrong flag.
    if (!isFlagName(name)) throw new UsageError(`unknown flag --${rawName.slice(0, 64)}`);
    let value: string;
    if (FLAG_KINDS[name] === "boolean") {
      value = eq === -1 ? "true" : booleanValue(name, body.slice(eq + 1));
    } else if (eq !== -1) {
      value = body.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    const values = flags.get(name);
    if (values === undefined) flags.set(name, [value]);
    else values.push(value);
  }
  return { positionals, flags };
}
