import { readFile, realpath } from "node:fs/promises";
import * as path from "node:path";
import { DatabaseError } from "./errors.js";

export type TlsFileRole = "CA certificate" | "client certificate" | "client key";

interface AllowedDir {
  resolved: string;
  real: string;
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return (
    relative !== "" &&
    relative !== ".." &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
}

/**
 * Reads the TLS files a connection claims, only from the operator's allowed directories. A file
 * must lie inside an allowed directory both as written (after resolving `..`) and after
 * resolving symlinks, so neither `..` nor a symlink can reach outside, and nothing outside the
 * allowed directories is ever touched (not even to see whether it exists).
 */
export class TlsFileReader {
  private readonly allowed: Promise<AllowedDir[]> | undefined;

  constructor(allowedDirs: readonly string[] | undefined) {
    if (allowedDirs !== undefined) {
      for (const dir of allowedDirs) {
        if (typeof dir !== "string" || dir === "")
          throw new TypeError("allowedTlsDirs entries must be non-empty paths");
      }
      this.allowed = Promise.all(
        allowedDirs.map(async (dir) => {
          const resolved = path.resolve(dir);
          // A directory that does not exist yet still matches by name; it holds nothing to read.
          const real = await realpath(resolved).catch(() => resolved);
          return { resolved, real };
        }),
      );
    }
  }

  async read(file: string, role: TlsFileRole): Promise<Buffer> {
    const resolved = path.resolve(file);
    if (this.allowed !== undefined) {
      const allowed = await this.allowed;
      const notAllowed = () =>
        new DatabaseError(
          "TLS_FILE_NOT_ALLOWED",
          `The TLS ${role} "${file}" is outside the directories the server allows for TLS files (allowedTlsDirs)`,
        );
      if (!allowed.some((dir) => isInside(dir.resolved, resolved) || isInside(dir.real, resolved))) {
        throw notAllowed();
      }
      let real: string;
      try {
        real = await realpath(resolved);
      } catch (error) {
        throw unreadable(role, error);
      }
      if (!allowed.some((dir) => isInside(dir.real, real))) throw notAllowed();
      return readOrThrow(real, role);
    }
    return readOrThrow(resolved, role);
  }
}

async function readOrThrow(file: string, role: TlsFileRole): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw unreadable(role, error);
  }
}

function unreadable(role: TlsFileRole, error: unknown): DatabaseError {
  const systemCode = (error as NodeJS.ErrnoException | undefined)?.code;
  return new DatabaseError(
    "TLS_FILE_UNREADABLE",
    `The TLS ${role} file could not be read${systemCode ? ` (${systemCode})` : ""}`,
    systemCode ? { systemCode } : {},
  );
}
