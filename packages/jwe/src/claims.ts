import { z } from "zod";
import { TokenError } from "./errors.js";

export const CONNECTION_CLAIM_NAMES = Object.freeze([
  "host",
  "port",
  "database",
  "username",
  "password",
  "protocol",
  "tls_enabled",
  "tls_ca_cert",
  "tls_client_cert",
  "tls_client_key",
  "tls_insecure_skip_verify",
] as const);

export const LIMIT_CLAIM_NAMES = Object.freeze([
  "limit",
  "read_only",
  "max_execution_time",
  "max_rows_to_read",
  "max_bytes_to_read",
] as const);

export const REGISTERED_CLAIM_NAMES = Object.freeze([
  "exp",
  "nbf",
  "iat",
  "iss",
  "sub",
  "aud",
  "jti",
] as const);

/** Every claim name a token may carry; anything else is rejected, as the reference does. */
export const CLAIM_NAMES = Object.freeze([
  ...CONNECTION_CLAIM_NAMES,
  ...LIMIT_CLAIM_NAMES,
  ...REGISTERED_CLAIM_NAMES,
] as const);

export type ConnectionClaimName = (typeof CONNECTION_CLAIM_NAMES)[number];
export type ClaimName = (typeof CLAIM_NAMES)[number];

export interface ParseClaimsOptions {
  /** Reject claims without `exp`. Default false (minting computes `exp` when it is absent). */
  requireExp?: boolean;
}

// Bounds keep the largest possible token well under the default 16 KiB verify limit.
const boundedString = (max: number) =>
  z
    .string({ error: "must be a string" })
    .min(1, { error: "must not be empty" })
    .max(max, { error: `must be at most ${max} characters` });

const flag = z.boolean({ error: "must be a boolean" });

const positiveInteger = () =>
  z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .positive({ error: "must be positive" })
    .max(Number.MAX_SAFE_INTEGER, { error: "must be at most 2^53 - 1" });

const numericDate = z
  .number({ error: "must be a number of seconds since the epoch" })
  .min(0, { error: "must be a non-negative number of seconds since the epoch" })
  .max(253_402_300_799, { error: "must be a date before the year 10000" });

const connectionShape = {
  host: boundedString(255).regex(/^[^\s\u0000-\u001f\u007f/]+$/, {
    error: "must not contain whitespace, control characters or '/'",
  }),
  port: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be from 1 to 65535" })
    .max(65535, { error: "must be from 1 to 65535" }),
  database: boundedString(256),
  username: boundedString(256),
  password: boundedString(1024),
  protocol: z.enum(["http", "tcp"], { error: 'must be "http" or "tcp"' }),
  tls_enabled: flag,
  tls_ca_cert: boundedString(1024),
  tls_client_cert: boundedString(1024),
  tls_client_key: boundedString(1024),
  tls_insecure_skip_verify: flag,
} satisfies Record<ConnectionClaimName, z.ZodType>;

const limitShape = {
  limit: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .positive({ error: "must be positive" }),
  read_only: flag,
  max_execution_time: z
    .number({ error: "must be a number" })
    .positive({ error: "must be positive" })
    .max(31_536_000, { error: "must be at most one year" }),
  // The read budget (rows and bytes a query may read); ours, not in the reference.
  max_rows_to_read: positiveInteger(),
  max_bytes_to_read: positiveInteger(),
} satisfies Record<(typeof LIMIT_CLAIM_NAMES)[number], z.ZodType>;

const registeredShape = {
  exp: numericDate,
  nbf: numericDate,
  iat: numericDate,
  iss: boundedString(256),
  sub: boundedString(256),
  aud: z.union([boundedString(256), z.array(boundedString(256)).min(1).max(8)], {
    error: "must be a non-empty string or an array of 1 to 8 non-empty strings",
  }),
  jti: boundedString(256),
} satisfies Record<(typeof REGISTERED_CLAIM_NAMES)[number], z.ZodType>;

/** Every claim, all optional: `exp` is required by verification (parseClaims' requireExp), not by minting. */
const claimsSchema = z.strictObject({ ...connectionShape, ...limitShape, ...registeredShape }).partial();
const connectionSchema = z.object(connectionShape).partial();

// The types are the schema's: one definition of every claim's name and type.
/** Where and as whom to reach ClickHouse; every field optional (a server may fill gaps). */
export type ConnectionClaims = z.infer<typeof connectionSchema>;
/** Claims a token may be minted from: `exp` may be left to `expiresIn`. */
export type MintableClaims = z.infer<typeof claimsSchema>;
/** The claims of a verified token: `exp` is always there. */
export type TokenClaims = MintableClaims & { exp: number };

const claimNameSet: ReadonlySet<string> = new Set(CLAIM_NAMES);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// The name of an unknown claim comes from the token's author; keep only names that are safe to print.
function printableClaimName(name: string): string {
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(name) ? name : "(unprintable name)";
}

function invalid(claim: string, reason: string): TokenError {
  return new TokenError("TOKEN_CLAIMS_INVALID", `claim "${claim}" ${reason}`, { claim });
}

/**
 * Validates claim names and types (never values against a policy) and returns a clean copy
 * without `undefined` members. Throws TokenError TOKEN_CLAIMS_INVALID naming the first bad claim.
 */
export function parseClaims(input: unknown, options: ParseClaimsOptions = {}): MintableClaims {
  if (!isPlainObject(input)) {
    throw new TokenError("TOKEN_CLAIMS_INVALID", "claims must be a JSON object");
  }
  for (const name of Object.keys(input)) {
    if (!claimNameSet.has(name)) {
      const printable = printableClaimName(name);
      throw invalid(printable, "is not a supported claim");
    }
  }
  const result = claimsSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const claim = typeof issue?.path[0] === "string" ? issue.path[0] : "(unknown)";
    throw invalid(claim, issue?.message ?? "is invalid");
  }
  if (options.requireExp && result.data.exp === undefined) {
    throw invalid("exp", "is required");
  }
  const parsed: MintableClaims = result.data;
  const claims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (value !== undefined) claims[name] = value;
  }
  return claims as MintableClaims;
}
