import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { type EmbeddedUser, renderConfigXml, renderUsersXml, validateUsers } from "./config.js";
import { loadDemoDataset } from "./demo.js";
import { CHILD_PROGRAM, locateEngine } from "./engine.js";
import { EmbeddedClickHouseError } from "./errors.js";
import { httpQuery } from "./http-query.js";
import {
  SANDBOX_ENV,
  SANDBOX_UNAVAILABLE_MARKER,
  type SandboxPolicy,
  SYSTEM_READ_ONLY,
  SYSTEM_READ_WRITE,
} from "./sandbox.js";

export interface StartOptions {
  /** Where databases are stored. Default: a fresh temporary directory, removed by `stop()`. A given directory is kept. */
  dataDir?: string;
  /** HTTP port on 127.0.0.1. Default: a free port (picked again if it is taken meanwhile). */
  httpPort?: number;
  /** Native TCP port on 127.0.0.1. Default: a free port (picked again if it is taken meanwhile). */
  tcpPort?: number;
  /**
   * Users to create besides the admin. A user named `admin` (readwrite, all databases) becomes the
   * admin with its password; otherwise an `admin` with a generated password is added. Default: none.
   */
  users?: EmbeddedUser[];
  /** How long to wait for ping and `SELECT 1`. Default: 30000 ms. */
  startTimeoutMs?: number;
  /** Load the demo dataset (database `demo`) before resolving. Default: false. */
  loadDemo?: boolean;
  /** Path of a libchdb.so to use instead of the one from the engine package. */
  libraryPath?: string;
  /**
   * Confine the engine's file access to its own directories (Landlock; Linux >= 5.19). Default:
   * true, unless the environment variable `EMBEDDED_CLICKHOUSE_SANDBOX` is `off`. When the kernel
   * cannot do it, `start` fails with `SANDBOX_UNAVAILABLE` rather than run unconfined.
   */
  sandbox?: boolean;
}

export interface EmbeddedClickHouse extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  url: string;
  httpPort: number;
  tcpPort: number;
  dataDir: string;
  /**
   * Where relative paths of `file()`, `INSERT INTO FUNCTION file()` and `ENGINE=File` point (the
   * engine's working directory). Removed by `stop()`.
   */
  userFilesDir: string;
  /** Whether the engine's file access is confined (see `StartOptions.sandbox`). */
  sandboxed: boolean;
  /** Every configured user, the admin included (last). */
  users: EmbeddedUser[];
  /** The admin: full access, may create databases. */
  admin: EmbeddedUser;
  /** ClickHouse's `version()`, e.g. `26.7.2.1`. */
  version: string;
  /** Process id of the engine's child process. */
  pid: number;
  /** Settles when the engine process has ended, whether through `stop()` or on its own. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops the engine and frees its ports; removes the data directory if `start` created it. Idempotent. */
  stop(): Promise<void>;
}

export const ADMIN_USER = "admin";
const DEFAULT_START_TIMEOUT_MS = 30_000;
// The engine waits ~5 s for idle keep-alive connections on shutdown; completed writes are already
// in files by then, so a kill after a short grace loses nothing.
const STOP_GRACE_MS = 1_000;
const PORT_ATTEMPTS = 5;
const STDERR_TAIL_CHARS = 4_000;

function checkPort(name: string, port: number | undefined): void {
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new TypeError(`${name} must be an integer between 1 and 65535`);
  }
}

function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

function resolveUsers(given: readonly EmbeddedUser[]): { users: EmbeddedUser[]; admin: EmbeddedUser } {
  validateUsers(given);
  const users = given.map((user) => ({
    ...user,
    databases: user.databases ? [...user.databases] : undefined,
  }));
  const named = users.find((user) => user.name === ADMIN_USER);
  if (named) {
    if ((named.profile ?? "readwrite") !== "readwrite" || named.databases !== undefined) {
      throw new TypeError(`User "${ADMIN_USER}" is the admin: it must be readwrite with all databases`);
    }
    return { users: [...users.filter((user) => user !== named), named], admin: named };
  }
  const admin: EmbeddedUser = { name: ADMIN_USER, password: generatePassword(), profile: "readwrite" };
  return { users: [...users, admin], admin };
}

const RUNTIME_PREFIX = "embedded-clickhouse-";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A parent killed with SIGKILL cannot clean up: its engine follows it out, but the temporary
 * directory (with any data in it) stays. Remove those left by processes that no longer exist.
 */
async function removeAbandonedRuntimeDirs(): Promise<void> {
  const tmp = os.tmpdir();
  const entries = await readdir(tmp).catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((entry) => entry.startsWith(RUNTIME_PREFIX))
      .map(async (entry) => {
        const dir = path.join(tmp, entry);
        const owner = Number(await readFile(path.join(dir, "owner.pid"), "utf8").catch(() => ""));
        if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
          await rm(dir, { recursive: true, force: true }).catch(() => {});
        }
      }),
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function ensureWritableDir(dir: string): Promise<void> {
  try {
    // Only the owner: tables, and whatever file() writes, may be private.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const probe = path.join(dir, `.write-probe-${randomBytes(6).toString("hex")}`);
    await writeFile(probe, "");
    await rm(probe);
  } catch (cause) {
    throw new EmbeddedClickHouseError("DATA_DIR_NOT_WRITABLE", `Data directory ${dir} is not writable`, {
      cause,
    });
  }
}

interface Engine {
  child: ChildProcess;
  exited: Promise<number | null>;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderrTail(): string;
}

function spawnEngine(
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

function isPortInUse(stderr: string): boolean {
  return /Address already in use|NETWORK_ERROR|Code: 210\b/.test(stderr);
}

// During start the engine's only queries open the listeners: any exception means it failed,
// even though the process stays up (it prints the error and keeps its stdin open).
const ENGINE_EXCEPTION = /Code: \d+\. DB::Exception/;

function startFailure(stderr: string, ports: string, exitCode?: number | null): EmbeddedClickHouseError {
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

async function waitReady(
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

async function stopEngine(engine: Engine): Promise<void> {
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

/** Starts ClickHouse (clickhouse-local from libchdb) in a child process serving HTTP and TCP on 127.0.0.1. */
export async function start(options: StartOptions = {}): Promise<EmbeddedClickHouse> {
  checkPort("httpPort", options.httpPort);
  checkPort("tcpPort", options.tcpPort);
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  if (!(startTimeoutMs > 0)) throw new TypeError("startTimeoutMs must be positive");
  const deadline = Date.now() + startTimeoutMs;
  const { users, admin } = resolveUsers(options.users ?? []);
  const enginePaths = locateEngine(options.libraryPath);
  const sandboxed = options.sandbox ?? process.env[SANDBOX_ENV]?.toLowerCase() !== "off";

  await removeAbandonedRuntimeDirs();
  const runtimeDir = await mkdtemp(path.join(os.tmpdir(), RUNTIME_PREFIX));
  const dataDir = path.resolve(options.dataDir ?? path.join(runtimeDir, "data"));
  const removeOnExit = () => rmSync(runtimeDir, { recursive: true, force: true });
  process.once("exit", removeOnExit);
  let engine: Engine | undefined;
  try {
    await writeFile(path.join(runtimeDir, "owner.pid"), String(process.pid));
    await ensureWritableDir(dataDir);
    // The runtime directory (mkdtemp: 0700) holds conf/ (the config and users.xml with the
    // password hashes; removed once the engine has read them), user_files/, tmp/ and, unless
    // given, data/. The engine may reach only user_files/, tmp/ and the data directory.
    const confDir = path.join(runtimeDir, "conf");
    const usersXml = path.join(confDir, "users.xml");
    const configXml = path.join(confDir, "config.xml");
    const userFiles = path.join(runtimeDir, "user_files");
    const tmp = path.join(runtimeDir, "tmp");
    await Promise.all([confDir, userFiles, tmp].map((dir) => mkdir(dir, { mode: 0o700 })));
    await writeFile(usersXml, renderUsersXml(users, admin.name), { mode: 0o600 });
    await writeFile(configXml, renderConfigXml({ usersXml, userFiles, tmp: `${tmp}/` }), { mode: 0o600 });
    const policy: SandboxPolicy | null = sandboxed
      ? {
          readWrite: [dataDir, userFiles, tmp, ...SYSTEM_READ_WRITE],
          readOnly: [confDir, ...SYSTEM_READ_ONLY],
        }
      : null;

    for (let attempt = 1; ; attempt++) {
      const httpPort = options.httpPort ?? (await freePort());
      let tcpPort = options.tcpPort ?? (await freePort());
      while (tcpPort === httpPort) tcpPort = await freePort();
      const url = `http://127.0.0.1:${httpPort}`;
      engine = spawnEngine(
        enginePaths.ffiModule,
        enginePaths.library,
        [
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
        ],
        userFiles,
        policy,
      );
      let version: string;
      try {
        version = await waitReady(engine, url, admin, deadline, `http ${httpPort}, tcp ${tcpPort}`);
      } catch (error) {
        await stopEngine(engine);
        // Only a port we picked ourselves can be swapped for another one.
        const failedPort = Number(/Listen \[[^\]]*\]:(\d+) failed/.exec(engine.stderrTail())?.[1]);
        const pickedPortTaken =
          failedPort === httpPort
            ? options.httpPort === undefined
            : failedPort === tcpPort
              ? options.tcpPort === undefined
              : options.httpPort === undefined && options.tcpPort === undefined;
        const retry =
          error instanceof EmbeddedClickHouseError &&
          error.code === "PORT_IN_USE" &&
          pickedPortTaken &&
          attempt < PORT_ATTEMPTS &&
          Date.now() < deadline;
        if (retry) continue;
        throw error;
      }
      const running = engine;
      // clickhouse-local reads its config and users once, at start: the password hashes need not
      // stay on disk (nor be reachable through file() at all).
      await rm(confDir, { recursive: true, force: true });
      // The engine must not keep this process alive: it follows us out through its stdin.
      running.child.unref();
      (running.child.stdin as unknown as Socket | null)?.unref();
      (running.child.stderr as unknown as Socket | null)?.unref();

      let stopping: Promise<void> | undefined;
      const stop = () => {
        stopping ??= (async () => {
          await stopEngine(running);
          process.removeListener("exit", removeOnExit);
          await rm(runtimeDir, { recursive: true, force: true });
        })();
        return stopping;
      };
      if (options.loadDemo) {
        try {
          await loadDemoDataset({ url, username: admin.name, password: admin.password });
        } catch (error) {
          await stop();
          throw error;
        }
      }
      return {
        url,
        httpPort,
        tcpPort,
        dataDir,
        userFilesDir: userFiles,
        sandboxed,
        users,
        admin,
        version,
        pid: running.child.pid ?? -1,
        exited: running.ended,
        stop,
        [Symbol.asyncDispose]: stop,
      };
    }
  } catch (error) {
    if (engine) await stopEngine(engine);
    process.removeListener("exit", removeOnExit);
    await rm(runtimeDir, { recursive: true, force: true });
    throw error;
  }
}
