import { createRequire } from "node:module";
import * as path from "node:path";
import { EmbeddedClickHouseError } from "./errors.js";
import { SANDBOX_PROGRAM } from "./sandbox.js";

/** Exact versions: `chdb_query_cmdline` is not a documented entry point, so upgrades are deliberate. */
export const ENGINE_PACKAGE = "@chdb/lib-linux-x64-gnu";
export const ENGINE_PACKAGE_VERSION = "26.7.3-stable.1";
export const FFI_PACKAGE = "ffi-rs";
export const FFI_PACKAGE_VERSION = "1.3.7";

export interface EnginePaths {
  /** Absolute path of libchdb.so. */
  library: string;
  /** Absolute path of the ffi-rs entry module (loaded by the child process). */
  ffiModule: string;
}

const REAL_CLICKHOUSE_HINT =
  "Point the application at an existing ClickHouse server instead (its URL, user and password).";

function isGlibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return typeof report?.header?.glibcVersionRuntime === "string";
}

/** `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`, ... */
export function currentPlatform(): string {
  const libc = process.platform === "linux" ? (isGlibc() ? "-gnu" : "-musl") : "";
  return `${process.platform}-${process.arch}${libc}`;
}

/** Finds the engine library and the FFI module, or explains why this machine cannot run the engine. */
export function locateEngine(libraryOverride?: string, platform = currentPlatform()): EnginePaths {
  const require = createRequire(import.meta.url);
  if (libraryOverride === undefined) {
    if (platform !== "linux-x64-gnu") {
      throw new EmbeddedClickHouseError(
        "PLATFORM_UNSUPPORTED",
        `The embedded ClickHouse engine (${ENGINE_PACKAGE}) exists only for linux-x64-gnu; this machine is ${platform}. ${REAL_CLICKHOUSE_HINT}`,
      );
    }
  }
  let library: string;
  if (libraryOverride !== undefined) {
    library = libraryOverride;
  } else {
    try {
      library = path.join(path.dirname(require.resolve(`${ENGINE_PACKAGE}/package.json`)), "libchdb.so");
    } catch (cause) {
      throw new EmbeddedClickHouseError(
        "ENGINE_NOT_INSTALLED",
        `The engine package ${ENGINE_PACKAGE}@${ENGINE_PACKAGE_VERSION} is not installed (run pnpm install). ${REAL_CLICKHOUSE_HINT}`,
        { cause },
      );
    }
  }
  let ffiModule: string;
  try {
    ffiModule = require.resolve(FFI_PACKAGE);
  } catch (cause) {
    throw new EmbeddedClickHouseError(
      "ENGINE_NOT_INSTALLED",
      `The FFI package ${FFI_PACKAGE}@${FFI_PACKAGE_VERSION} is not installed (run pnpm install).`,
      { cause },
    );
  }
  return { library, ffiModule };
}

/**
 * The child process program (CommonJS, run with `node -e`, so it works from both src/ and dist/).
 * ClickHouse checks its stack bounds, so the engine must run synchronously on the main thread:
 * worker threads and async FFI calls crash it. Its last query reads stdin until EOF, so the
 * engine stops when the parent closes the pipe or dies.
 * Query errors are printed on stderr by the engine itself (the exit code stays 0); argument
 * errors come back in the result and exit 1. Query output, if any, goes to stdout.
 * Before the engine starts, the process confines its own file access (Landlock, see sandbox.ts)
 * unless the policy is `null`; the library is loaded first, so it need not be reachable.
 * argv: [ffi module path, libchdb.so path, JSON array of clickhouse-local arguments,
 * JSON sandbox policy or null].
 */
export const CHILD_PROGRAM = `"use strict";
${SANDBOX_PROGRAM}
const [ffiPath, libraryPath, argsJson, policyJson] = process.argv.slice(1);
const ffi = require(ffiPath);
const args = JSON.parse(argsJson);
const policy = policyJson ? JSON.parse(policyJson) : null;
ffi.open({ library: "chdb", path: libraryPath });
if (policy) applySandbox(ffi, policy);
const call = (funcName, retType, paramsType, paramsValue) =>
  ffi.load({ library: "chdb", funcName, retType, paramsType, paramsValue });
const result = call("chdb_query_cmdline", ffi.DataType.External,
  [ffi.DataType.I32, ffi.DataType.StringArray], [args.length, args]);
if (ffi.isNullPointer(result)) {
  process.stderr.write("chdb_query_cmdline returned no result\\n");
  process.exit(70);
}
const errorPointer = call("chdb_result_error", ffi.DataType.External, [ffi.DataType.External], [result]);
if (!ffi.isNullPointer(errorPointer)) {
  const message = call("chdb_result_error", ffi.DataType.String, [ffi.DataType.External], [result]);
  process.stderr.write(message + "\\n");
  process.exit(1);
}
const length = call("chdb_result_length", ffi.DataType.I64, [ffi.DataType.External], [result]);
if (length > 0) {
  const bytes = call("chdb_result_buffer", ffi.arrayConstructor({ type: ffi.DataType.U8Array, length }),
    [ffi.DataType.External], [result]);
  process.stdout.write(Buffer.from(bytes));
}
`;
