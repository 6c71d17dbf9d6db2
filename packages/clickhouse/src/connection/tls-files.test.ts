import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TlsFileReader } from "./tls-files.js";

let root: string;
let allowed: string;
let outside: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tls-files-test-"));
  allowed = path.join(root, "allowed");
  outside = path.join(root, "outside");
  await mkdir(allowed);
  await mkdir(outside);
  await writeFile(path.join(allowed, "ca.pem"), "inside");
  await writeFile(path.join(outside, "secret.pem"), "outside");
  await symlink(path.join(outside, "secret.pem"), path.join(allowed, "escape.pem"));
  await symlink(outside, path.join(allowed, "escape-dir"));
  await symlink(path.join(allowed, "ca.pem"), path.join(allowed, "alias.pem"));
  await symlink(allowed, path.join(root, "allowed-link"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("TlsFileReader", () => {
  it("reads files inside an allowed directory, also through symlinks that stay inside", async () => {
    const reader = new TlsFileReader([allowed]);
    expect((await reader.read(path.join(allowed, "ca.pem"), "CA certificate")).toString()).toBe("inside");
    expect((await reader.read(path.join(allowed, "alias.pem"), "CA certificate")).toString()).toBe("inside");
  });

  it("accepts an allowed directory given through a symlink", async () => {
    const reader = new TlsFileReader([path.join(root, "allowed-link")]);
    expect((await reader.read(path.join(allowed, "ca.pem"), "CA certificate")).toString()).toBe("inside");
  });

  it.each([
    ["a file outside", () => path.join(outside, "secret.pem")],
    ["a `..` escape", () => `${allowed}/../outside/secret.pem`],
    ["a symlinked file pointing outside", () => path.join(allowed, "escape.pem")],
    ["a symlinked directory pointing outside", () => path.join(allowed, "escape-dir", "secret.pem")],
    ["the allowed directory itself", () => allowed],
    ["a sibling with the same prefix", () => `${allowed}-other/x.pem`],
  ])("refuses %s with TLS_FILE_NOT_ALLOWED, without the file's contents", async (_name, file) => {
    const reader = new TlsFileReader([allowed]);
    const error = await reader.read(file(), "client key").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TLS_FILE_NOT_ALLOWED" });
    expect((error as Error).message).not.toContain("outside\n");
    expect((error as Error).message).toContain("allowedTlsDirs");
  });

  it("reports a missing file inside an allowed directory as unreadable", async () => {
    const reader = new TlsFileReader([allowed]);
    await expect(reader.read(path.join(allowed, "missing.pem"), "CA certificate")).rejects.toMatchObject({
      code: "TLS_FILE_UNREADABLE",
      systemCode: "ENOENT",
    });
  });

  it("reads anywhere when no directories are configured", async () => {
    const reader = new TlsFileReader(undefined);
    expect((await reader.read(path.join(outside, "secret.pem"), "CA certificate")).toString()).toBe(
      "outside",
    );
    await expect(reader.read(path.join(outside, "nope.pem"), "CA certificate")).rejects.toMatchObject({
      code: "TLS_FILE_UNREADABLE",
    });
  });
});
