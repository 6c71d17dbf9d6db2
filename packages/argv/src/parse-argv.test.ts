import { describe, expect, it } from "vitest";
import { ArgvError, FALSE_WORDS, parseArgv, parseBooleanWord, TRUE_WORDS } from "./index.js";

const flags = {
  host: "string",
  port: "string",
  tls: "boolean",
  "read-only": "boolean",
  help: "boolean",
} as const;

function failure(argv: string[], options: Partial<Parameters<typeof parseArgv>[1]> = {}): ArgvError {
  try {
    parseArgv(argv, { flags, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(ArgvError);
    return error as ArgvError;
  }
  throw new Error("expected an ArgvError");
}

describe("parseBooleanWord", () => {
  it.each([...TRUE_WORDS, "TRUE", " Yes ", "ON"])("%j is true", (word) => {
    expect(parseBooleanWord(word)).toBe(true);
  });
  it.each([...FALSE_WORDS, "False", " OFF "])("%j is false", (word) => {
    expect(parseBooleanWord(word)).toBe(false);
  });
  it.each(["", "maybe", "2", "y", "n", "truthy"])("%j is neither", (word) => {
    expect(parseBooleanWord(word)).toBeUndefined();
  });
});

describe("parseArgv", () => {
  it("reads --flag=value, --flag value, Go-style -flag, bare booleans and boolean words, in order", () => {
    const parsed = parseArgv(
      ["--host=a", "-port", "8123", "--tls", "--read-only=off", "--tls=YES", "--host", "b"],
      {
        flags,
      },
    );
    expect(parsed.positionals).toEqual([]);
    expect(parsed.flags).toEqual([
      { name: "host", value: "a" },
      { name: "port", value: "8123" },
      { name: "tls", value: true },
      { name: "read-only", value: false },
      { name: "tls", value: true },
      { name: "host", value: "b" },
    ]);
  });

  it("keeps values that start with one dash, skips a bare -- and keeps - as a positional", () => {
    const parsed = parseArgv(["--", "inspect", "-", "--port", "-5", "--host=--x"], { flags });
    expect(parsed.positionals).toEqual(["inspect", "-"]);
    expect(parsed.flags).toEqual([
      { name: "port", value: "-5" },
      { name: "host", value: "--x" },
    ]);
  });

  it("never lets a boolean take the next argument", () => {
    expect(parseArgv(["--tls", "false"], { flags }).positionals).toEqual(["false"]);
  });

  it("applies aliases, switches and --no-flag when enabled", () => {
    expect(parseArgv(["-h"], { flags, aliases: { h: "help" } }).flags).toEqual([
      { name: "help", value: true },
    ]);
    expect(parseArgv(["-h=false"], { flags, aliases: { h: "help" } }).flags).toEqual([
      { name: "help", value: false },
    ]);
    expect(parseArgv(["-v", "--port=1"], { flags, switches: { "-v": "version" } }).flags).toEqual([
      { name: "version", value: true },
      { name: "port", value: "1" },
    ]);
    expect(parseArgv(["--no-tls"], { flags, negation: true }).flags).toEqual([{ name: "tls", value: false }]);
    expect(failure(["--no-tls"]).code).toBe("UNKNOWN_FLAG");
    expect(failure(["-v=1"], { switches: { "-v": "version" } }).code).toBe("UNKNOWN_FLAG");
  });

  it("returns a boolean's inline text as given with booleanValues raw", () => {
    expect(parseArgv(["--tls=maybe"], { flags, booleanValues: "raw" }).flags).toEqual([
      { name: "tls", value: "maybe" },
    ]);
  });

  it.each([
    [["--hots=x"], "UNKNOWN_FLAG", "unknown flag --hots", "hots"],
    [["--host"], "MISSING_VALUE", "--host needs a value", "host"],
    [["--host", "--port=1"], "MISSING_VALUE", "--host needs a value", "host"],
    [["--tls=maybe"], "INVALID_BOOLEAN", "--tls takes no value, or =true / =false", "tls"],
    [["--no-port"], "UNKNOWN_FLAG", "unknown flag --no-port", "no-port"],
  ])("refuses %j", (argv, code, message, flag) => {
    const error = failure(argv, { negation: true });
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error.flag).toBe(flag);
  });

  it("refuses a value on --no-flag, naming the flag", () => {
    const error = failure(["--no-tls=1"], { negation: true });
    expect([error.code, error.message, error.flag, error.typed]).toEqual([
      "UNEXPECTED_VALUE",
      "--no-tls takes no value",
      "tls",
      "no-tls",
    ]);
  });

  it("refuses positionals when told to, keeping the argument out of the message", () => {
    const error = failure(["--tls", "s3cr3t"], { positionals: false });
    expect([error.code, error.message, error.argument]).toEqual([
      "UNEXPECTED_ARGUMENT",
      "unexpected argument",
      "s3cr3t",
    ]);
  });

  it("never echoes a value, and cuts a long flag name", () => {
    expect(failure(["--jwe-secret=s3cr3t-value"]).message).toBe("unknown flag --jwe-secret");
    expect(failure([`--${"x".repeat(100)}`]).message).toBe(`unknown flag --${"x".repeat(64)}`);
    expect(failure(["--tls=s3cr3t"]).message).not.toContain("s3cr3t");
  });

  it("does not take inherited object keys for flags", () => {
    expect(failure(["--constructor=x"]).code).toBe("UNKNOWN_FLAG");
    expect(failure(["--toString"]).code).toBe("UNKNOWN_FLAG");
  });
});
