export type ConfigErrorCode =
  | "CONFIG_UNKNOWN_FLAG"
  | "CONFIG_UNKNOWN_KEY"
  | "CONFIG_MISSING_VALUE"
  | "CONFIG_INVALID_VALUE"
  | "CONFIG_FILE_UNREADABLE"
  | "CONFIG_FILE_INVALID"
  | "CONFIG_CONFLICT";

/**
 * Bad configuration: main.ts prints the message and exits 2 before listening.
 * The message names the flag / environment variable / config key; it never contains a secret value.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code: ConfigErrorCode;
  /** Flag name (without dashes) or config key the error is about, when there is one. */
  readonly setting: string | undefined;

  constructor(code: ConfigErrorCode, message: string, options?: { setting?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.setting = options?.setting;
  }
}
