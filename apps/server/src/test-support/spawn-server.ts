/**
 * Runs the built binary (dist/main.js) as a child process, for tests of what only a real process
 * shows: exit codes, signals, stdout/stderr, listening sockets. Not part of the server.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const MAIN_JS = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

export type LogLine = Record<string, unknown> & { level?: string; msg?: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess extends AsyncDisposable {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stderr parsed as JSON log lines (non-JSON lines are skipped). */
  logs(): LogLine[];
  /** Resolves with the first log line matching, rejects if the process exits first or on timeout. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves once stdout matches, rejects if the process exits first or on timeout. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The base URL from the "listening" log line. */
  listening(timeoutMs?: number): Promise<string>;
  exited: Promise<Exit>;
}

/** An environment with nothing from the test runner's own (no stray CLICKHOUSE_* or MCP_*). */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...extra };
}

export function spawnServer(args: string[], options: { env?: Record<string, string> } = {}): ServerProcess {
  if (!existsSync(MAIN_JS)) {
    throw new Error(`${MAIN_JS} is missing: build first (pnpm turbo run build --filter=@mcp/server...)`);
  }
  const child = spawn(process.execPath, [MAIN_JS, ...args], {
    env: options.env ?? cleanEnv(),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    notify();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
    notify();
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      notify();
      resolve({ code, signal });
    });
  });
  let exitInfo: Exit | undefined;
  void exited.then((info) => {
    exitInfo = info;
    notify();
  });

  const logs = (): LogLine[] =>
    err.split("\n").flatMap((line) => {
      if (!line.startsWith("{")) return [];
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });

  function waitFor<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const found = check();
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (exitInfo) {
          done();
          reject(
            new Error(
              `process exited (${JSON.stringify(exitInfo)}) before ${what}\nstderr:\n${err}\nstdout:\n${out}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}\nstderr:\n${err}\nstdout:\n${out}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(attempt);
      };
      waiters.add(attempt);
      attempt();
    });
  }

  const server: ServerProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    logs,
    exited,
    waitForLog: (match, timeoutMs = 20_000) =>
      waitFor(() => logs().find(match), "a matching log line", timeoutMs),
    waitForStdout: (pattern, timeoutMs = 20_000) =>
      waitFor(() => out.match(pattern) ?? undefined, `stdout matching ${pattern}`, timeoutMs),
    listening: async (timeoutMs) => {
      const line = await server.waitForLog((l) => l.msg === "listening", timeoutMs);
      return line.url as string;
    },
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
  return server;
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
