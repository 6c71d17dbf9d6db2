import { randomBytes } from "node:crypto";
import { type FlagName, type ParsedArgs, parseArgs, UsageError } from "./args.js";
import { Flags } from "./flag-reader.js";
import { generate } from "./generate.js";
import { GENERAL_HELP, INSPECT_HELP, KEYGEN_HELP } from "./help.js";
import { inspect } from "./inspect.js";
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./io.js";

export { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./io.js";

const SECRET_FLAGS: readonly FlagName[] = ["jwe-secret-key", "jwt-secret-key"];
const COMMAND_FLAGS: Record<"generate" | "inspect" | "keygen", readonly FlagName[]> = {
  generate: [
    ...SECRET_FLAGS,
    "host",
    "port",
    "database",
    "username",
    "password",
    "protocol",
    "tls",
    "tls-ca-cert",
    "tls-client-cert",
    "tls-client-key",
    "tls-insecure-skip-verify",
    "expiry",
    "max-token-lifetime",
    "limit",
    "read-only",
    "max-execution-time",
    "max-rows-to-read",
    "max-bytes-to-read",
    "server-url",
    "output",
    "help",
  ],
  inspect: [...SECRET_FLAGS, "max-token-lifetime", "output", "help"],
  keygen: ["help"],
};

function keygen(io: CliIo): number {
  const secret = () => randomBytes(32).toString("base64url");
  io.stdout(`MCP_JWE_SECRET_KEY=${secret()}\nMCP_JWT_SECRET_KEY=${secret()}\n`);
  return EXIT_OK;
}

function checkAllowed(parsed: ParsedArgs, command: keyof typeof COMMAND_FLAGS): void {
  for (const name of parsed.flags.keys()) {
    if (!COMMAND_FLAGS[command].includes(name)) {
      const where = command === "generate" ? "when minting a token" : `with ${command}`;
      throw new UsageError(`--${name} cannot be used ${where}`);
    }
  }
}

const HELP = { generate: GENERAL_HELP, inspect: INSPECT_HELP, keygen: KEYGEN_HELP } as const;

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv);
  const [first, ...rest] = parsed.positionals;
  if (first === "help") {
    const topic = rest[0] ?? "generate";
    if (rest.length > 1 || !Object.hasOwn(HELP, topic)) {
      throw new UsageError("help takes one of: inspect, keygen");
    }
    io.stdout(HELP[topic as keyof typeof HELP]);
    return EXIT_OK;
  }
  const command = first === "inspect" || first === "keygen" ? first : "generate";
  const args = command === "generate" ? parsed.positionals : rest;
  checkAllowed(parsed, command);
  if (parsed.flags.has("help")) {
    io.stdout(HELP[command]);
    return EXIT_OK;
  }
  switch (command) {
    case "generate":
      // Positional values are not echoed: a secret may have landed there by mistake.
      if (args.length > 0) throw new UsageError("unexpected argument (flags look like --name=value)");
      return generate(new Flags(parsed), io);
    case "inspect":
      return inspect(new Flags(parsed, new Set(["jwe-secret-key"])), args, io);
    case "keygen":
      if (args.length > 0) throw new UsageError("keygen takes no arguments");
      return keygen(io);
  }
}

/** Runs the CLI and returns its exit code; all output goes through `io`. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\nRun "jwe-token-generator --help" for usage.\n`);
      return EXIT_USAGE;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}
