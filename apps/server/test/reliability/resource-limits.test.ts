/**
 * Resource limits: bodies over --max-body-bytes (with and without Content-Length, on every POST
 * endpoint), SSE sessions over the per-token cap (429) and the total cap (503), caps that hold
 * under concurrent opens, and sessions that are counted out again when they end, however many
 * come and go. (Slow requests are in process-faults.test.ts: they need the real process.)
 */
import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { mcpUrl, startTestServer, type TestServer } from "../../src/test-support/http-fixture.js";
import {
  boundedLoop,
  ClientTexts,
  expectNoSecrets,
  initializeMessage,
  RawSseSession,
  reportFigures,
  scale,
  timeoutFor,
  toolCallMessage,
  waitUntil,
} from "../../src/test-support/reliability.js";

const shown = new ClientTexts();
const servers: TestServer[] = [];

async function start(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  const server = await startTestServer(...args);
  servers.push(server);
  return server;
}

afterAll(async () => {
  for (const server of servers) await server.close();
});

async function expectError(response: Response, status: number, error: string): Promise<void> {
  const body = await response.text();
  shown.add(body);
  expect(response.status, body.slice(0, 200)).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const json = JSON.parse(body) as { error: string; error_description: string };
  expect(json.error).toBe(error);
  expect(json.error_description.length).toBeGreaterThan(10);
}

function openSse(url: string): Promise<Response> {
  return fetch(url, { headers: { Accept: "text/event-stream" } });
}

describe("request bodies over --max-body-bytes", () => {
  it("get 413 on every POST endpoint, declared or streamed, and the server carries on", async () => {
    const LIMIT = 64 * 1024;
    const server = await start({ http: { maxBodyBytes: LIMIT } });
    const token = await server.mint();
    const session = await RawSseSession.open(mcpUrl(server.url, "sse", token));
    const big = JSON.stringify(
      toolCallMessage(1, "execute_query", { query: `SELECT '${"x".repeat(LIMIT)}' AS padding` }),
    );
    const headers = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
    /**
     * A chunked body with no Content-Length, on a raw socket: the server answers 413 and closes
     * while the client is still sending, which fetch reports as a failure instead of the answer.
     */
    const streamed = (url: string) =>
      new Promise<Response>((resolve, reject) => {
        const target = new URL(url);
        const socket = connect({ host: target.hostname, port: Number(target.port) });
        let answer = "";
        socket.on("data", (chunk: Buffer) => {
          answer += chunk.toString("utf8");
        });
        socket.on("error", () => {});
        socket.on("close", () => {
          const head = answer.slice(0, answer.indexOf("\r\n\r\n"));
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
          if (!status) return reject(new Error(`no answer: ${answer.slice(0, 200)}`));
          const contentType = /\r\ncontent-type: ([^\r]+)/i.exec(head)?.[1] ?? "";
          let body = answer.slice(head.length + 4);
          if (/\r\ntransfer-encoding: chunked/i.test(head))
            body = body.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n|\r\n0\r\n\r\n$/gi, "");
          resolve(new Response(body, { status, headers: { "content-type": contentType } }));
        });
        socket.write(
          `POST ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
            "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" +
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        );
        const chunk = big.slice(0, 8192);
        let sent = 0;
        const pump = () => {
          while (sent < LIMIT * 4 && !socket.destroyed) {
            sent += chunk.length;
            if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`))
              return void socket.once("drain", pump);
          }
          if (!socket.destroyed) socket.write("0\r\n\r\n");
        };
        pump();
      });
    const targets = [
      `${server.url}/${token}/mcp`,
      `${server.url}/${token}`,
      `${server.url}/mcp`,
      `${server.url}${session.endpoint}`,
      `${server.url}/jwe-token-generator`,
    ];
    let refused = 0;
    for (const url of targets) {
      await expectError(await fetch(url, { method: "POST", headers, body: big }), 413, "payload_too_large");
      await expectError(await streamed(url), 413, "payload_too_large");
      refused += 2;
    }
    // The session whose endpoint was flooded still works, and so does everything else.
    const reply = await session.request(toolCallMessage(2, "execute_query", { query: "SELECT 1 AS one" }));
    expect(JSON.stringify(reply.result?.structuredContent)).toContain('"one":1');
    session.close();
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);
    reportFigures("body limit", { "limit bytes": LIMIT, "oversized bodies refused (413)": refused });
  });
});

describe("SSE session caps", () => {
  it("answer 429 per token and 503 in total, with a clear JSON error, and free slots when sessions end", async () => {
    const PER_TOKEN = 3;
    const TOTAL = 8;
    const server = await start({ http: { maxSseSessionsPerToken: PER_TOKEN, maxSseSessions: TOTAL } });
    const [a, b, c, d] = await Promise.all([server.mint(), server.mint(), server.mint(), server.mint()]);
    const open: Response[] = [];
    const hold = async (token: string) => {
      const response = await openSse(mcpUrl(server.url, "sse", token));
      if (response.status === 200) open.push(response);
      return response;
    };

    for (let i = 0; i < PER_TOKEN; i++) expect((await hold(a as string)).status).toBe(200);
    const overToken = await hold(a as string);
    expect(overToken.headers.get("retry-after")).toBeTruthy();
    await expectError(overToken, 429, "too_many_sessions");
    // The header form of the same token counts against the same cap.
    await expectError(
      await fetch(`${server.url}/sse`, {
        headers: { Accept: "text/event-stream", Authorization: `Bearer ${a}` },
      }),
      429,
      "too_many_sessions",
    );

    // Concurrent opens with one token: exactly the cap gets through.
    const racing = await Promise.all(Array.from({ length: 20 }, () => hold(b as string)));
    expect(racing.filter((r) => r.status === 200)).toHaveLength(PER_TOKEN);
    for (const refused of racing.filter((r) => r.status !== 200))
      await expectError(refused, 429, "too_many_sessions");

    expect((await hold(c as string)).status).toBe(200);
    expect((await hold(c as string)).status).toBe(200);
    // 8 open: the total cap answers 503 even for a token with no session yet.
    const overTotal = await hold(d as string);
    expect(overTotal.headers.get("retry-after")).toBeTruthy();
    await expectError(overTotal, 503, "too_many_sessions");

    // Ending one of a's sessions lets a open one again.
    await (open.shift() as Response).body?.cancel();
    await waitUntil(async () => {
      const again = await openSse(mcpUrl(server.url, "sse", a as string));
      if (again.status === 200) {
        open.push(again);
        return true;
      }
      await again.body?.cancel();
      return false;
    }, "a slot is free again");

    for (const response of open) await response.body?.cancel();
    await waitUntil(
      () => server.serverApp !== undefined && gauge(server) === 0,
      "every session is counted out",
    );
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);
  });

  it("without JWE there is no token to count by: only the total cap applies", async () => {
    const server = await start({
      jwe: { allow: false },
      http: { maxSseSessionsPerToken: 1, maxSseSessions: 3 },
    });
    const open = await Promise.all([1, 2, 3].map(() => openSse(`${server.url}/sse`)));
    expect(open.map((r) => r.status)).toEqual([200, 200, 200]);
    await expectError(await openSse(`${server.url}/sse`), 503, "too_many_sessions");
    for (const response of open) await response.body?.cancel();
  });

  it(
    "counts every session out again, however many come and go",
    async () => {
      const PER_TOKEN = 5;
      const server = await start({ http: { maxSseSessionsPerToken: PER_TOKEN, maxSseSessions: 50 } });
      const tokens = await Promise.all(Array.from({ length: 10 }, () => server.mint()));
      const CHURN = scale(300, 3_000);
      let refused = 0;
      const run = await boundedLoop(
        { count: CHURN, budgetMs: scale(30_000, 240_000), concurrency: 20 },
        async (i) => {
          const token = tokens[i % tokens.length] as string;
          if (i % 3 === 0) {
            // A full MCP session, ended by the client.
            const session = await RawSseSession.open(mcpUrl(server.url, "sse", token)).catch(() => undefined);
            if (!session) {
              refused++;
              return;
            }
            await session.request(toolCallMessage(1, "list_databases", {}));
            session.close();
          } else {
            // A stream opened and dropped at once, sometimes before the endpoint event.
            const response = await openSse(mcpUrl(server.url, "sse", token));
            if (response.status !== 200) {
              refused++;
              await response.text();
              return;
            }
            await response.body?.cancel();
          }
        },
      );
      expect(run.done).toBeGreaterThanOrEqual(Math.min(CHURN, 100));
      await waitUntil(() => gauge(server) === 0, "every session is counted out", 10_000);
      // Every token can open its full quota again: nothing is left counted against it.
      const again = await Promise.all(
        tokens.flatMap((token) =>
          Array.from({ length: PER_TOKEN }, () => openSse(mcpUrl(server.url, "sse", token))),
        ),
      );
      expect(again.filter((r) => r.status === 200)).toHaveLength(tokens.length * PER_TOKEN);
      for (const response of again) await response.body?.cancel();
      const initialize = await fetch(mcpUrl(server.url, "http", tokens[0]), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
        body: JSON.stringify(initializeMessage()),
      });
      expect(initialize.status).toBe(200);
      reportFigures("SSE session churn", {
        "sessions opened and closed": run.done,
        "refused at the cap meanwhile": refused,
        "left open": gauge(server),
        seconds: (run.elapsedMs / 1000).toFixed(1),
      });
    },
    timeoutFor(scale(30_000, 240_000)),
  );
});

function gauge(server: TestServer): number {
  const line = server.metrics
    .render()
    .split("\n")
    .find((l) => l.startsWith("mcp_sse_sessions_open "));
  return Number(line?.split(" ")[1]);
}

describe("secrets", () => {
  it("none in the logs or in what clients were shown", () => {
    expectNoSecrets(
      "a server log",
      servers.map((s) => s.logText()),
    );
    expectNoSecrets("an answer", shown.all());
  });
});
