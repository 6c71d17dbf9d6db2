/** Exit codes: 0 success (inspect: valid now), 1 invalid token or unexpected failure, 2 usage or configuration. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Everything the CLI reads and writes, injected so tests run it in-process with a frozen clock. */
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
export const loadJwe = () => import("@mcp/jwe");
