import { NativeError } from "@mcp/clickhouse-native";
import { describe, expect, it } from "vitest";
import { DatabaseError } from "./database-error.js";
import { fromNativeError, parseClickHouseException, scrub, toDatabaseError } from "./map-error.js";

const context = { host: "db.example", port: 8123, username: "alice", password: "s3cret-pass", tls: false };

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("scrub", () => {
  it("removes the password and credentials in URLs", () => {
    const out = scrub(
      "failed for http://alice:s3cret-pass@db.example:8123/?x and s3cret-pass again",
      "s3cret-pass",
    );
    expect(out).not.toContain("s3cret-pass");
    expect(out).toContain("http://***@db.example:8123/");
  });

  it("removes HTTP credentials a host echoes back, with or without their scheme", () => {
    const basic = Buffer.from("alice:s3cret-pass").toString("base64");
    const out = scrub(
      `{"authorization":"Basic ${basic}"} Bearer abc.def-ghi proxy said ${basic}`,
      "s3cret-pass",
      "alice",
    );
    expect(out).not.toContain(basic);
    expect(out).not.toContain("abc.def-ghi");
    expect(out).toBe('{"authorization":"Basic ***"} Bearer *** proxy said ***');
  });

  it("leaves ordinary words alone for very short passwords", () => {
    expect(scrub("Syntax error", "e")).toBe("Syntax error");
  });

  it("handles a hostile host's endless error text: bounded output, secrets gone, no quadratic scan", () => {
    // Before the head was cut first, 64 KiB of this took seconds and 4 MiB would take hours.
    const hostile = `http://alice:s3cret-pass@x ${"a://".repeat(1_000_000)}`;
    const out = scrub(hostile, "s3cret-pass", "alice");
    expect(out.length).toBeLessThanOrEqual(2001);
    expect(out).not.toContain("s3cret-pass");
    expect(out.startsWith("http://***@x ")).toBe(true);
    // A secret straddling the first cut lies beyond the final one.
    const straddling = `${"b".repeat(4100)}s3cret-pass`;
    expect(scrub(straddling, "s3cret-pass")).not.toContain("s3cret");
  });
});

describe("toDatabaseError", () => {
  it.each([
    [516, "AUTHENTICATION_FAILED", "AUTH_FAILED"],
    [192, "UNKNOWN_USER", "AUTH_FAILED"],
    [159, "TIMEOUT_EXCEEDED", "QUERY_TIMEOUT"],
    [394, "QUERY_WAS_CANCELLED", "QUERY_CANCELLED"],
    [164, "READONLY", "READ_ONLY_VIOLATION"],
    [60, "UNKNOWN_TABLE", "QUERY_FAILED"],
  ])("maps ClickHouse code %d (%s) to %s, keeping code and type", (chCode, type, code) => {
    const error = toDatabaseError(
      Object.assign(new Error("Something happened. "), { code: String(chCode), type }),
      context,
    );
    expect(error).toMatchObject({ code, clickhouseCode: chCode, clickhouseType: type });
  });

  it("names user and host but not the password on AUTH_FAILED", () => {
    const error = toDatabaseError(
      Object.assign(new Error("alice: Authentication failed: password s3cret-pass is incorrect"), {
        code: "516",
        type: "AUTHENTICATION_FAILED",
      }),
      context,
    );
    expect(error.message).toContain('user "alice"');
    expect(error.message).not.toContain("s3cret-pass");
  });

  it.each([
    ["ECONNREFUSED", "CONNECT_FAILED"],
    ["ENOTFOUND", "CONNECT_FAILED"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "TLS_FAILED"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "TLS_FAILED"],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "TLS_FAILED"],
  ])("maps the system error %s to %s", (systemCode, code) => {
    const error = toDatabaseError(withCode(`connect ${systemCode} 10.0.0.1:8123`, systemCode), context);
    expect(error).toMatchObject({ code, systemCode });
    expect(error.message).toContain("db.example:8123");
  });

  it("parses ClickHouse exceptions from plain errors (non-JSON error bodies)", () => {
    const error = toDatabaseError(
      new Error(
        "Code: 62. DB::Exception: Syntax error: failed at position 8. (SYNTAX_ERROR) (version 26.7.2.1)",
      ),
      context,
    );
    expect(error).toMatchObject({ code: "QUERY_FAILED", clickhouseCode: 62, clickhouseType: "SYNTAX_ERROR" });
  });

  it("treats a non-ClickHouse HTTP answer as a failed connection", () => {
    const error = toDatabaseError(new Error("<html>404 Not Found</html>"), context);
    expect(error.code).toBe("CONNECT_FAILED");
  });

  it("passes DatabaseErrors through", () => {
    const original = new DatabaseError("POOL_CLOSED", "closed");
    expect(toDatabaseError(original, context)).toBe(original);
  });
});

describe("parseClickHouseException", () => {
  it("reads code, message and type from the innermost exception", () => {
    expect(
      parseClickHouseException(
        "Code: 395. DB::Exception: boom: while executing. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 26.7.2.1)",
      ),
    ).toEqual({ code: 395, message: "boom: while executing", type: "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO" });
    expect(parseClickHouseException("no exception here")).toBeUndefined();
  });

  it("keeps the whole message, including parenthesised words before the type", () => {
    const text =
      "Code: 62. DB::Exception: Syntax error: failed at position 43 (ORDER) (line 2, col 1): ORDER BY x. Expected one of: UNION, LIMIT. (SYNTAX_ERROR) (version 26.7.2.1)";
    expect(parseClickHouseException(text)).toEqual({
      code: 62,
      type: "SYNTAX_ERROR",
      message:
        "Syntax error: failed at position 43 (ORDER) (line 2, col 1): ORDER BY x. Expected one of: UNION, LIMIT",
    });
  });

  it("reads the tagged block ClickHouse writes into a stream since 25.11", () => {
    const text =
      "\r\n__exception__\r\ntagtagtag\r\nCode: 395. DB::Exception: boom. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 26.7.2.1)\n96 tagtagtag\r\n__exception__\r\n";
    expect(parseClickHouseException(text)).toEqual({
      code: 395,
      type: "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO",
      message: "boom",
    });
  });
});

describe("fromNativeError", () => {
  const exception = (code: number, name: string | undefined, message: string) =>
    new NativeError(
      code === 516 ? "AUTH_FAILED" : "SERVER_EXCEPTION",
      `${message} (ClickHouse code ${code})`,
      {
        exception: name === undefined ? { code, message } : { code, name, message },
      },
    );

  it.each([
    [516, "AUTHENTICATION_FAILED", "AUTH_FAILED"],
    [159, "TIMEOUT_EXCEEDED", "QUERY_TIMEOUT"],
    [394, "QUERY_WAS_CANCELLED", "QUERY_CANCELLED"],
    [164, "READONLY", "READ_ONLY_VIOLATION"],
    [60, "UNKNOWN_TABLE", "QUERY_FAILED"],
  ])("maps a server exception with code %d (%s) as HTTP errors are mapped: %s", (chCode, type, code) => {
    const error = fromNativeError(exception(chCode, type, "Something happened."), context);
    expect(error).toMatchObject({ code, clickhouseCode: chCode, clickhouseType: type });
  });

  it("words server exceptions like the HTTP path, with the password scrubbed", () => {
    const error = fromNativeError(
      exception(60, "UNKNOWN_TABLE", "Table s3cret-pass.t does not exist."),
      context,
    );
    expect(error.message).toBe("Table ***.t does not exist (ClickHouse code 60 UNKNOWN_TABLE)");
    const auth = fromNativeError(
      exception(516, "AUTHENTICATION_FAILED", "alice: Authentication failed"),
      context,
    );
    expect(auth.message).toBe(
      'ClickHouse at db.example:8123 rejected the credentials of user "alice" (ClickHouse code 516 AUTHENTICATION_FAILED)',
    );
  });

  it.each([
    ["CONNECT_FAILED", "CONNECT_FAILED"],
    ["TLS_FAILED", "TLS_FAILED"],
    ["UNSUPPORTED_SERVER", "UNSUPPORTED_PROTOCOL"],
    ["QUERY_CANCELLED", "QUERY_CANCELLED"],
    ["TIMEOUT", "QUERY_TIMEOUT"],
    ["PROTOCOL_ERROR", "CONNECT_FAILED"],
    ["CONNECTION_CLOSED", "CONNECT_FAILED"],
    ["POOL_CLOSED", "POOL_CLOSED"],
  ] as const)("maps the driver's %s to %s, keeping the system code", (nativeCode, code) => {
    const error = fromNativeError(
      new NativeError(nativeCode, "Could not connect to db.example:9000 as s3cret-pass", {
        systemCode: "EX",
      }),
      context,
    );
    expect(error).toMatchObject({ code, systemCode: "EX" });
    expect(error.message).not.toContain("s3cret-pass");
  });

  it("passes DatabaseErrors through and maps other errors as network errors", () => {
    const own = new DatabaseError("QUERY_FAILED", "x");
    expect(fromNativeError(own, context)).toBe(own);
    expect(fromNativeError(withCode("connect ECONNREFUSED", "ECONNREFUSED"), context).code).toBe(
      "CONNECT_FAILED",
    );
  });
});
