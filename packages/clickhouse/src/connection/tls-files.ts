import { readFile, realpath } from "node:fs/promises";
import * as path from "node:path";
import { createSecureContext } from "node:tls";
import { DatabaseError } from "../errors/database-error.js";
import type { NormalizedConnection } from "./normalize.js";

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
    return readOrThrow(await this.check(file, role), role);
  }

  /**
   * The path `read` would read, after the allowed-directory checks, without reading the file.
   * Without allowed directories nothing on disk is touched.
   */
  async check(file: string, role: TlsFileRole): Promise<string> {
    const resolved = path.resolve(file);
    if (this.allowed === undefined) return resolved;
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
    return real;
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

/** The TLS files of one pooled client, read once, for either driver. */
export interface TlsMaterial {
  material: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  insecureSkipVerify: boolean;
}

/** Reads the claimed TLS files and checks that they load, so that a bad file fails once, clearly. */
export async function loadTlsMaterial(
  tls: NonNullable<NormalizedConnection["tls"]>,
  files: TlsFileReader,
): Promise<TlsMaterial> {
  const { caCert, clientCert, clientKey, insecureSkipVerify } = tls;
  const ca = caCert === undefined ? undefined : await files.read(caCert, "CA certificate");
  const cert = clientCert === undefined ? undefined : await files.read(clientCert, "client certificate");
  const key = clientKey === undefined ? undefined : await files.read(clientKey, "client key");
  const material = { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
  try {
    createSecureContext(material);
  } catch (error) {
    const systemCode = (error as { code?: string }).code;
    throw new DatabaseError(
      "TLS_FAILED",
      `The TLS certificate or key files could not be loaded${systemCode ? ` (${systemCode})` : ""}`,
      systemCode ? { systemCode } : {},
    );
  }
  return { material, insecureSkipVerify };
}
