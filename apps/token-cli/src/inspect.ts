import type { TokenClaims, TokenInspection } from "@mcp/jwe";
import { UsageError } from "./args.js";
import { type Flags, maxTokenLifetime, requireJweSecret, secretFrom } from "./flag-reader.js";
import { type CliIo, EXIT_FAILURE, EXIT_OK, loadJwe } from "./io.js";

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

/** Decrypts a token and shows it; exit 1 unless it is valid now. */
export async function inspect(flags: Flags, args: string[], io: CliIo): Promise<number> {
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
