import { describe, expect, it } from "vitest";
import { CLAIM_NAMES, CONNECTION_CLAIM_NAMES, parseClaims, TokenError } from "./index.js";

function claimsError(input: unknown, options?: { requireExp?: boolean }): TokenError {
  try {
    parseClaims(input, options);
  } catch (error) {
    if (error instanceof TokenError) return error;
    throw error;
  }
  throw new Error("parseClaims accepted the input");
}

const everyClaim = {
  host: "clickhouse.example.com",
  port: 9440,
  database: "db",
  username: "user",
  password: "pw",
  protocol: "tcp",
  tls_enabled: true,
  tls_ca_cert: "/ca.crt",
  tls_client_cert: "/client.crt",
  tls_client_key: "/client.key",
  tls_insecure_skip_verify: false,
  limit: 100,
  read_only: true,
  max_execution_time: 2.5,
  max_rows_to_read: 1_000_000,
  max_bytes_to_read: 10_000_000_000,
  exp: 2_000_000_000,
  nbf: 1_000_000_000,
  iat: 1_000_000_000,
  iss: "issuer",
  sub: "subject",
  aud: ["a", "b"],
  jti: "id-1",
};

describe("parseClaims", () => {
  it("accepts every documented claim with a valid value", () => {
    expect(Object.keys(everyClaim).sort()).toEqual([...CLAIM_NAMES].sort());
    expect(parseClaims(everyClaim)).toEqual(everyClaim);
    expect(parseClaims({ aud: "single" })).toEqual({ aud: "single" });
  });

  it("lists the connection claims as a subset of all claim names", () => {
    for (const name of CONNECTION_CLAIM_NAMES) expect(CLAIM_NAMES).toContain(name);
  });

  it("drops members whose value is undefined", () => {
    expect(parseClaims({ host: "h", password: undefined })).toEqual({ host: "h" });
    expect(Object.keys(parseClaims({ host: "h", password: undefined }))).toEqual(["host"]);
  });

  it("rejects a claim name outside the documented set, naming it", () => {
    const error = claimsError({ host: "h", expiry: 3600 });
    expect(error.code).toBe("TOKEN_CLAIMS_INVALID");
    expect(error.claim).toBe("expiry");
    expect(error.message).toContain('"expiry"');
  });

  it("does not echo an unknown claim name that is not a plain identifier", () => {
    const name = `${"x".repeat(100)} secret`;
    const error = claimsError({ [name]: 1 });
    expect(error.claim).toBe("(unprintable name)");
    expect(error.message).not.toContain("secret");
  });

  it("rejects __proto__ as an unknown claim", () => {
    expect(claimsError(JSON.parse('{"__proto__":{"host":"x"}}')).claim).toBe("__proto__");
  });

  it("rejects anything but a plain object", () => {
    for (const input of [null, [], "x", 1, new Date()]) {
      const error = claimsError(input);
      expect(error.code).toBe("TOKEN_CLAIMS_INVALID");
      expect(error.claim).toBeUndefined();
    }
  });

  it("requires exp only when asked", () => {
    expect(parseClaims({ host: "h" })).toEqual({ host: "h" });
    const error = claimsError({ host: "h" }, { requireExp: true });
    expect(error.claim).toBe("exp");
    expect(parseClaims({ exp: 5 }, { requireExp: true })).toEqual({ exp: 5 });
  });

  const invalid: [string, unknown][] = [
    ["host", ""],
    ["host", 5],
    ["host", "a b"],
    ["host", "evil.com/path"],
    ["host", "x".repeat(256)],
    ["port", 0],
    ["port", 70000],
    ["port", 8123.5],
    ["port", "8123"],
    ["port", null],
    ["database", ""],
    ["username", ["u"]],
    ["password", ""],
    ["password", "p".repeat(1025)],
    ["protocol", "ftp"],
    ["protocol", "HTTP"],
    ["tls_enabled", "true"],
    ["tls_enabled", 1],
    ["tls_ca_cert", ""],
    ["tls_client_cert", 1],
    ["tls_client_key", "k".repeat(1025)],
    ["tls_insecure_skip_verify", "false"],
    ["limit", 0],
    ["limit", -1],
    ["limit", 1.5],
    ["limit", "10"],
    ["read_only", "yes"],
    ["max_execution_time", 0],
    ["max_execution_time", -3],
    ["max_execution_time", "5"],
    ["max_rows_to_read", 0],
    ["max_rows_to_read", 1.5],
    ["max_rows_to_read", "1000"],
    ["max_bytes_to_read", -1],
    ["max_bytes_to_read", 2 ** 60],
    ["exp", "2000000000"],
    ["exp", -1],
    ["nbf", true],
    ["iat", {}],
    ["iss", ""],
    ["sub", 1],
    ["aud", 1],
    ["aud", []],
    ["aud", [""]],
    ["aud", Array.from({ length: 9 }, () => "a")],
    ["jti", ""],
  ];
  it.each(invalid)("rejects %s = %j, naming the claim", (claim, value) => {
    const error = claimsError({ ...everyClaim, [claim]: value });
    expect(error.code).toBe("TOKEN_CLAIMS_INVALID");
    expect(error.claim).toBe(claim);
    expect(error.message).toContain(`"${claim}"`);
  });

  it("never puts a claim value in the message", () => {
    const error = claimsError({ password: "hunter2-password", port: "hunter2-port" });
    expect(error.claim).toBe("port");
    expect(error.message).not.toContain("hunter2");
    const tooLong = claimsError({ password: "hunter2".repeat(200) });
    expect(tooLong.claim).toBe("password");
    expect(tooLong.message).not.toContain("hunter2");
  });
});
