import { DEFAULT_MAX_TOKEN_LIFETIME } from "@mcp/jwe/defaults";
import { type FlagName, type ParsedArgs, UsageError } from "./args.js";
import type { CliIo } from "./io.js";

/** Read access to parsed flags for one command, with the value checks every flag needs. */
export class Flags {
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

export function secretFrom(flags: Flags, io: CliIo, flag: FlagName, envName: string): string | undefined {
  const fromFlag = flags.string(flag);
  if (fromFlag !== undefined) return fromFlag;
  const fromEnv = io.env[envName];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

export function requireJweSecret(flags: Flags, io: CliIo): string {
  const secret = secretFrom(flags, io, "jwe-secret-key", "MCP_JWE_SECRET_KEY");
  if (secret === undefined) {
    throw new UsageError(
      "no JWE secret: pass --jwe-secret-key or set MCP_JWE_SECRET_KEY (jwe-token-generator keygen makes one)",
    );
  }
  return secret;
}

/** The server's maximum token lifetime: same flag name and variable as the server's, so both agree. */
export function maxTokenLifetime(flags: Flags, io: CliIo): number {
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
