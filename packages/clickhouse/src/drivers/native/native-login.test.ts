// Refused native-protocol logins, each against a ClickHouse of its own: the embedded engine exits
// ~1 s after a failed native login, so the run's shared server must never see one.
import { startPrivateClickHouse } from "@mcp/test-harness";
import { describe, expect, it } from "vitest";
import { createClickHousePool, DatabaseError } from "../../index.js";

const PASSWORD = "native-login-test-password";

async function refusedLogin(claims: { password?: string; database?: string }): Promise<DatabaseError> {
  await using server = await startPrivateClickHouse({ users: [{ name: "native_user", password: PASSWORD }] });
  await using pool = createClickHousePool();
  const error = await pool
    .withClient(
      {
        host: "127.0.0.1",
        port: server.tcpPort,
        protocol: "tcp",
        username: "native_user",
        password: PASSWORD,
        ...claims,
      },
      (client) => client.ping(),
    )
    .catch((e: unknown) => e);
  if (!(error instanceof DatabaseError)) throw new Error(`expected a DatabaseError, got ${String(error)}`);
  return error;
}

describe("refused native logins", () => {
  it("a wrong password: AUTH_FAILED, without either password in the message", async () => {
    const wrong = "wrong-password-value";
    const error = await refusedLogin({ password: wrong });
    expect(error).toMatchObject({ code: "AUTH_FAILED", clickhouseCode: 516 });
    expect(error.message).toContain('user "native_user"');
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(PASSWORD);
  });

  it("an unknown database: QUERY_FAILED with the server's code and type", async () => {
    const error = await refusedLogin({ database: "no_such_database" });
    expect(error).toMatchObject({
      code: "QUERY_FAILED",
      clickhouseCode: 81,
      clickhouseType: "UNKNOWN_DATABASE",
    });
    expect(error.message).toContain("no_such_database");
  });
});
