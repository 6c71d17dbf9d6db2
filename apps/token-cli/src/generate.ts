import type { MintableClaims } from "@mcp/jwe";
import { DEFAULT_EXPIRES_IN, MIN_SECRET_LENGTH } from "@mcp/jwe/defaults";
import { type FlagName, UsageError } from "./args.js";
import { type Flags, maxTokenLifetime, requireJweSecret, secretFrom } from "./flag-reader.js";
import { type CliIo, EXIT_OK, loadJwe } from "./io.js";

const DEFAULT_SERVER_URL = "http://localhost:8080";
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
  max_rows_to_read: "max-rows-to-read",
  max_bytes_to_read: "max-bytes-to-read",
};

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
    max_rows_to_read: flags.integer("max-rows-to-read", 1, Number.MAX_SAFE_INTEGER),
    max_bytes_to_read: flags.integer("max-bytes-to-read", 1, Number.MAX_SAFE_INTEGER),
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

/** Mints a token from the flags: the token alone on stdout, the URL on stderr (or one JSON line). */
export async function generate(flags: Flags, io: CliIo): Promise<number> {
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
