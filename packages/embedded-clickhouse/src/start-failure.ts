import { EmbeddedClickHouseError } from "./errors.js";
import { SANDBOX_ENV, SANDBOX_UNAVAILABLE_MARKER } from "./sandbox.js";

function isPortInUse(stderr: string): boolean {
  return /Address already in use|NETWORK_ERROR|Code: 210\b/.test(stderr);
}

// During start the engine's only queries open the listeners: any exception means it failed,
// even though the process stays up (it prints the error and keeps its stdin open).
export const ENGINE_EXCEPTION = /Code: \d+\. DB::Exception/;

export function startFailure(
  stderr: string,
  ports: string,
  exitCode?: number | null,
): EmbeddedClickHouseError {
  const sandbox = stderr.indexOf(SANDBOX_UNAVAILABLE_MARKER);
  if (sandbox >= 0) {
    const why = stderr
      .slice(sandbox + SANDBOX_UNAVAILABLE_MARKER.length)
      .split("\n")[0]
      ?.trim();
    return new EmbeddedClickHouseError(
      "SANDBOX_UNAVAILABLE",
      `Cannot confine the ClickHouse engine's file access: ${why}. Without that, its users could read and write any file this process can. To run it unconfined anyway (only where no untrusted user reaches it), pass sandbox: false or set ${SANDBOX_ENV}=off.`,
    );
  }
  if (isPortInUse(stderr)) {
    return new EmbeddedClickHouseError("PORT_IN_USE", `A port is already in use (${ports}): ${stderr}`);
  }
  const how = exitCode === undefined ? "failed" : `exited (exit code ${exitCode})`;
  return new EmbeddedClickHouseError(
    "ENGINE_EXITED",
    `The ClickHouse engine ${how} during start: ${stderr || "no output"}`,
  );
}
