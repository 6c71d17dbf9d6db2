import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, REDACTED, scrubLine } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      callback();
    },
  });
  return { lines, destination, all: () => lines.join("\n") };
}

// Shaped like real compact JWE / JWS tokens.
const JWE =
  "eyJhbGciOiJBMjU2S1ciLCJlbmMiOiJBMjU2R0NNIiwiY3R5IjoiSldUIiwidHlwIjoiSldFIn0." +
  "Zk9yQ2xZ8q3mN1xW0pL4rT6uV7yA9bC2dE3fG5hI6jK.bWFkZXVwaXY.Y2lwaGVydGV4dC1oZXJl-_x.dGFnLXZhbHVlLWhlcmU";
const JWS = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJob3N0IjoiaCJ9.c2lnbmF0dXJlLWJ5dGVz";

describe("createLogger", () => {
  it("writes JSON lines with level labels, time and message", () => {
    const out = capture();
    const logger = createLogger("info", { destination: out.destination });
    logger.info({ path: "/health", status: 200 }, "request");
    logger.debug("hidden at info");
    expect(out.lines).toHaveLength(1);
    const line = JSON.parse(out.lines[0]!);
    expect(line).toMatchObject({
      level: "info",
      msg: "request",
      path: "/health",
      status: 200,
      name: "altinity-mcp",
    });
    expect(typeof line.time).toBe("string");
  });

  it("redacts credential fields at any depth, at debug level", () => {
    const out = capture();
    const logger = createLogger("trace", { destination: out.destination });
    logger.debug({
      password: "pw-top-level",
      connection: { host: "h", password: "pw-nested" },
      deep: { a: { b: { clickhouse_password: "pw-deep", jwe_secret_key: "jwe-deep" } } },
      req: {
        headers: { authorization: "Bearer abc-header", "x-altinity-mcp-key": "key-header", cookie: "c=1" },
      },
      config: {
        jwe: { jweSecretKeys: ["jwe-1", "jwe-2"], jwtSecretKey: "jwt-1" },
        generator: { operatorKey: "op" },
      },
      token: "plain-token-value",
    });
    const text = out.all();
    for (const secret of [
      "pw-top-level",
      "pw-nested",
      "pw-deep",
      "jwe-deep",
      "abc-header",
      "key-header",
      "c=1",
      "jwe-1",
      "jwe-2",
      "jwt-1",
      '"op"',
      "plain-token-value",
    ]) {
      expect(text).not.toContain(secret);
    }
    const line = JSON.parse(out.lines[0]!);
    expect(line.connection).toEqual({ host: "h", password: REDACTED });
  });

  it("removes token-shaped strings from messages, URLs and error text", () => {
    const out = capture();
    const logger = createLogger("debug", { destination: out.destination });
    logger.info({ path: `/${JWE}/sse` }, "access");
    logger.warn(`verification failed for ${JWS}`);
    logger.error({ err: new Error(`bad token ${JWE}`) }, "failed");
    const text = out.all();
    expect(text).not.toContain(JWE);
    expect(text).not.toContain(JWS);
    expect(text).not.toContain("eyJhbGci");
    expect(JSON.parse(out.lines[0]!).path).toBe(`/${REDACTED}/sse`);
  });

  it("scrubs configured secret values wherever they appear, including ones added later", () => {
    const out = capture();
    const secrets = new Set(["configured-jwe-secret"]);
    const logger = createLogger("debug", { destination: out.destination, secrets });
    logger.info("oops configured-jwe-secret leaked into a message");
    secrets.add('late"secret\\value');
    logger.info({ detail: 'x late"secret\\value y' }, "later");
    const text = out.all();
    expect(text).not.toContain("configured-jwe-secret");
    expect(text).not.toContain("secret\\\\value");
    expect(JSON.parse(out.lines[0]!).msg).toBe(`oops ${REDACTED} leaked into a message`);
    expect(JSON.parse(out.lines[1]!).detail).toBe(`x ${REDACTED} y`);
  });

  it("keeps ordinary fields that merely mention tokens", () => {
    const out = capture();
    createLogger("info", { destination: out.destination }).info(
      { reason: "TOKEN_EXPIRED", status: 401 },
      "rejected",
    );
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ reason: "TOKEN_EXPIRED", status: 401 });
  });
});

describe("scrubLine", () => {
  it("does not scrub very short secrets literally", () => {
    expect(scrubLine('{"msg":"a b c"}', ["a"])).toBe('{"msg":"a b c"}');
  });
});
