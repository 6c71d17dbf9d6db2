import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { Socket } from "node:net";
import * as path from "node:path";
import { resolveUsers } from "./admin-user.js";
import type { EmbeddedUser } from "./config.js";
import { loadDemoDataset } from "./demo.js";
import { locateEngine } from "./engine.js";
import { type Engine, engineArgs, spawnEngine, stopEngine } from "./engine-process.js";
import { EmbeddedClickHouseError } from "./errors.js";
import { checkPort, freePort } from "./ports.js";
import { waitReady } from "./readiness.js";
import {
  createRuntimeDir,
  ensureWritableDir,
  removeAbandonedRuntimeDirs,
  writeOwnerPid,
  writeRuntimeFiles,
} from "./runtime-dir.js";
import { SANDBOX_ENV, type SandboxPolicy, SYSTEM_READ_ONLY, SYSTEM_READ_WRITE } from "./sandbox.js";

export { ADMIN_USER } from "./admin-user.js";

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

const DEFAULT_START_TIMEOUT_MS = 30_000;
const PORT_ATTEMPTS = 5;

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
  const runtimeDir = await createRuntimeDir();
  const dataDir = path.resolve(options.dataDir ?? path.join(runtimeDir, "data"));
  const removeOnExit = () => rmSync(runtimeDir, { recursive: true, force: true });
  process.once("exit", removeOnExit);
  let engine: Engine | undefined;
  try {
    await writeOwnerPid(runtimeDir);
    await ensureWritableDir(dataDir);
    const { confDir, configXml, userFiles, tmp } = await writeRuntimeFiles(runtimeDir, users, admin.name);
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
        engineArgs(configXml, dataDir, httpPort, tcpPort),
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
