import { type ChildProcess, spawn } from "node:child_process";
import { CHILD_PROGRAM } from "./engine.js";
import type { SandboxPolicy } from "./sandbox.js";

// The engine waits ~5 s for idle keep-alive connections on shutdown; completed writes are already
// in files by then, so a kill after a short grace loses nothing.
const STOP_GRACE_MS = 1_000;
const STDERR_TAIL_CHARS = 4_000;

export interface Engine {
  child: ChildProcess;
  exited: Promise<number | null>;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderrTail(): string;
}

export function spawnEngine(
  ffiModule: string,
  library: string,
  args: string[],
  cwd: string,
  policy: SandboxPolicy | null,
): Engine {
  const argv = ["-e", CHILD_PROGRAM, ffiModule, library, JSON.stringify(args), JSON.stringify(policy)];
  const child = spawn(process.execPath, argv, {
    // stdin is the lifeline: the engine's last query reads it until EOF, which comes when we
    // close it or when this process dies for any reason.
    stdio: ["pipe", "ignore", "pipe"],
    env: {},
    // clickhouse-local resolves relative file() paths against its working directory.
    cwd,
  });
  let tail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  // EPIPE when the child is already gone is expected and harmless.
  child.stdin?.on("error", () => {});
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  const exited = ended.then(({ code }) => code);
  return { child, exited, ended, stderrTail: () => tail.trim() };
}

/** The clickhouse-local command line of the engine's child process. */
export function engineArgs(configXml: string, dataDir: string, httpPort: number, tcpPort: number): string[] {
  return [
    "clickhouse",
    `--config-file=${configXml}`,
    `--path=${dataDir}/`,
    `--http_port=${httpPort}`,
    `--tcp_port=${tcpPort}`,
    "--listen_host=127.0.0.1",
    // The engine's own session only: the `default` user's profile is readonly=1 for
    // everyone who logs in over the network (see renderUsersXml).
    "--readonly=0",
    "--input-format=LineAsString",
    "--structure=line String",
    "--multiquery",
    // TCP first: once HTTP answers, both listeners have been opened (or have failed).
    "--query=SYSTEM START LISTEN TCP; SYSTEM START LISTEN HTTP; SELECT count() FROM table FORMAT Null",
  ];
}

export async function stopEngine(engine: Engine): Promise<void> {
  if (engine.child.exitCode !== null || engine.child.signalCode !== null) return;
  // Keep this process alive until the engine is gone, even though it was unref'd while running.
  engine.child.ref();
  engine.child.stdin?.end();
  const timer = new Promise<"timeout">((resolve) => setTimeout(resolve, STOP_GRACE_MS, "timeout").unref());
  if ((await Promise.race([engine.exited, timer])) === "timeout") {
    engine.child.kill("SIGKILL");
    await engine.exited;
  }
}
