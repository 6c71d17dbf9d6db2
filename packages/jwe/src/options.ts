import { DEFAULT_CLOCK_TOLERANCE, DEFAULT_MAX_TOKEN_BYTES, DEFAULT_MAX_TOKEN_LIFETIME } from "./defaults.js";
import { assertSecret } from "./keys.js";

/** A positive whole number of seconds, or throws a TypeError naming the option. */
export function assertLifetime(value: unknown, name: string): number {
  if (!(Number.isSafeInteger(value) && (value as number) > 0)) {
    throw new TypeError(`${name} must be a positive integer number of seconds`);
  }
  return value as number;
}

export interface VerifyOptions {
  /** The JWE secret, or several: the current one first, then previous ones still accepted. */
  jweSecrets: string | readonly string[];
  /** When set, the inner HS256 signature is required; when absent, only unsigned tokens are accepted. */
  jwtSecret?: string;
  /** Tokens longer than this are rejected before any parsing. Default 16384. */
  maxTokenBytes?: number;
  /** Seconds of leeway applied to `exp`, `nbf` and `iat`. Default 30. */
  clockTolerance?: number;
  /** The clock. Default `() => new Date()`. */
  currentDate?: () => Date;
  /**
   * Seconds: a token whose `exp` lies further ahead of now than this (beyond `clockTolerance`) is
   * refused with TOKEN_LIFETIME_EXCEEDED, so a leaked token cannot stay usable for years. Default 30 days.
   */
  maxTokenLifetime?: number;
}

export interface VerifySettings {
  jweSecrets: readonly string[];
  jwtSecret: string | undefined;
  maxTokenBytes: number;
  clockTolerance: number;
  currentDate: () => Date;
  maxTokenLifetime: number;
}

export function resolveVerifyOptions(options: VerifyOptions): VerifySettings {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("verify options must be an object");
  }
  const { jweSecrets, jwtSecret, maxTokenBytes, clockTolerance, currentDate, maxTokenLifetime } = options;
  const secrets: readonly unknown[] | undefined =
    typeof jweSecrets === "string" ? [jweSecrets] : Array.isArray(jweSecrets) ? jweSecrets : undefined;
  if (secrets === undefined || secrets.length === 0) {
    throw new TypeError("jweSecrets must be a non-empty string or a non-empty array of them");
  }
  secrets.forEach((secret, index) => {
    assertSecret(secret, `jweSecrets[${index}]`);
  });
  if (jwtSecret !== undefined) assertSecret(jwtSecret, "jwtSecret");
  if (maxTokenBytes !== undefined && !(Number.isSafeInteger(maxTokenBytes) && maxTokenBytes > 0)) {
    throw new TypeError("maxTokenBytes must be a positive integer");
  }
  if (clockTolerance !== undefined && !(Number.isFinite(clockTolerance) && clockTolerance >= 0)) {
    throw new TypeError("clockTolerance must be a non-negative number of seconds");
  }
  if (currentDate !== undefined && typeof currentDate !== "function") {
    throw new TypeError("currentDate must be a function returning a Date");
  }
  if (maxTokenLifetime !== undefined) assertLifetime(maxTokenLifetime, "maxTokenLifetime");
  return {
    jweSecrets: [...(secrets as readonly string[])],
    jwtSecret,
    maxTokenBytes: maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES,
    clockTolerance: clockTolerance ?? DEFAULT_CLOCK_TOLERANCE,
    currentDate: currentDate ?? (() => new Date()),
    maxTokenLifetime: maxTokenLifetime ?? DEFAULT_MAX_TOKEN_LIFETIME,
  };
}

export function epochMillis(date: unknown, name: string): number {
  const millis = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(millis)) throw new TypeError(`${name} must be a valid Date`);
  return millis;
}
