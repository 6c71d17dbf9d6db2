import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CHILD_PROGRAM, locateEngine } from "./engine.js";
import { EmbeddedClickHouseError, ENGINE_PACKAGE_VERSION } from "./index.js";
import { type SandboxPolicy, SYSTEM_READ_ONLY, SYSTEM_READ_WRITE } from "./sandbox.js";

describe("locateEngine", () => {
  it("explains that other platforms need a real ClickHouse", () => {
    for (const platform of ["darwin-arm64", "linux-arm64-gnu", "linux-x64-musl", "win32-x64"]) {
      const error = (() => {
        try {
          locateEngine(undefined, platform);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(EmbeddedClickHouseError);
      expect((error as EmbeddedClickHouseError).code).toBe("PLATFORM_UNSUPPORTED");
      expect((error as EmbeddedClickHouseError).message).toContain(platform);
      expect((error as EmbeddedClickHouseError).message).toMatch(/existing ClickHouse server/);
    }
  });

  it("finds the pinned engine package on linux-x64-gnu", async () => {
    const paths = locateEngine(undefined, "linux-x64-gnu");
    expect(paths.library).toMatch(/libchdb\.so$/);
    const require = createRequire(import.meta.url);
    const manifest = JSON.parse(
      await readFile(require.resolve("@chdb/lib-linux-x64-gnu/package.json"), "utf8"),
    );
    expect(manifest.version).toBe(ENGINE_PACKAGE_VERSION);
  });
});

// Smoke test of the undocumented entry point: an engine upgrade that changes
// chdb_query_cmdline's contract (argv in, result with an error string out) fails here.
describe("chdb_query_cmdline", () => {
  const run = async (args: string[], policy: SandboxPolicy | null = null) => {
    const { spawn } = await import("node:child_process");
    const { library, ffiModule } = locateEngine();
    const argv = ["-e", CHILD_PROGRAM, ffiModule, library, JSON.stringify(args), JSON.stringify(policy)];
    const child = spawn(process.execPath, argv, {
      stdio: ["ignore", "pipe", "pipe"],
      env: {},
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    return { code, stdout, stderr };
  };

  it("runs clickhouse-local with the given argv and returns its output", async () => {
    const { code, stdout, stderr } = await run(["clickhouse", "--query=SELECT 40 + 2, version() FORMAT TSV"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^42\t26\.\d+\.\d+\.\d+\n$/);
  });

  it("prints query errors on stderr", async () => {
    const { stdout, stderr } = await run(["clickhouse", "--query=SELECT no_such_function()"]);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/Code: 46\. DB::Exception/);
  });

  it("confines the engine's files when given a sandbox policy", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "embedded-ch-test-"));
    try {
      const policy = { readWrite: [dir, ...SYSTEM_READ_WRITE], readOnly: [...SYSTEM_READ_ONLY] };
      const passwd = "--query=SELECT * FROM file('/etc/passwd', 'LineAsString') LIMIT 1";
      const confined = await run(["clickhouse", `--path=${dir}/`, passwd], policy);
      expect(confined.stdout).toBe("");
      expect(confined.stderr).toMatch(/Cannot open file \/etc\/passwd: .*errno: 13/);
      const own = `--query=INSERT INTO FUNCTION file('${dir}/own.tsv') SELECT 42; SELECT * FROM file('${dir}/own.tsv')`;
      expect(await run(["clickhouse", `--path=${dir}/`, "--multiquery", own], policy)).toEqual({
        code: 0,
        stdout: "42\n",
        stderr: "",
      });
      const unconfined = await run(["clickhouse", `--path=${dir}/`, passwd]);
      expect(unconfined.stdout).toMatch(/^root:/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("returns argument errors in the result", async () => {
    const { code, stderr } = await run(["clickhouse", "--no-such-option"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/UNRECOGNIZED_ARGUMENTS|no-such-option/);
  });
});
