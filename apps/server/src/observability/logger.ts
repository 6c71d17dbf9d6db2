import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "../config/server-config.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  /** Where JSON lines go. Default: stderr, written synchronously so nothing is lost on exit. */
  destination?: DestinationStream;
  /**
   * Secret values (JWE/JWT secrets, passwords, operator key) to scrub wherever they appear in a
   * line. Read on every write, so a live Set can gain secrets learnt after the logger was made.
   */
  secrets?: Iterable<string>;
  /** Static fields on every line. */
  base?: Record<string, unknown>;
}

export const REDACTED = "[redacted]";

/**
 * Field paths pino censors structurally. The line scrubber below also catches these names at any
 * depth, but pino's redaction handles non-string values (arrays of secrets, objects) too.
 */
const REDACT_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.cookie",
  '*.headers["x-altinity-mcp-key"]',
  "jweSecretKeys",
  "*.jweSecretKeys",
  "*.*.jweSecretKeys",
  "jwtSecretKey",
  "*.jwtSecretKey",
  "*.*.jwtSecretKey",
  "operatorKey",
  "*.operatorKey",
  "*.*.operatorKey",
  "*.*.password",
];

/** A JSON string property whose name says it holds a credential, at any depth. */
const SECRET_FIELD =
  /"((?:[\w-]*password|[\w-]*secret(?:[_-]?keys?)?|token|access_token|refresh_token|id_token|authorization|proxy-authorization|cookie|set-cookie|x-altinity-mcp-key|operator_?key|api_?key|passwd))":"(?:[^"\\]|\\.)*"/gi;

/**
 * Anything shaped like a compact JWE (5 parts) or JWS (3 parts): base64url of a JSON header, so it
 * starts with "eyJ". Catches tokens inside URLs (`/eyJ.../sse`), messages and error text.
 */
const COMPACT_TOKEN = /eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){2,4}/g;

/** Secrets shorter than this are not scrubbed literally: they would mangle ordinary words. */
const MIN_SCRUB_LENGTH = 4;

export function scrubLine(line: string, secrets?: Iterable<string>): string {
  let out = line.replace(COMPACT_TOKEN, REDACTED).replace(SECRET_FIELD, `"$1":"${REDACTED}"`);
  if (secrets) {
    for (const secret of secrets) {
      if (secret.length < MIN_SCRUB_LENGTH) continue;
      // In a JSON line the secret may appear escaped (quotes, backslashes, control characters).
      const escaped = JSON.stringify(secret).slice(1, -1);
      out = out.split(secret).join(REDACTED);
      if (escaped !== secret) out = out.split(escaped).join(REDACTED);
    }
  }
  return out;
}

/**
 * The server's logger: pino JSON lines, with secrets removed three ways (field paths, any field
 * named like a credential, and the literal configured secret values / token-shaped strings).
 */
export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const secrets = options.secrets;
  return pino(
    {
      level,
      base: { name: "altinity-mcp", pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: { streamWrite: (line) => scrubLine(line, secrets) },
    },
    destination,
  );
}
