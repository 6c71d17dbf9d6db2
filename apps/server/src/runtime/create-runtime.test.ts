import { connect } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createRuntime } from "../index.js";
import { testConfig } from "../test-support/http-fixture.js";

function captureLogger() {
  let text = "";
  const logger = pino(
    { level: "debug" },
    new Writable({
      write(chunk, _encoding, callback) {
        text += chunk.toString();
        callback();
      },
    }),
  );
  return { logger, lines: () => text };
}

describe("createRuntime", () => {
  it("listens with the request timeout, serves the app, and stops gracefully", async () => {
    const { logger, lines } = captureLogger();
    const config = testConfig({ http: { requestTimeoutMs: 1_000 } });
    const runtime = createRuntime({ config, logger, version: "0.0.0-test" });
    const { url, port } = await runtime.start();
    try {
      expect(url).toBe(`http://127.0.0.1:${port}`);
      const live = await fetch(`${url}/livez`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: "ok" });
      // A connection that never finishes its request head is answered 408 and closed.
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port as number, "127.0.0.1", () => socket.write("GET /livez HTTP/1.1\r\n"));
        let text = "";
        socket.on("data", (chunk) => {
          text += chunk.toString();
        });
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await runtime.stop();
    }
    expect(runtime.stopping).toBe(true);
    expect(lines()).toContain('"msg":"listening"');
    await expect(fetch(`${url}/livez`)).rejects.toThrow();
  }, 15_000);
});
