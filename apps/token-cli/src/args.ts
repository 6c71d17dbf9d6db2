import { ArgvError, type ParsedArgv as CommandLine, type FlagKind, parseArgv } from "@mcp/argv";

export type { FlagKind };

/** Every flag of the CLI and its kind; which command takes which is decided in run.ts. */
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
  "max-rows-to-read": "string",
  "max-bytes-to-read": "string",
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

/** Parsed with @mcp/argv, as the server's flags are: the same syntax and boolean words. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  let parsed: CommandLine<FlagName>;
  try {
    parsed = parseArgv(argv, { flags: FLAG_KINDS, aliases: { h: "help" } });
  } catch (error) {
    // The messages of @mcp/argv never echo a value or a stray argument: a secret may be there.
    throw error instanceof ArgvError ? new UsageError(error.message) : error;
  }
  const flags = new Map<FlagName, string[]>();
  for (const { name, value } of parsed.flags) {
    const text = String(value);
    const values = flags.get(name);
    if (values === undefined) flags.set(name, [text]);
    else values.push(text);
  }
  return { positionals: parsed.positionals, flags };
}
