import type { EmbeddedUser } from "./config.js";
import type { Engine } from "./engine-process.js";
import { EmbeddedClickHouseError } from "./errors.js";
import { httpQuery } from "./http-query.js";
import { ENGINE_EXCEPTION, startFailure } from "./start-failure.js";

export async function waitReady(
  engine: Engine,
  url: string,
  admin: EmbeddedUser,
  deadline: number,
  ports: string,
): Promise<string> {
  let exitCode: number | null | undefined;
  void engine.exited.then((code) => {
    exitCode = code;
  });
  let lastProblem = "no answer to /ping";
  while (Date.now() < deadline && exitCode === undefined) {
    if (ENGINE_EXCEPTION.test(engine.stderrTail())) throw startFailure(engine.stderrTail(), ports);
    try {
      const ping = await fetch(`${url}/ping`, {
        headers: { connection: "close" },
        signal: AbortSignal.timeout(1_000),
      });
      await ping.text();
      if (ping.ok) {
        const target = { url, username: admin.name, password: admin.password };
        const version = (await httpQuery(target, "SELECT version()", 5_000)).trim();
        // HTTP is opened after TCP, so a failed TCP listener has reported by now; let its
        // message arrive through the pipe before trusting the answer (it could also come from
        // another server that holds our HTTP port).
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (ENGINE_EXCEPTION.test(engine.stderrTail())) throw startFailure(engine.stderrTail(), ports);
        return version;
      }
      lastProblem = `/ping answered ${ping.status}`;
    } catch (error) {
      if (error instanceof EmbeddedClickHouseError && error.code !== "QUERY_FAILED") throw error;
      lastProblem = error instanceof EmbeddedClickHouseError ? error.message : "no answer to /ping";
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), engine.exited]);
  }
  if (exitCode !== undefined) throw startFailure(engine.stderrTail(), ports, exitCode);
  throw new EmbeddedClickHouseError(
    "START_TIMEOUT",
    `ClickHouse was not ready in time (${ports}): ${lastProblem}`,
  );
}
