import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/**
 * Every process the bench starts runs under this small guardian: it starts the real process with
 * its output in a log file, reports its pid, and kills it when its own stdin closes, which happens
 * when the bench ends in any way (even SIGKILL), so no server outlives a run.
 */
const GUARDIAN = `
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const [command, argsJson, logPath, cwd] = process.argv.slice(1);
const log = fs.openSync(logPath, "a");
const child = spawn(command, JSON.parse(argsJson), { stdio: ["ignore", log, log], cwd: cwd || undefined });
const say = (value) => { try { process.stdout.write(JSON.stringify(value) + "\\n"); } catch {} };
child.on("error", (error) => { say({ error: error.message }); process.exit(1); });
child.on("spawn", () => say({ pid: child.pid }));
child.on("exit", (code, signal) => { say({ exit: code, signal }); process.exit(0); });
const stop = () => {
  child.kill("SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), 5000).unref();
};
process.stdin.on("data", () => {});
process.stdin.on("end", stop);
process.stdin.on("error", stop);
`;

export interface Managed {
  name: string;
  pid: number;
  logPath: string;
  /** Settles when the process has exited. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  logTail(chars?: number): string;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  logPath: string;
  /** Working directory (where e.g. heap snapshots land). Default: the bench's. */
  cwd?: string;
}

export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions,
): Promise<Managed> {
  const guardian: ChildProcess = spawn(
    process.execPath,
    ["-e", GUARDIAN, command, JSON.stringify(args), options.logPath, options.cwd ?? ""],
    {
      stdio: ["pipe", "pipe", "ignore"],
      env: options.env ?? cleanEnv(),
    },
  );
  guardian.stdin?.on("error", () => {});
  let exitInfo: { code: number | null; signal: string | null } | undefined;
  let resolveExit!: (value: { code: number | null; signal: string | null }) => void;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    resolveExit = resolve;
  });
  guardian.once("exit", () => {
    exitInfo ??= { code: null, signal: "guardian exited" };
    resolveExit(exitInfo);
  });
  return new Promise((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => {
      guardian.kill("SIGKILL");
      reject(new Error(`${name}: no pid from the process guardian within 10 s`));
    }, 10_000);
    guardian.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
        const message = JSON.parse(line) as {
          pid?: number;
          exit?: number | null;
          signal?: string;
          error?: string;
        };
        if (message.error !== undefined) {
          clearTimeout(timer);
          reject(new Error(`${name}: could not start: ${message.error}`));
        } else if (message.pid !== undefined) {
          clearTimeout(timer);
          resolve(managed(message.pid));
        } else if ("exit" in message) {
          exitInfo = { code: message.exit ?? null, signal: message.signal ?? null };
        }
      }
    });
  });

  function managed(pid: number): Managed {
    return {
      name,
      pid,
      logPath: options.logPath,
      exited,
      hasExited: () => exitInfo !== undefined,
      async stop() {
        if (exitInfo) return;
        guardian.stdin?.end();
        const done = await Promise.race([exited.then(() => true), delay(8_000, false)]);
        if (!done) {
          for (const id of [pid, guardian.pid]) {
            try {
              if (id) process.kill(id, "SIGKILL");
            } catch {
              // already gone
            }
          }
          await Promise.race([exited, delay(2_000)]);
        }
      },
      logTail(chars = 2_000) {
        try {
          return readFileSync(options.logPath, "utf8").slice(-chars);
        } catch {
          return "";
        }
      },
    };
  }
}

/** Node with the loader this run uses (tsx), so TypeScript children run like the bench itself. */
export function nodeArgsForScript(script: string, extraNodeArgs: string[] = []): string[] {
  return [...process.execArgv, ...extraNodeArgs, script];
}

export function childScript(name: string): string {
  return fileURLToPath(new URL(`./children/${name}`, import.meta.url));
}

/** A minimal environment: nothing from the caller's shell leaks into a server's configuration. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...extra };
}

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

/** Polls until `check` returns a value, the process exits, or the time is up. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  proc: Managed,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (proc.hasExited()) throw new Error(`${proc.name} exited before ${what}: ${proc.logTail(1_500)}`);
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await delay(50);
  }
  throw new Error(`${proc.name}: timed out waiting for ${what}: ${proc.logTail(1_500)}`);
}

export async function waitForHttp(url: string, proc: Managed, timeoutMs?: number): Promise<void> {
  await waitUntil(
    `${url} to answer`,
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return response.ok ? true : undefined;
    },
    proc,
    timeoutMs,
  );
}

export async function waitForJsonFile<T>(path: string, proc: Managed, timeoutMs?: number): Promise<T> {
  return waitUntil(
    `${path}`,
    async () => {
      if (!existsSync(path)) return undefined;
      return JSON.parse(await readFile(path, "utf8")) as T;
    },
    proc,
    timeoutMs,
  );
}

export interface Memory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since the process started, bytes. */
  hwm: number;
}

/** Linux only: the process's RSS from /proc (undefined when gone). */
export function processMemory(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) =>
      Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
    return { rss: kb("VmRSS") * 1024, hwm: kb("VmHWM") * 1024 };
  } catch {
    return undefined;
  }
}

/** The median of several RSS readings over `ms`, which smooths out a collection in progress. */
export async function settledRss(pid: number, ms = 600, samples = 7): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < samples; i++) {
    const memory = processMemory(pid);
    if (memory) readings.push(memory.rss);
    await delay(ms / samples);
  }
  readings.sort((a, b) => a - b);
  return readings[Math.floor(readings.length / 2)] ?? Number.NaN;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak seen. */
export function sampleRss(pid: number, everyMs = 5): { stop(): number } {
  let peak = 0;
  const read = () => {
    const memory = processMemory(pid);
    if (memory && memory.rss > peak) peak = memory.rss;
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return peak;
    },
  };
}
