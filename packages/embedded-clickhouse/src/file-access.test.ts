// The embedded engine is clickhouse-local, which ignores `user_files_path` and lets file(),
// ENGINE=File, dictionaries and executable() reach any path. These tests replay the attacks that
// worked against it and check that the engine itself refuses them, for every kind of user.
import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedClickHouse, start } from "./index.js";

interface Answer {
  status: number;
  body: string;
}

async function query(
  url: string,
  user: string,
  password: string,
  sql: string,
  params: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${url}/?${new URLSearchParams(params)}`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
      connection: "close",
    },
    body: sql,
  });
  return { status: response.status, body: (await response.text()).trim() };
}

const exists = (file: string) =>
  lstat(file).then(
    () => true,
    () => false,
  );

const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe("file access of the embedded engine", () => {
  let server: EmbeddedClickHouse;
  /** A directory outside the engine's reach, holding a file like the MCP server's secret. */
  let outside: string;
  let secretFile: string;
  const secret = `SECRET-${randomBytes(8).toString("hex")}`;
  const users = {
    writer: { name: "writer", password: "writer-secret" },
    reader: { name: "reader", password: "reader-secret", profile: "readonly" as const },
    reader2: { name: "reader2", password: "reader2-secret", profile: "readonly2" as const },
  };
  /** Every user that can log in, including the engine's own password-less `default`. */
  let everyone: { name: string; password: string }[];
  const as = (user: { name: string; password: string }, sql: string, params?: Record<string, string>) =>
    query(server.url, user.name, user.password, sql, params);

  /** No answer may succeed or show a byte of a file outside the engine's directories. */
  function expectRefused(answer: Answer, what: string): void {
    expect(answer.status, `${what}: ${answer.body}`).not.toBe(200);
    expectNothingShown(answer, what);
  }

  /** A glob over a directory the engine may not list matches nothing: an empty answer is fine. */
  function expectNothingShown(answer: Answer, what: string): void {
    if (answer.status === 200) expect(answer.body, what).toBe("");
    expect(answer.body, what).not.toContain(secret);
    expect(answer.body, what).not.toContain("root:x:0:0");
    expect(answer.body, what).not.toContain("password_sha256_hex");
  }

  beforeAll(async () => {
    outside = await mkdtemp(path.join(os.tmpdir(), "embedded-ch-outside-"));
    secretFile = path.join(outside, "secret.tsv");
    // Shaped so that every reader parses it: TSV (a UInt64 key and a string), one line, a header.
    await writeFile(secretFile, `1\t${secret}\n`);
    server = await start({ users: Object.values(users) });
    everyone = [...server.users, { name: "default", password: "" }];
    // Tricks an attacker could find already in place: links from user_files to the outside.
    await symlink(secretFile, path.join(server.userFilesDir, "link-to-secret.tsv"));
    await symlink(outside, path.join(server.userFilesDir, "link-to-outside"));
    await symlink("/etc/passwd", path.join(server.userFilesDir, "link-to-passwd"));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(outside, { recursive: true, force: true });
  });

  const readAttacks = (): string[] => {
    const relativeSecret = path.relative(server.userFilesDir, secretFile);
    const runtimeDir = path.dirname(server.userFilesDir);
    return [
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      "SELECT * FROM file('/etc/passwd')",
      "DESCRIBE TABLE file('/etc/passwd', 'TSVWithNames')",
      `SELECT * FROM file('${secretFile}', 'LineAsString')`,
      `DESCRIBE TABLE file('${secretFile}', 'TSVWithNames')`,
      `DESC file('${secretFile}', 'CSV')`,
      `SELECT file('${secretFile}')`,
      "SELECT file('/etc/passwd')",
      // clickhouse-local's default database also maps file paths to tables.
      "SELECT * FROM `/etc/passwd`",
      `SELECT * FROM default.\`${secretFile}\``,
      `DESCRIBE TABLE default.\`${secretFile}\``,
      // Relative paths that climb out of user_files.
      "SELECT * FROM file('../../etc/passwd', 'LineAsString')",
      "SELECT * FROM file('../../../../../../../../../etc/passwd', 'LineAsString')",
      "DESCRIBE TABLE file('../../../../../../../../../etc/passwd', 'TSVWithNames')",
      `SELECT * FROM file('${relativeSecret}', 'LineAsString')`,
      `DESCRIBE TABLE file('${relativeSecret}', 'TSVWithNames')`,
      // Symbolic links inside user_files that point outside.
      "SELECT * FROM file('link-to-secret.tsv', 'LineAsString')",
      "DESCRIBE TABLE file('link-to-secret.tsv', 'TSVWithNames')",
      "SELECT * FROM file('link-to-outside/secret.tsv', 'LineAsString')",
      "SELECT * FROM file('link-to-passwd', 'LineAsString')",
      "SELECT file('link-to-secret.tsv')",
      // The launcher's own files: users (password hashes) and config.
      "SELECT * FROM file('../users.xml', 'LineAsString')",
      "SELECT * FROM file('../conf/users.xml', 'LineAsString')",
      `SELECT * FROM file('${runtimeDir}/users.xml', 'LineAsString')`,
      `SELECT * FROM file('${runtimeDir}/conf/users.xml', 'LineAsString')`,
      `SELECT * FROM file('${runtimeDir}/conf/config.xml', 'LineAsString')`,
      "SELECT * FROM file('../owner.pid', 'LineAsString')",
      // Other processes through /proc: this test process's environment and command line.
      `SELECT * FROM file('/proc/${process.pid}/environ', 'LineAsString')`,
      `SELECT * FROM file('/proc/${process.pid}/cmdline', 'LineAsString')`,
      "SELECT * FROM file('/proc/self/root/etc/passwd', 'LineAsString')",
      // Format schemas are files too.
      `SELECT * FROM format(Protobuf, 'x') SETTINGS format_schema = '${secretFile}:M'`,
      `SELECT * FROM format(CapnProto, 'x') SETTINGS format_schema = '${secretFile}:M'`,
      // Running programs.
      `SELECT * FROM executable('/bin/cat ${secretFile}', 'LineAsString', 'line String')`,
      `SELECT * FROM executable('../../../../../../../../bin/cat ${secretFile}', 'LineAsString', 'line String')`,
    ];
  };

  it("refuses every way of reading a file outside user_files, for every user", async () => {
    for (const user of everyone) {
      for (const sql of readAttacks()) expectRefused(await as(user, sql), `${user.name}: ${sql}`);
    }
  });

  it("lists no directory outside user_files through globs", async () => {
    const globs = [
      "SELECT * FROM file('/etc/passw*', 'LineAsString')",
      `SELECT * FROM file('${outside}/*', 'LineAsString')`,
      `SELECT _path, line FROM file('${outside}/**', 'LineAsString', 'line String')`,
      "SELECT * FROM file('link-to-outside/*', 'LineAsString')",
      "SELECT * FROM file('../*/*.xml', 'LineAsString')",
      `SELECT _path FROM file('${path.dirname(outside)}/embedded-ch-outside-*/*', 'LineAsString')`,
    ];
    for (const user of everyone) {
      for (const sql of globs) expectNothingShown(await as(user, sql), `${user.name}: ${sql}`);
    }
  });

  it("refuses Filesystem databases, backups and dictionaries that reach outside", async () => {
    const admin = server.admin;
    await as(admin, `CREATE DATABASE leak_fs ENGINE = Filesystem('${outside}')`);
    expectRefused(await as(admin, "SELECT * FROM leak_fs.`secret.tsv`"), "Filesystem database");
    await as(admin, "DROP DATABASE IF EXISTS leak_fs");
    await as(admin, "CREATE DATABASE leak_etc ENGINE = Filesystem('/etc')");
    expectRefused(await as(admin, "SELECT * FROM leak_etc.passwd"), "Filesystem database /etc");
    await as(admin, "DROP DATABASE IF EXISTS leak_etc");
    expectRefused(
      await as(admin, `BACKUP TABLE system.one TO File('${path.join(outside, "backup")}')`),
      "BACKUP",
    );
    expect(await exists(path.join(outside, "backup"))).toBe(false);
    const sources = [
      `FILE(path '${secretFile}' format 'TSV')`,
      "FILE(path '/etc/passwd' format 'TSV')",
      `EXECUTABLE(command 'cat ${secretFile}' format 'TSV')`,
    ];
    for (const [index, source] of sources.entries()) {
      const name = `default.leak_dict_${index}`;
      await as(
        admin,
        `CREATE DICTIONARY ${name} (k UInt64, s String) PRIMARY KEY k SOURCE(${source}) LAYOUT(FLAT()) LIFETIME(0)`,
      );
      expectRefused(await as(admin, `SELECT dictGet('${name}', 's', toUInt64(1))`), source);
      expectRefused(await as(admin, `SELECT * FROM ${name}`), source);
      await as(admin, `DROP DICTIONARY IF EXISTS ${name}`);
    }
  });

  it("gives the engine's password-less own user nothing to read or write files with", async () => {
    const engineUser = { name: "default", password: "" };
    const session = { session_id: `engine-user-${randomBytes(4).toString("hex")}` };
    const stored = await as(
      server.admin,
      "CREATE TABLE default.private_rows ENGINE = MergeTree ORDER BY s AS SELECT 'PRIVATE-ROW' AS s",
    );
    expect(stored.status).toBe(200);
    const metadata = path.join(server.dataDir, "metadata", "default", "private_rows.sql");
    for (const sql of [
      `CREATE TEMPORARY TABLE meta (s String) ENGINE = File(LineAsString, '${metadata}')`,
      "CREATE TEMPORARY TABLE mine (s String) ENGINE = File(LineAsString, 'mine.tsv')",
      "CREATE TEMPORARY TABLE mem (s String) ENGINE = Memory",
      "SELECT * FROM default.private_rows",
      `SELECT * FROM file('${metadata}', 'LineAsString')`,
      "SYSTEM STOP LISTEN HTTP",
      "SELECT 1 SETTINGS readonly = 0",
    ]) {
      const answer = await as(engineUser, sql, session);
      expectRefused(answer, `default: ${sql}`);
      expect(answer.body).not.toContain("PRIVATE-ROW");
    }
    expect(await exists(path.join(server.userFilesDir, "mine.tsv"))).toBe(false);
    expect((await as(server.admin, "SELECT 1")).body).toBe("1");
  });

  it("refuses to write or create files outside user_files, for every user", async () => {
    const runtimeDir = path.dirname(server.userFilesDir);
    for (const user of everyone) {
      const tag = `${user.name}-${randomBytes(3).toString("hex")}`;
      const targets = {
        insertFunction: path.join(outside, `insert-${tag}.tsv`),
        engineFile: path.join(outside, `engine-${tag}.tsv`),
        outfile: path.join(outside, `outfile-${tag}.tsv`),
        climbing: path.join(runtimeDir, `climb-${tag}.tsv`),
      };
      const table = `default.t_${tag.replace(/-/g, "_")}`;
      expectRefused(
        await as(user, `INSERT INTO FUNCTION file('${targets.insertFunction}', 'TSV') SELECT 1`),
        `${user.name}: INSERT INTO FUNCTION file`,
      );
      expectRefused(
        await as(user, `INSERT INTO FUNCTION file('../climb-${tag}.tsv', 'TSV') SELECT 1`),
        `${user.name}: INSERT INTO FUNCTION file('../')`,
      );
      // CREATE TABLE ... ENGINE=File touches no file; whatever it answers, nothing may be written.
      await as(user, `CREATE TABLE ${table} (s String) ENGINE = File(TSV, '${targets.engineFile}')`);
      expectRefused(await as(user, `INSERT INTO ${table} VALUES ('x')`), `${user.name}: ENGINE=File insert`);
      await as(server.admin, `DROP TABLE IF EXISTS ${table}`);
      // A temporary table in an HTTP session (the engine's `default` user may create those).
      const session = { session_id: `s-${tag}` };
      await as(
        user,
        `CREATE TEMPORARY TABLE tmp (s String) ENGINE = File(TSV, '${targets.engineFile}')`,
        session,
      );
      expectRefused(await as(user, "INSERT INTO tmp VALUES ('x')", session), `${user.name}: temporary File`);
      const passwd = await as(
        user,
        "CREATE TEMPORARY TABLE passwd (s String) ENGINE = File(LineAsString, '/etc/passwd')",
        session,
      );
      if (passwd.status === 200) expectRefused(await as(user, "SELECT * FROM passwd", session), "temporary");
      await as(user, `SELECT 1 INTO OUTFILE '${targets.outfile}'`);
      for (const [kind, file] of Object.entries(targets)) {
        expect(await exists(file), `${user.name}: ${kind} created ${file}`).toBe(false);
      }
    }
    expect(await readFile(secretFile, "utf8")).toBe(`1\t${secret}\n`);
  });

  it("still reads and writes relative paths inside user_files", async () => {
    for (const user of [server.admin, users.writer]) {
      const name = `ok-${user.name}.tsv`;
      const written = await as(
        user,
        `INSERT INTO FUNCTION file('${name}', 'TSV', 's String') SELECT 'hello'`,
      );
      expect(written, name).toEqual({ status: 200, body: "" });
      expect(await readFile(path.join(server.userFilesDir, name), "utf8")).toBe("hello\n");
      expect(await as(user, `SELECT s FROM file('${name}', 'TSV', 's String')`)).toEqual({
        status: 200,
        body: "hello",
      });
      expect((await as(user, `SELECT file('${name}')`)).body).toBe("hello\\n");
      expect((await as(user, `DESCRIBE TABLE file('${name}', 'TSV')`)).body).toBe("c1\tNullable(String)");
    }
    // An absolute path inside user_files is inside too.
    const absolute = path.join(server.userFilesDir, "ok-admin.tsv");
    expect((await as(server.admin, `SELECT * FROM file('${absolute}', 'LineAsString')`)).body).toBe("hello");
    // A table stored by ENGINE=File in the engine's own data directory works as before.
    expect(
      (await as(server.admin, "CREATE TABLE default.file_table (s String) ENGINE = File(TSV)")).status,
    ).toBe(200);
    expect((await as(server.admin, "INSERT INTO default.file_table VALUES ('kept')")).status).toBe(200);
    expect((await as(server.admin, "SELECT s FROM default.file_table")).body).toBe("kept");
  });

  it("keeps its directories private and removes its config files once the engine has read them", async () => {
    const runtimeDir = path.dirname(server.userFilesDir);
    expect(await mode(runtimeDir)).toBe(0o700);
    expect(await mode(server.dataDir)).toBe(0o700);
    expect(await mode(server.userFilesDir)).toBe(0o700);
    for (const file of ["users.xml", "config.xml", "conf/users.xml", "conf/config.xml"]) {
      expect(await exists(path.join(runtimeDir, file)), file).toBe(false);
    }
  });
});

// The control: the same attacks against the engine without its sandbox succeed, so the refusals
// above are the sandbox's doing. If this fails, clickhouse-local started confining files by
// itself: check what it now does before relaxing anything.
describe("file access without the sandbox (control)", () => {
  it("lets clickhouse-local read and write any file", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), "embedded-ch-outside-"));
    try {
      const secret = `SECRET-${randomBytes(8).toString("hex")}`;
      const secretFile = path.join(outside, "secret.tsv");
      await writeFile(secretFile, `1\t${secret}\n`);
      await using server = await start({
        sandbox: false,
        users: [{ name: "reader", password: "reader-secret", profile: "readonly" }],
      });
      expect(server.sandboxed).toBe(false);
      const admin = server.admin;
      const read = await query(server.url, admin.name, admin.password, `SELECT file('${secretFile}')`);
      expect(read.body).toContain(secret);
      const described = await query(
        server.url,
        "reader",
        "reader-secret",
        "DESCRIBE TABLE file('/etc/passwd', 'TSVWithNames')",
      );
      expect(described.body).toContain("root:x:0:0");
      const written = path.join(outside, "written.tsv");
      await query(
        server.url,
        admin.name,
        admin.password,
        `INSERT INTO FUNCTION file('${written}', 'TSV') SELECT 1`,
      );
      expect(await exists(written)).toBe(true);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe("file access with a given data directory", () => {
  it("creates it private and confines the engine to it", async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), "embedded-ch-test-"));
    try {
      const dataDir = path.join(parent, "new", "data");
      await mkdir(path.join(parent, "neighbour"));
      await writeFile(path.join(parent, "neighbour", "file.tsv"), "NEIGHBOUR-CONTENT\n");
      await using server = await start({ dataDir });
      expect(await mode(dataDir)).toBe(0o700);
      expect(await mode(path.join(parent, "new"))).toBe(0o700);
      const admin = server.admin;
      const stored = await query(
        server.url,
        admin.name,
        admin.password,
        "CREATE TABLE default.t ENGINE = MergeTree ORDER BY n AS SELECT 1 AS n",
      );
      expect(stored.status).toBe(200);
      const neighbour = await query(
        server.url,
        admin.name,
        admin.password,
        `SELECT * FROM file('${path.join(parent, "neighbour", "file.tsv")}', 'LineAsString')`,
      );
      expect(neighbour.status).not.toBe(200);
      expect(neighbour.body).not.toContain("NEIGHBOUR-CONTENT");
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
