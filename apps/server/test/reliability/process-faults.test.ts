/**
 * The server as a process (dist/main.js), where the process itself is under test: its memory
 * while a client floods an SSE session it never reads, SIGTERM in the middle of load, and
 * connections that send their request too slowly (slowloris).
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { mintToken } from "@mcp/jwe";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, describe, expect, it } from "vitest";
import {
  connectClient,
  harnessClaims,
  markSensitive,
  mcpUrl,
  structuredOf,
  textOf,
} from "../../src/test-support/http-fixture.js";
import {
  ClientTexts,
  expectNoSecrets,
  initializeMessage,
  reportFigures,
  rssMiB,
  scale,
  timeoutFor,
  toolCallMessage,
  waitUntil,
} from "../../src/test-support/reliability.js";
import { cleanEnv, type ServerProcess, spawnServer } from "../../src/test-support/spawn-server.js";

const JWE = `rel-jwe-${randomBytes(16).toString("hex")}`;
const JWT = `rel-jwt-${randomBytes(16).toString("hex")}`;
markSensitive(JWE, JWT);

const shown = new ClientTexts();
const processes: ServerProcess[] = [];

afterAll(async () => {
  for (const p of processes) await p[Symbol.asyncDispose]();
});

function spawnJweServer(extra: string[]): ServerProcess {
  const server = spawnServer(
    ["--transport=sse,http", "--port=0", "--log-level=debug", "--allow-jwe-auth", ...extra],
    { env: cleanEnv({ MCP_JWE_SECRET_KEY: JWE, MCP_JWT_SECRET_KEY: JWT }) },
  );
  processes.push(server);
  return server;
}

async function token(user: Parameters<typeof harnessClaims>[0] = "password"): Promise<string> {
  const minted = await mintToken(harnessClaims(user), { jweSecret: JWE, jwtSecret: JWT });
  markSensitive(minted);
  return minted;
}

/**
 * Opens `/<token>/sse` on a raw socket, reads up to the endpoint event, then stops reading for
 * good: the kernel buffers fill and the server's writes back up.
 */
async function openStalledSse(
  base: string,
  tokenValue: string,
): Promise<{ socket: Socket; endpoint: string }> {
  const { hostname, port } = new URL(base);
  const socket = connect({ host: hostname, port: Number(port) });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write(
    `GET /${tokenValue}/sse HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  let head = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const match = /event: endpoint\r?\ndata: (\S+)/.exec(head);
      if (match?.[1]) {
        socket.off("data", onData);
        resolve(match[1]);
      }
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error(`stream closed before the endpoint event: ${head}`)));
  });
  socket.pause();
  socket.on("error", () => {});
  return { socket, endpoint };
}

function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

/** About 1 MB of rows: each reply frame is a few MB, so a stalled stream backs up quickly. */
const BIG_QUERY = "SELECT repeat('x', 1000) AS s FROM numbers(1000)";

describe("a client that never reads its SSE stream", () => {
  it(
    "cannot make the server's memory grow without bound",
    async () => {
      const server = spawnJweServer(["--clickhouse-max-result-rows=1000"]);
      const base = await server.listening();
      const pid = server.child.pid as number;
      const baseline = rssMiB(pid);

      const stalled = await openStalledSse(base, await token());
      const messageUrl = `${base}${stalled.endpoint}`;
      expect((await postJson(messageUrl, initializeMessage())).status).toBe(202);
      expect(
        (await postJson(messageUrl, { jsonrpc: "2.0", method: "notifications/initialized" })).status,
      ).toBe(202);

      // A well-behaved client next to it must not notice.
      const healthy = await connectClient("sse", mcpUrl(base, "sse", await token("readonly2")));
      let healthyCalls = 0;
      const healthyFailures: string[] = [];
      let flooding = true;
      const healthyLoop = (async () => {
        while (flooding) {
          const result = await healthy.callTool({
            name: "execute_query",
            arguments: { query: "SELECT 42 AS answer" },
          });
          healthyCalls++;
          if (result.isError || !structuredOf(result).includes('"answer":42'))
            healthyFailures.push(textOf(result));
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();

      let maxRss = baseline;
      const sampler = setInterval(() => {
        maxRss = Math.max(maxRss, rssMiB(pid));
      }, 50);
      const FLOOD = scale(400, 3_000);
      const statuses = new Map<number, number>();
      let firstRefusedAt: number | undefined;
      try {
        let next = 1;
        const flooder = async () => {
          while (next <= FLOOD) {
            const id = next++;
            const response = await postJson(
              messageUrl,
              toolCallMessage(id, "execute_query", { query: BIG_QUERY }),
            );
            shown.add(await response.text());
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            if (response.status === 404) firstRefusedAt ??= id;
          }
        };
        await Promise.all([flooder(), flooder(), flooder(), flooder()]);
        // Give anything still queued the chance to pile up before the last sample.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        maxRss = Math.max(maxRss, rssMiB(pid));
      } finally {
        clearInterval(sampler);
        flooding = false;
        await healthyLoop;
        await healthy.close();
        stalled.socket.destroy();
      }

      // Unbounded, each ~1 MB result held for the stalled client costs several MB: hundreds of
      // posts reach gigabytes. Bounded, the session is ended once its unread output passes the
      // cap (4 x --clickhouse-max-result-bytes, at least 8 MiB), and its later posts get 404.
      expect(maxRss - baseline).toBeLessThan(512);
      expect(firstRefusedAt).toBeDefined();
      expect(statuses.get(404)).toBeGreaterThan(0);
      expect(
        server.logs().some((l) => l.msg === "SSE client is not reading its stream: ending the session"),
      ).toBe(true);
      expect(healthyFailures).toEqual([]);
      expect(healthyCalls).toBeGreaterThan(0);
      expect((await fetch(`${base}/livez`)).status).toBe(200);

      server.child.kill("SIGTERM");
      expect(await server.exited).toEqual({ code: 0, signal: null });
      reportFigures("stalled SSE reader", {
        "messages posted": FLOOD,
        "accepted (202)": statuses.get(202) ?? 0,
        "refused after the session was ended (404)": statuses.get(404) ?? 0,
        "baseline RSS MiB": baseline.toFixed(0),
        "peak RSS MiB": maxRss.toFixed(0),
        "healthy calls meanwhile": healthyCalls,
      });
    },
    timeoutFor(scale(60_000, 240_000)),
  );
});

describe("SIGTERM during load", () => {
  it(
    "lets in-flight calls finish or fail cleanly, hangs on nothing, and exits 0",
    async () => {
      const GRACE_S = 4;
      const server = spawnJweServer([`--shutdown-grace=${GRACE_S}`, "--clickhouse-max-result-rows=1000"]);
      const base = await server.listening();

      // A stalled reader with replies queued: it must not hold the shutdown up.
      const stalled = await openStalledSse(base, await token());
      const messageUrl = `${base}${stalled.endpoint}`;
      await postJson(messageUrl, initializeMessage());
      await postJson(messageUrl, { jsonrpc: "2.0", method: "notifications/initialized" });
      for (let i = 1; i <= 8; i++) {
        await postJson(messageUrl, toolCallMessage(i, "execute_query", { query: BIG_QUERY }));
      }

      const CLIENTS = scale(8, 24);
      const clients: Client[] = [];
      for (let i = 0; i < CLIENTS; i++) {
        const kind = i % 2 === 0 ? "sse" : "http";
        clients.push(
          await connectClient(kind, mcpUrl(base, kind, await token(i % 3 === 0 ? "readonly2" : "password"))),
        );
      }

      type Settled = { at: number; slow: boolean; outcome: "ok" | "tool error" | "refused" };
      const settled: Settled[] = [];
      let stopping = false;
      let sigtermAt = Number.POSITIVE_INFINITY;
      const loops = clients.map(async (client, index) => {
        // Until SIGTERM, then one more call: that one must be refused cleanly (or, if it beat the
        // signal, answered).
        for (let n = 0, last = false; !last; n++) {
          last = stopping;
          // Slow calls (1 s) are the ones a graceful stop must let finish.
          const slow = (index + n) % 3 === 0;
          const query = slow ? "SELECT sleepEachRow(0.5) AS s FROM numbers(2)" : "SELECT 1 AS one";
          try {
            const result = await client.callTool({ name: "execute_query", arguments: { query } }, undefined, {
              timeout: 60_000,
            });
            const text = textOf(result);
            shown.add(text);
            settled.push({ at: Date.now(), slow, outcome: result.isError ? "tool error" : "ok" });
          } catch (error) {
            // Refused at the door (503 shutting_down) or the stream ended: clean, and final.
            shown.add(String(error));
            settled.push({ at: Date.now(), slow, outcome: "refused" });
            return;
          }
        }
      });

      await waitUntil(
        () => settled.filter((s) => s.outcome === "ok").length >= CLIENTS * 2,
        "load is running",
      );
      // The clients run in step and the condition above is met as a round of slow calls ends: let
      // the next round start, so that slow calls are running when the signal comes.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const inFlightAtSigterm = CLIENTS;
      sigtermAt = Date.now();
      server.child.kill("SIGTERM");
      stopping = true;

      const exitBound = (GRACE_S + 6) * 1000;
      const exit = await Promise.race([
        server.exited,
        new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), exitBound)),
      ]);
      expect(exit).toEqual({ code: 0, signal: null });
      const exitMs = Date.now() - sigtermAt;
      // Every client's last call has settled, one way or another.
      const all = await Promise.race([
        Promise.all(loops).then(() => "settled"),
        new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 5_000)),
      ]);
      expect(all).toBe("settled");
      stalled.socket.destroy();
      for (const client of clients) await client.close().catch(() => {});

      const after = settled.filter((s) => s.at >= sigtermAt);
      // Slow calls running at SIGTERM finished with their answer, within the grace period.
      expect(after.some((s) => s.slow && s.outcome === "ok")).toBe(true);
      expect(after.filter((s) => s.outcome === "tool error")).toEqual([]);
      const messages = server.logs().map((l) => l.msg);
      expect(messages).toContain("stopped");
      expect(messages).not.toContain("shutdown took too long, exiting");
      reportFigures("SIGTERM under load", {
        clients: CLIENTS,
        "calls before SIGTERM": settled.length - after.length,
        "in flight at SIGTERM": inFlightAtSigterm,
        "finished after SIGTERM": after.filter((s) => s.outcome === "ok").length,
        "refused cleanly": after.filter((s) => s.outcome === "refused").length,
        "exit code": 0,
        "exit ms after SIGTERM": exitMs,
        "grace s": GRACE_S,
      });
    },
    timeoutFor(60_000),
  );
});

describe("slow requests (slowloris)", () => {
  it(
    "closes connections that do not finish their request within --request-timeout, and only those",
    async () => {
      const TIMEOUT_S = 1;
      const server = spawnJweServer([`--request-timeout=${TIMEOUT_S}`, "--sse-keep-alive=1"]);
      const base = await server.listening();
      const { hostname, port } = new URL(base);

      /** Resolves with how long the server took to close the connection (bounded by `limitMs`). */
      const closedWithin = (socket: Socket, limitMs: number) =>
        new Promise<{ ms: number; answer: string }>((resolve, reject) => {
          const opened = Date.now();
          let answer = "";
          socket.on("data", (chunk: Buffer) => {
            answer += chunk.toString("latin1");
          });
          socket.on("error", () => {});
          const timer = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs);
          socket.once("close", () => {
            clearTimeout(timer);
            resolve({ ms: Date.now() - opened, answer });
          });
        });
      const open = () => connect({ host: hostname, port: Number(port) });
      const trickle = (socket: Socket, text: string, everyMs: number) => {
        let i = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || i >= text.length) clearInterval(timer);
          else socket.write(text[i++] as string);
        }, everyMs);
        socket.once("close", () => clearInterval(timer));
      };
      const LIMIT_MS = (TIMEOUT_S + 4) * 1000;

      const IDLE = scale(30, 300);
      const idle = Array.from({ length: IDLE }, () => closedWithin(open(), LIMIT_MS));

      const slowHeaders = open();
      trickle(
        slowHeaders,
        `GET /sse HTTP/1.1\r\nHost: ${hostname}:${port}\r\nX-Padding: ${"p".repeat(500)}\r\n\r\n`,
        100,
      );
      const headersClosed = closedWithin(slowHeaders, LIMIT_MS);

      // Authenticated, so the handler really waits for the body.
      const slowBody = open();
      slowBody.write(
        `POST /${await token()}/mcp HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n` +
          "Accept: application/json, text/event-stream\r\nContent-Length: 100000\r\n\r\n{",
      );
      trickle(slowBody, " ".repeat(100_000), 100);
      const bodyClosed = closedWithin(slowBody, LIMIT_MS);

      // Meanwhile the server answers everyone else, and an SSE stream outlives the timeout.
      const livez = await fetch(`${base}/livez`, { signal: AbortSignal.timeout(2_000) });
      expect(livez.status).toBe(200);
      const sse = await connectClient("sse", mcpUrl(base, "sse", await token()));
      const sseOpenedAt = Date.now();

      const results = await Promise.all([...idle, headersClosed, bodyClosed]);
      // Node answers 408 to a request it gave up on; sockets that sent nothing are just closed.
      const [headersResult, bodyResult] = results.slice(-2) as unknown as [
        { answer: string },
        { answer: string },
      ];
      expect(headersResult.answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(bodyResult.answer).toMatch(/^HTTP\/1\.1 408 /);
      for (const result of results.slice(0, -2)) expect(result.answer).toMatch(/^(HTTP\/1\.1 408 |$)/);

      // The same stream, well past the timeout, still carries replies.
      await waitUntil(
        () => Date.now() - sseOpenedAt > TIMEOUT_S * 1000 + 1_000,
        "the stream outlives the timeout",
      );
      const call = await sse.callTool({ name: "execute_query", arguments: { query: "SELECT 7 AS seven" } });
      expect(structuredOf(call)).toContain('"seven":7');
      await sse.close();

      server.child.kill("SIGTERM");
      expect(await server.exited).toEqual({ code: 0, signal: null });
      reportFigures("slowloris", {
        "request timeout s": TIMEOUT_S,
        "idle connections closed": IDLE,
        "slow headers closed": 1,
        "slow body closed": 1,
        "slowest close ms": Math.max(...results.map((r) => r.ms)),
        "SSE stream kept beyond the timeout": "yes",
      });
    },
    timeoutFor(30_000),
  );
});

describe("secrets", () => {
  it("none in the debug logs of the processes or in what clients were shown", () => {
    expect(processes.length).toBe(3);
    expectNoSecrets(
      "a server's stderr",
      processes.map((p) => p.stderr()),
    );
    expectNoSecrets(
      "a server's stdout",
      processes.map((p) => p.stdout()),
    );
    expectNoSecrets("an answer", shown.all());
  });
});
