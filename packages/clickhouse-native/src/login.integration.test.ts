// Refused logins, each against a server of its own: the embedded ClickHouse exits after a native
// login that fails (wrong password, unknown user or database), so the shared one must not see any.
import { start } from "@mcp/embedded-clickhouse";
import { describe, expect, it } from "vitest";
import { connect } from "./connection.js";
import { NativeError } from "./errors.js";

const PASSWORD = "correct-horse-battery-staple";

async function refusedLogin(options: { username?: string; password?: string; database?: string }) {
  await using server = await start({ users: [{ name: "native_user", password: PASSWORD }] });
  const error = await connect({
    host: "127.0.0.1",
    port: server.tcpPort,
    username: "native_user",
    password: PASSWORD,
    connectTimeoutMs: 5_000,
    ...options,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NativeError);
  return error as NativeError;
}

describe("refused logins", () => {
  it("a wrong password: AUTH_FAILED, without the password in the message", async () => {
    const wrong = "wrong-password-value";
    const error = await refusedLogin({ password: wrong });
    expect(error).toMatchObject({
      code: "AUTH_FAILED",
      clickhouseCode: 516,
      clickhouseName: "AUTHENTICATION_FAILED",
    });
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(PASSWORD);
    expect(JSON.stringify(error)).not.toContain(wrong);
  });

  it("an unknown user: AUTH_FAILED", async () => {
    const error = await refusedLogin({ username: "nobody_here" });
    expect(error).toMatchObject({ code: "AUTH_FAILED", clickhouseCode: 516 });
  });

  it("an unknown database: SERVER_EXCEPTION with the server's code and name", async () => {
    const error = await refusedLogin({ database: "no_such_database" });
    expect(error).toMatchObject({
      code: "SERVER_EXCEPTION",
      clickhouseCode: 81,
      clickhouseName: "UNKNOWN_DATABASE",
    });
    expect(error.message).toContain("no_such_database");
  });
});
