import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEMO_DATABASE,
  type EmbeddedClickHouse,
  EmbeddedClickHouseError,
  loadDemoDataset,
  start,
} from "./index.js";

interface Answer {
  status: number;
  body: string;
  /** ClickHouse's error code (X-ClickHouse-Exception-Code), if any. */
  code: number | undefined;
}

async function query(url: string, user: string, password: string, sql: string): Promise<Answer> {
  const response = await fetch(`${url}/`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
      connection: "close",
    },
    body: sql,
  });
  const code = response.headers.get("x-clickhouse-exception-code");
  return {
    status: response.status,
    body: (await response.text()).trim(),
    code: code ? Number(code) : undefined,
  };
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

async function startError(promise: Promise<unknown>): Promise<EmbeddedClickHouseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmbeddedClickHouseError);
  return error as EmbeddedClickHouseError;
}

describe("start() with users", () => {
  let server: EmbeddedClickHouse;
  const users = {
    app: { name: "app", password: "app-secret" },
    reader: { name: "reader", password: "reader-secret", profile: "readonly" as const },
    reader2: { name: "reader2", password: "reader2-secret", profile: "readonly2" as const },
    scoped: { name: "scoped", password: "scoped-secret", databases: ["scoped_db"] },
  };
  const as = (user: { name: string; password: string }, sql: string) =>
    query(server.url, user.name, user.password, sql);

  beforeAll(async () => {
    server = await start({ users: Object.values(users) });
    const admin = server.admin;
    for (const sql of [
      "CREATE DATABASE scoped_db",
      "CREATE TABLE scoped_db.t (x UInt8) ENGINE = MergeTree ORDER BY x",
      "CREATE DATABASE other_db",
      "CREATE TABLE other_db.t (x UInt8) ENGINE = MergeTree ORDER BY x",
    ]) {
      expect((await as(admin, sql)).status).toBe(200);
    }
  });
  afterAll(() => server?.stop());

  it("serves ClickHouse 26.x over HTTP and native TCP on 127.0.0.1", async () => {
    expect(server.version).toMatch(/^26\.\d+\./);
    expect(server.url).toBe(`http://127.0.0.1:${server.httpPort}`);
    expect((await as(users.app, "SELECT version()")).body).toBe(server.version);
    expect(await isListening(server.tcpPort)).toBe(true);
    expect(server.users.map((user) => user.name)).toEqual(["app", "reader", "reader2", "scoped", "admin"]);
  });

  it("lets a read-write user write and read", async () => {
    expect((await as(users.app, "INSERT INTO other_db.t VALUES (7)")).status).toBe(200);
    expect((await as(users.app, "SELECT sum(x) FROM other_db.t")).body).toBe("7");
  });

  it("refuses writes and setting changes for a readonly=1 user", async () => {
    expect((await as(users.reader, "SELECT count() FROM other_db.t")).status).toBe(200);
    expect((await as(users.reader, "INSERT INTO other_db.t VALUES (1)")).code).toBe(164);
    expect((await as(users.reader, "SELECT 1 SETTINGS max_execution_time = 5")).code).toBe(164);
  });

  it("refuses writes but allows settings for a readonly=2 user", async () => {
    expect((await as(users.reader2, "INSERT INTO other_db.t VALUES (1)")).code).toBe(164);
    const answer = await as(
      users.reader2,
      "SELECT getSetting('max_execution_time') SETTINGS max_execution_time = 5",
    );
    expect(answer.body).toBe("5");
  });

  it("confines a user to its databases", async () => {
    expect((await as(users.scoped, "INSERT INTO scoped_db.t VALUES (3)")).status).toBe(200);
    expect((await as(users.scoped, "SELECT x FROM scoped_db.t")).body).toBe("3");
    expect((await as(users.scoped, "SELECT x FROM other_db.t")).code).toBe(497);
    expect((await as(users.scoped, "SHOW DATABASES")).body.split("\n")).not.toContain("other_db");
  });

  it("rejects a wrong password with code 516 and the engine's own user with no rights", async () => {
    const wrong = await query(server.url, "app", "not-the-password", "SELECT 1");
    expect(wrong.code).toBe(516);
    expect(wrong.body).not.toContain("not-the-password");
    expect((await query(server.url, "default", "", "SELECT x FROM other_db.t")).code).toBe(497);
  });
});

describe("start() lifecycle", () => {
  it("stops, freeing its ports, its process and its temporary data directory", async () => {
    const server = await start();
    expect(server.users).toEqual([server.admin]);
    expect(isAlive(server.pid)).toBe(true);
    await server.stop();
    expect(await server.exited).toBeDefined();
    expect(isAlive(server.pid)).toBe(false);
    expect(await isListening(server.httpPort)).toBe(false);
    expect(await isListening(server.tcpPort)).toBe(false);
    await expect(stat(server.dataDir)).rejects.toThrow();
    await server.stop();
  });

  it("runs two instances side by side with separate data", async () => {
    await using first = await start();
    await using second = await start();
    expect(new Set([first.httpPort, first.tcpPort, second.httpPort, second.tcpPort]).size).toBe(4);
    expect((await query(first.url, "admin", first.admin.password, "CREATE DATABASE only_first")).status).toBe(
      200,
    );
    const seen = (server: EmbeddedClickHouse) =>
      query(
        server.url,
        "admin",
        server.admin.password,
        "SELECT count() FROM system.databases WHERE name = 'only_first'",
      );
    expect((await seen(first)).body).toBe("1");
    expect((await seen(second)).body).toBe("0");
  });

  it("keeps a given data directory across restarts", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "embedded-ch-test-"));
    try {
      const users = [{ name: "admin", password: "admin-secret" }];
      {
        await using server = await start({ dataDir, users });
        const created = await query(
          server.url,
          "admin",
          "admin-secret",
          "CREATE TABLE default.kept ENGINE = MergeTree ORDER BY n AS SELECT 42 AS n",
        );
        expect(created.status).toBe(200);
      }
      await using again = await start({ dataDir, users });
      expect((await query(again.url, "admin", "admin-secret", "SELECT n FROM default.kept")).body).toBe("42");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("takes the engine down when the parent process is killed", async () => {
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const entry = fileURLToPath(new URL("./index.ts", import.meta.url));
    const program = `const { start } = await import(${JSON.stringify(entry)});
      const server = await start();
      process.stdout.write(JSON.stringify({ pid: server.pid, httpPort: server.httpPort, tcpPort: server.tcpPort }) + "\\n");
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", program], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        parent.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("\n")) resolve(out);
        });
        parent.once("exit", (code) => reject(new Error(`parent exited early with ${code}`)));
      });
      const engine = JSON.parse(line) as { pid: number; httpPort: number; tcpPort: number };
      expect(await isListening(engine.httpPort)).toBe(true);
      parent.kill("SIGKILL");
      expect(await waitFor(() => !isAlive(engine.pid), 10_000)).toBe(true);
      expect(await isListening(engine.httpPort)).toBe(false);
      expect(await isListening(engine.tcpPort)).toBe(false);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("reports a port that is already taken", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const taken = typeof address === "object" && address ? address.port : 0;
    try {
      const error = await startError(start({ httpPort: taken }));
      expect(error.code).toBe("PORT_IN_USE");
      expect(error.message).toContain(String(taken));
    } finally {
      blocker.close();
    }
  });

  it("reports a data directory it cannot write", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "embedded-ch-test-"));
    try {
      const file = path.join(dir, "a-file");
      await writeFile(file, "");
      const error = await startError(start({ dataDir: path.join(file, "data") }));
      expect(error.code).toBe("DATA_DIR_NOT_WRITABLE");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports an engine that exits during start, with its stderr", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "embedded-ch-test-"));
    try {
      const notALibrary = path.join(dir, "libchdb.so");
      await writeFile(notALibrary, "not an ELF file");
      const error = await startError(start({ libraryPath: notALibrary }));
      expect(error.code).toBe("ENGINE_EXITED");
      expect(error.message).toMatch(/libchdb\.so/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports a start that does not finish in time", async () => {
    const error = await startError(start({ startTimeoutMs: 1 }));
    expect(error.code).toBe("START_TIMEOUT");
  });

  it("rejects the engine's reserved user name and malformed users", async () => {
    await expect(start({ users: [{ name: "default", password: "x" }] })).rejects.toThrow(TypeError);
    await expect(start({ users: [{ name: "bad name", password: "x" }] })).rejects.toThrow(TypeError);
    await expect(start({ users: [{ name: "admin", password: "x", profile: "readonly" }] })).rejects.toThrow(
      TypeError,
    );
  });
});

describe("demo dataset", () => {
  it("loads once, with comments, and loading again changes nothing", async () => {
    await using server = await start({ loadDemo: true });
    const admin = { url: server.url, username: "admin", password: server.admin.password };
    const counts =
      "SELECT name, total_rows FROM system.tables WHERE database = 'demo' ORDER BY name FORMAT TSV";
    const before = await query(server.url, "admin", admin.password, counts);
    expect(before.body).toBe("customers\t10\norders\t2000\nproducts\t12");
    await loadDemoDataset(admin);
    expect((await query(server.url, "admin", admin.password, counts)).body).toBe(before.body);
    const uncommented = await query(
      server.url,
      "admin",
      admin.password,
      `SELECT count() FROM system.columns WHERE database = '${DEMO_DATABASE}' AND comment = ''`,
    );
    expect(uncommented.body).toBe("0");
    const tableComments = await query(
      server.url,
      "admin",
      admin.password,
      `SELECT countIf(comment != '') FROM system.tables WHERE database = '${DEMO_DATABASE}'`,
    );
    expect(tableComments.body).toBe("3");
  });
});
