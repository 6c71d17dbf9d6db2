export type EmbeddedClickHouseErrorCode =
  /** No engine package for this OS/CPU/libc (only linux x64 glibc has one). */
  | "PLATFORM_UNSUPPORTED"
  /** The engine package or the FFI package is not installed. */
  | "ENGINE_NOT_INSTALLED"
  /** The engine process exited before it was ready. */
  | "ENGINE_EXITED"
  /** A requested port is already in use. */
  | "PORT_IN_USE"
  /** Ping and `SELECT 1` did not both succeed within `startTimeoutMs`. */
  | "START_TIMEOUT"
  /** The data directory cannot be created or written. */
  | "DATA_DIR_NOT_WRITABLE"
  /** The kernel cannot confine the engine's file access (no Landlock); see `sandbox` in the README. */
  | "SANDBOX_UNAVAILABLE"
  /** A query sent by this package (demo dataset, readiness probe) failed. */
  | "QUERY_FAILED";

/** The only error class this package throws (caller mistakes are plain `TypeError`s). */
export class EmbeddedClickHouseError extends Error {
  override readonly name = "EmbeddedClickHouseError";
  readonly code: EmbeddedClickHouseErrorCode;

  constructor(code: EmbeddedClickHouseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
