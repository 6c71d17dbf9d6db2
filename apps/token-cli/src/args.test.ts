import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "./args.js";

describe("parseArgs", () => {
  it("accepts --flag=value, --flag value, Go-style -flag and bare booleans", () => {
    const { flags, positionals } = parseArgs([
      "--host=a",
      "--port",
      "8123",
      "-database=db",
      "-username",
      "u",
      "--tls",
      "--read-only=false",
      "--tls-insecure-skip-verify=TRUE",
    ]);
    expect(positionals).toEqual([]);
    expect(Object.fromEntries(flags)).toEqual({
      host: ["a"],
      port: ["8123"],
      database: ["db"],
      username: ["u"],
      tls: ["true"],
      "read-only": ["false"],
      "tls-insecure-skip-verify": ["true"],
    });
  });

  it("keeps a value that starts with a single dash, such as a negative number", () => {
    expect(parseArgs(["--expiry", "-5"]).flags.get("expiry")).toEqual(["-5"]);
    expect(parseArgs(["--password=--x"]).flags.get("password")).toEqual(["--x"]);
  });

  it("collects positionals, skips a bare -- and keeps - for stdin", () => {
    expect(parseArgs(["--", "inspect", "-", "--output=json"]).positionals).toEqual(["inspect", "-"]);
  });

  it("records repeated flags in order", () => {
    expect(parseArgs(["--jwe-secret-key=a", "--jwe-secret-key", "b"]).flags.get("jwe-secret-key")).toEqual([
      "a",
      "b",
    ]);
  });

  it("accepts the server's boolean words (@mcp/argv)", () => {
    const { flags } = parseArgs(["--tls=yes", "--read-only=OFF", "--tls-insecure-skip-verify=1"]);
    expect(Object.fromEntries(flags)).toEqual({
      tls: ["true"],
      "read-only": ["false"],
      "tls-insecure-skip-verify": ["true"],
    });
  });

  it("maps -h to help", () => {
    expect(parseArgs(["-h"]).flags.get("help")).toEqual(["true"]);
  });

  it.each([
    [["--hots=x"], "unknown flag --hots"],
    [["--host"], "--host needs a value"],
    [["--host", "--port=1"], "--host needs a value"],
    [["--tls=maybe"], "--tls takes no value"],
  ])("rejects %j", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it("does not echo the value of an unknown flag", () => {
    expect(() => parseArgs(["--jwe-secret=s3cr3t-value"])).toThrow(/^unknown flag --jwe-secret$/);
  });
});
