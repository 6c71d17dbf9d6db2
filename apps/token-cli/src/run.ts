import { randomBytes } from "node:crypto";
import type { MintableClaims, TokenClaims, TokenInspection } from "@mcp/jwe";
import { DEFAULT_EXPIRES_IN, DEFAULT_MAX_TOKEN_LIFETIME, MIN_SECRET_LENGTH } from "@mcp/jwe/defaults";
import { type FlagName, type ParsedArgs, parseArgs, UsageError } from "./args.js";
import { GENERAL_HELP, INSPECT_HELP, KEYGEN_HELP } from "./help.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whole stdin as text; only called by `inspect` without a token argument. */
  readStdin: () => Promise<string>;
  stdinIsTTY: boolean;
  now: () => Date;
}

// Loaded on first use: usage errors, help and keygen then answer without loading the crypto and schema libraries.
const loadJwe = () => import("@mcp/jwe");

const DEFAULT_SERVER_URL = "http://localhost:8080";
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
    "server-url",
    "output",
    "help",
  ],
  inspect: [...SECRET_FLAGS, "max-token-lifetime", "output", "help"],
  keygen: ["help"],
};
const TLS_FLAGS: readonly FlagName[] = [
  "tls-ca-cert",
  "tls-client-cert",
  "tls-client-key",
  "tls-insecure-skip-verify",
];
const CLAIM_FLAGS: Record<string, FlagName> = {
  host: "host",
  port: "port",
  database: "database",
  username: "username",
  password: "password",
  protocol: "protocol",
  tls_enabled: "tls",
  tls_ca_cert: "tls-ca-cert",
  tls_client_cert: "tls-client-cert",
  tls_client_key: "tls-client-key",
  tls_insecure_skip_verify: "tls-insecure-skip-verify",
  limit: "limit",
  read_only: "read-only",
  max_execution_time: "max-execution-time",
};

/** Read access to parsed flags for one command, with the value checks every flag needs. */
class Flags {
  constructor(
    private readonly parsed: ParsedArgs,
    private readonly repeatable: ReadonlySet<FlagName> = new Set(),
  ) {}

  all(name: FlagName): string[] {
    return this.parsed.flags.get(name) ?? [];
  }

  string(name: FlagName): string | undefined {
    const values = this.all(name);
    if (values.length > 1 && !this.repeatable.has(name)) {
      throw new UsageError(`--${name} was given more than once`);
    }
    const value = values[0];
    if (value === "") throw new UsageError(`--${name} must not be empty (leave the flag out instead)`);
    return value;
  }

  boolean(name: FlagName): boolean {
    return this.string(name) === "true";
  }

  has(name: FlagName): boolean {
    return this.parsed.flags.has(name);
  }

  integer(name: FlagName, min: number, max: number): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(Number.isSafeInteger(number) && number >= min && number <= max)) {
      throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
    }
    return number;
  }

  positiveNumber(name: FlagName): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const number = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
    if (!(Number.isFinite(number) && number > 0)) throw new UsageError(`--${name} must be a positive number`);
    return number;
  }

  oneOf<T extends string>(name: FlagName, allowed: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new UsageError(`--${name} must be one of: ${allowed.join(", ")}`);
    }
    return value as T;
  }
}

function secretFrom(flags: Flags, io: CliIo, flag: FlagName, envName: string): string | undefined {
  const fromFlag = flags.string(flag);
  if (fromFlag !== undefined) return fromFlag;
  const fromEnv = io.env[envName];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

function requireJweSecret(flags: Flags, io: CliIo): string {
  const secret = secretFrom(flags, io, "jwe-secret-key", "MCP_JWE_SECRET_KEY");
  if (secret === undefined) {
    throw new UsageError(
      "no JWE secret: pass --jwe-secret-key or set MCP_JWE_SECRET_KEY (jwe-token-generator keygen makes one)",
    );
  }
  return secret;
}

/** The server's maximum token lifetime: same flag name and variable as the server's, so both agree. */
function maxTokenLifetime(flags: Flags, io: CliIo): number {
  const fromFlag = flags.integer("max-token-lifetime", 1, Number.MAX_SAFE_INTEGER);
  if (fromFlag !== undefined) return fromFlag;
  const fromEnv = io.env.MCP_JWE_MAX_TOKEN_LIFETIME;
  if (fromEnv === undefined || fromEnv === "") return DEFAULT_MAX_TOKEN_LIFETIME;
  const value = /^\d+$/.test(fromEnv.trim()) ? Number(fromEnv.trim()) : Number.NaN;
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw new UsageError("MCP_JWE_MAX_TOKEN_LIFETIME must be a positive integer number of seconds");
  }
  return value;
}

function serverUrl(flags: Flags): string {
  const value = flags.string("server-url") ?? DEFAULT_SERVER_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError("--server-url must be an absolute http:// or https:// URL");
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "" || url.hash !== "") {
    throw new UsageError("--server-url must be an http:// or https:// URL without a query or fragment");
  }
  return url.href.replace(/\/+$/, "");
}

function claimsFromFlags(flags: Flags): MintableClaims {
  const tls = flags.boolean("tls");
  for (const name of TLS_FLAGS) {
    if (flags.has(name) && !tls) throw new UsageError(`--${name} requires --tls`);
  }
  const claims: MintableClaims = {
    host: flags.string("host"),
    port: flags.integer("port", 1, 65535),
    database: flags.string("database"),
    username: flags.string("username"),
    password: flags.string("password"),
    protocol: flags.oneOf("protocol", ["http", "tcp"] as const),
    limit: flags.integer("limit", 1, Number.MAX_SAFE_INTEGER),
    max_execution_time: flags.positiveNumber("max-execution-time"),
  };
  // Like the reference generator: false booleans are left out, TLS claims only with --tls.
  if (flags.boolean("read-only")) claims.read_only = true;
  if (tls) {
    claims.tls_enabled = true;
    claims.tls_ca_cert = flags.string("tls-ca-cert");
    claims.tls_client_cert = flags.string("tls-client-cert");
    claims.tls_client_key = flags.string("tls-client-key");
    if (flags.boolean("tls-insecure-skip-verify")) claims.tls_insecure_skip_verify = true;
  }
  return claims;
}

async function generate(flags: Flags, io: CliIo): Promise<number> {
  const claims = claimsFromFlags(flags);
  const expiry = flags.integer("expiry", 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_EXPIRES_IN;
  const maxLifetime = maxTokenLifetime(flags, io);
  if (expiry > maxLifetime) {
    throw new UsageError(
      `--expiry ${expiry} is longer than the maximum token lifetime of ${maxLifetime} seconds ` +
        "(servers refuse such tokens; --max-token-lifetime or MCP_JWE_MAX_TOKEN_LIFETIME, which must match the server's)",
    );
  }
  const output = flags.oneOf("output", ["text", "json"] as const) ?? "text";
  const base = serverUrl(flags);
  const jweSecret = requireJweSecret(flags, io);
  const jwtSecret = secretFrom(flags, io, "jwt-secret-key", "MCP_JWT_SECRET_KEY");

  if (jweSecret.length < MIN_SECRET_LENGTH) {
    io.stderr(`warning: the JWE secret is shorter than ${MIN_SECRET_LENGTH} characters\n`);
  }
  if (jwtSecret === undefined) {
    io.stderr(
      "warning: no JWT secret (--jwt-secret-key or MCP_JWT_SECRET_KEY): the token is unsigned, " +
        "and servers configured with a JWT secret reject it\n",
    );
  } else if (jwtSecret.length < MIN_SECRET_LENGTH) {
    io.stderr(`warning: the JWT secret is shorter than ${MIN_SECRET_LENGTH} characters\n`);
  }

  const { mintToken, TokenError } = await loadJwe();
  const exp = Math.floor(io.now().getTime() / 1000) + expiry;
  let token: string;
  try {
    token = await mintToken({ ...claims, exp }, { jweSecret, jwtSecret, maxTokenLifetime: maxLifetime });
  } catch (error) {
    if (error instanceof TokenError) {
      const flag = error.claim === undefined ? undefined : CLAIM_FLAGS[error.claim];
      throw new UsageError(flag === undefined ? error.message : `invalid --${flag}: ${error.message}`);
    }
    throw error;
  }
  const url = `${base}/${token}/sse`;
  const expiresAt = new Date(exp * 1000).toISOString();
  if (output === "json") {
    io.stdout(`${JSON.stringify({ token, expires_at: expiresAt, url })}\n`);
  } else {
    io.stdout(`${token}\n`);
    io.stderr(`${url}\n`);
  }
  return EXIT_OK;
}

function redact(claims: TokenClaims): Record<string, unknown> {
  return claims.password === undefined ? { ...claims } : { ...claims, password: "[redacted]" };
}

function relative(target: Date, now: Date): string {
  let seconds = Math.round(Math.abs(target.getTime() - now.getTime()) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`);
  return parts.join(" ");
}

const STATUS_TEXT: Record<TokenInspection["status"], string> = {
  valid: "valid",
  expired: "EXPIRED",
  not_yet_valid: "NOT YET VALID",
  lifetime_exceeded: "EXPIRES TOO LATE (beyond the maximum token lifetime)",
};

function describeInspection(inspection: TokenInspection, now: Date): string {
  const { status, signed, expiresAt, notBefore } = inspection;
  const expiry =
    expiresAt.getTime() > now.getTime()
      ? `${expiresAt.toISOString()} (in ${relative(expiresAt, now)})`
      : `${expiresAt.toISOString()} (expired ${relative(expiresAt, now)} ago)`;
  const lines = [
    `status:     ${STATUS_TEXT[status]}`,
    `signed:     ${signed ? "yes (HS256 JWT inside the JWE)" : "no (unsigned claims, cty JSON)"}`,
    `expires at: ${expiry}`,
  ];
  if (notBefore !== undefined) lines.push(`not before: ${notBefore.toISOString()}`);
  lines.push("claims:", JSON.stringify(redact(inspection.claims), null, 2));
  return `${lines.join("\n")}\n`;
}

async function inspect(flags: Flags, args: string[], io: CliIo): Promise<number> {
  if (args.length > 1) throw new UsageError("inspect takes one token");
  const output = flags.oneOf("output", ["text", "json"] as const) ?? "text";
  const fromFlags = flags.all("jwe-secret-key");
  if (fromFlags.includes("")) throw new UsageError("--jwe-secret-key must not be empty");
  const jweSecrets = fromFlags.length > 0 ? fromFlags : [requireJweSecret(flags, io)];
  const jwtSecret = secretFrom(flags, io, "jwt-secret-key", "MCP_JWT_SECRET_KEY");

  let token = args[0];
  if (token === undefined || token === "-") {
    if (token === undefined && io.stdinIsTTY) {
      throw new UsageError("no token: pass it as an argument or on stdin");
    }
    token = await io.readStdin();
  }
  token = token.trim();
  if (token === "") throw new UsageError("no token: the argument or stdin was empty");

  const { inspectToken, TokenError } = await loadJwe();
  const now = io.now();
  let inspection: TokenInspection;
  try {
    inspection = await inspectToken(token, {
      jweSecrets,
      jwtSecret,
      currentDate: () => now,
      maxTokenLifetime: maxTokenLifetime(flags, io),
    });
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    const hint =
      error.code === "TOKEN_SIGNATURE_UNEXPECTED"
        ? " (pass --jwt-secret-key or set MCP_JWT_SECRET_KEY)"
        : error.code === "TOKEN_SIGNATURE_REQUIRED"
          ? " (inspect it without a JWT secret to read it)"
          : "";
    if (output === "json") {
      io.stdout(`${JSON.stringify({ valid: false, error: { code: error.code, message: error.message } })}\n`);
    }
    io.stderr(`invalid token: ${error.message}${hint} [${error.code}]\n`);
    return EXIT_FAILURE;
  }

  if (output === "json") {
    const { status, signed, expiresAt, notBefore, claims } = inspection;
    io.stdout(
      `${JSON.stringify({
        valid: status === "valid",
        status,
        signed,
        expires_at: expiresAt.toISOString(),
        ...(notBefore === undefined ? {} : { not_before: notBefore.toISOString() }),
        claims: redact(claims),
      })}\n`,
    );
  } else {
    io.stdout(describeInspection(inspection, now));
  }
  if (inspection.status === "expired") {
    io.stderr("invalid token: token has expired [TOKEN_EXPIRED]\n");
    return EXIT_FAILURE;
  }
  if (inspection.status === "not_yet_valid") {
    io.stderr("invalid token: token is not valid yet [TOKEN_NOT_YET_VALID]\n");
    return EXIT_FAILURE;
  }
  if (inspection.status === "lifetime_exceeded") {
    io.stderr(
      "invalid token: token expires beyond the maximum token lifetime (--max-token-lifetime) [TOKEN_LIFETIME_EXCEEDED]\n",
    );
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

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
