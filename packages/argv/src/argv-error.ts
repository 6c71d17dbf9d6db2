export type ArgvErrorCode =
  | "UNKNOWN_FLAG"
  | "MISSING_VALUE"
  | "INVALID_BOOLEAN"
  | "UNEXPECTED_VALUE"
  | "UNEXPECTED_ARGUMENT";

/**
 * A command line that cannot be parsed. The message never contains a flag's value or a stray
 * argument (either may be a secret typed in the wrong place); apps that want to show the
 * argument find it in `argument`.
 */
export class ArgvError extends Error {
  override readonly name = "ArgvError";
  readonly code: ArgvErrorCode;
  /** The flag's name without dashes: the canonical one when known, as typed otherwise. */
  readonly flag: string | undefined;
  /** The name as typed, without dashes and value (e.g. "no-read-only", "h"). */
  readonly typed: string | undefined;
  /** For UNEXPECTED_ARGUMENT: the argument itself. */
  readonly argument: string | undefined;

  constructor(
    code: ArgvErrorCode,
    message: string,
    details: { flag?: string; typed?: string; argument?: string } = {},
  ) {
    super(message);
    this.code = code;
    this.flag = details.flag;
    this.typed = details.typed;
    this.argument = details.argument;
  }
}
