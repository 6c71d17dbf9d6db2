import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { type EmbeddedUser, renderConfigXml, renderUsersXml } from "./config.js";
import { EmbeddedClickHouseError } from "./errors.js";

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
export async function removeAbandonedRuntimeDirs(): Promise<void> {
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

/** A fresh private (0700) runtime directory in the system's temporary directory. */
export async function createRuntimeDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), RUNTIME_PREFIX));
}

/** Records this process as the runtime directory's owner (see `removeAbandonedRuntimeDirs`). */
export async function writeOwnerPid(runtimeDir: string): Promise<void> {
  await writeFile(path.join(runtimeDir, "owner.pid"), String(process.pid));
}

export async function ensureWritableDir(dir: string): Promise<void> {
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

export interface RuntimeFiles {
  /** Holds the config and users.xml (with the password hashes); remove it once the engine has read them. */
  confDir: string;
  configXml: string;
  userFiles: string;
  tmp: string;
}

/**
 * The runtime directory (mkdtemp: 0700) holds conf/ (the config and users.xml with the
 * password hashes; removed once the engine has read them), user_files/, tmp/ and, unless
 * given, data/. The engine may reach only user_files/, tmp/ and the data directory.
 */
export async function writeRuntimeFiles(
  runtimeDir: string,
  users: EmbeddedUser[],
  adminName: string,
): Promise<RuntimeFiles> {
  const confDir = path.join(runtimeDir, "conf");
  const usersXml = path.join(confDir, "users.xml");
  const configXml = path.join(confDir, "config.xml");
  const userFiles = path.join(runtimeDir, "user_files");
  const tmp = path.join(runtimeDir, "tmp");
  await Promise.all([confDir, userFiles, tmp].map((dir) => mkdir(dir, { mode: 0o700 })));
  await writeFile(usersXml, renderUsersXml(users, adminName), { mode: 0o600 });
  await writeFile(configXml, renderConfigXml({ usersXml, userFiles, tmp: `${tmp}/` }), { mode: 0o600 });
  return { confDir, configXml, userFiles, tmp };
}
