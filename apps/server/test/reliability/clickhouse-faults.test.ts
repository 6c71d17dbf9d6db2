/**
 * ClickHouse faults. (1) A ClickHouse of this file's own is stopped in the middle of load and
 * started again on the same ports and data directory: calls fail fast with a clear error while it
 * is away, the server stays up and /health says so, and calls succeed again with no restart and
 * no reconnect. (2) Clients that vanish mid-query (SSE stream or HTTP request cut) leave no query
 * running on ClickHouse.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EmbeddedClickHouse, start } from "@mcp/embedded-clickhouse";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, describe, expect, it } from "vitest";
import {
  connectClient,
  markSensitive,
  mcpUrl,
  startTestServer,
  structuredOf,
  type TestServer,
  textOf,
} from "../../src/test-support/http-fixture.js";
import {
  ClientTexts,
  expectNoSecrets,
  postMcp,
  RawSseSession,
  reportFigures,
  runningWith,
  STRESS,
  scale,
  timeoutFor,
  toolCallMessage,
  unique,
  waitUntil,
} from "../../src/test-support/reliability.js";

const OUTAGES = scale(1, 4);
const DISCONNECTS = scale(4, 24);
const ROWS = 1234;
/** A failing call must come back well within this: no waiting on a ClickHouse that is gone. */
const FAIL_FAST_MS = 5_000;

const shown = new ClientTexts();
const servers: TestServer[] = [];
const dataDir = mkdtempSync(join(tmpdir(), "rel-faults-"));

afterAll(async () => {
  for (const server of servers) await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Outcome {
  client: number;
  phase: "up" | "down" | "back";
  ok: boolean;
  text: string;
  ms: number;
}

describe("ClickHouse stopped mid-load", () => {
  it(
    `fails fast while it is away, stays up, and recovers with no restart (${OUTAGES} outage(s))`,
    async () => {
      const admin = { name: "admin", password: randomBytes(18).toString("base64url") };
      markSensitive(admin.password);
      const owned: { current: EmbeddedClickHouse } = { current: await start({ users: [admin], dataDir }) };
      const { httpPort, tcpPort } = owned.current;
      try {
        for (const query of [
          "CREATE DATABASE faults",
          "CREATE TABLE faults.t (n UInt32) ENGINE = MergeTree ORDER BY n",
          `INSERT INTO faults.t SELECT number FROM numbers(${ROWS})`,
        ]) {
          const response = await fetch(owned.current.url, {
            method: "POST",
            headers: { "X-ClickHouse-User": admin.name, "X-ClickHouse-Key": admin.password },
            body: query,
          });
          expect(response.status, await response.text()).toBe(200);
        }

        // Without JWE, /health checks the configured ClickHouse: here, the one that will go away.
        const server = await startTestServer({
          jwe: { allow: false },
          clickhouse: {
            host: "127.0.0.1",
            port: httpPort,
            username: admin.name,
            password: admin.password,
            database: "faults",
          },
        });
        servers.push(server);
        const clients: Client[] = [];
        for (const kind of ["sse", "http", "sse", "http", "sse", "http"] as const) {
          clients.push(await connectClient(kind, mcpUrl(server.url, kind)));
        }

        let phase: Outcome["phase"] = "up";
        let running = true;
        const outcomes: Outcome[] = [];
        const load = clients.map(async (client, index) => {
          while (running) {
            const started = Date.now();
            const current = phase;
            let ok = false;
            let text = "";
            try {
              const result = await client.callTool(
                { name: "execute_query", arguments: { query: "SELECT count() AS n FROM t" } },
                undefined,
                { timeout: 30_000 },
              );
              text = textOf(result);
              ok = result.isError !== true && structuredOf(result).includes(`"n":"${ROWS}"`);
            } catch (error) {
              text = `protocol error: ${String(error)}`;
            }
            shown.add(text);
            outcomes.push({ client: index, phase: current, ok, text, ms: Date.now() - started });
            if (!ok) await new Promise((resolve) => setTimeout(resolve, 20));
          }
        });
        const since = (p: Outcome["phase"], from: number) =>
          outcomes.slice(from).filter((o) => o.phase === p);
        const everyClient = (list: Outcome[], ok: boolean) =>
          clients.every((_c, i) => list.some((o) => o.client === i && o.ok === ok));

        const health = async () => {
          const response = await fetch(`${server.url}/health`);
          const body = await response.text();
          shown.add(body);
          return { status: response.status, body: JSON.parse(body) as Record<string, unknown> };
        };

        let downCalls = 0;
        let slowestFailureMs = 0;
        let recoveryMs = 0;
        try {
          await waitUntil(() => everyClient(outcomes, true), "every client has succeeded once");
          expect((await health()).status).toBe(200);

          for (let outage = 0; outage < OUTAGES; outage++) {
            const mark = outcomes.length;
            phase = "down";
            await owned.current.stop();
            // Every client sees the failure, and keeps seeing it while ClickHouse is away.
            await waitUntil(() => everyClient(since("down", mark), false), "every client has failed", 20_000);
            await new Promise((resolve) => setTimeout(resolve, STRESS ? 2_000 : 500));
            const down = await health();
            expect(down.status).toBe(503);
            expect(down.body).toMatchObject({
              status: "error",
              clickhouse: "unavailable",
              reason: "CONNECT_FAILED",
            });
            expect((await fetch(`${server.url}/livez`)).status).toBe(200);

            const backMark = outcomes.length;
            phase = "back";
            const restartedAt = Date.now();
            owned.current = await start({ users: [admin], dataDir, httpPort, tcpPort });
            await waitUntil(
              () => everyClient(since("back", backMark), true),
              "every client has succeeded again",
              30_000,
            );
            recoveryMs = Math.max(recoveryMs, Date.now() - restartedAt);
            // Once a client has had its first success, it has nothing but successes.
            await waitUntil(
              () => since("back", backMark).length >= clients.length * 10,
              "more calls after recovery",
            );
            for (let i = 0; i < clients.length; i++) {
              const mine = since("back", backMark).filter((o) => o.client === i);
              const first = mine.findIndex((o) => o.ok);
              expect(
                mine
                  .slice(first)
                  .filter((o) => !o.ok)
                  .map((o) => o.text),
              ).toEqual([]);
            }
            const up = await health();
            expect(up.status).toBe(200);
            expect(up.body).toMatchObject({ status: "ok", clickhouse: "ok" });

            const failures = outcomes.slice(mark).filter((o) => o.phase === "down" && !o.ok);
            downCalls += failures.length;
            slowestFailureMs = Math.max(slowestFailureMs, ...failures.map((o) => o.ms));
            for (const failure of failures) {
              // A tool error the model can act on, never a protocol failure or a hang.
              expect(failure.text).toMatch(/^Error (CONNECT_FAILED|QUERY_FAILED|QUERY_CANCELLED)\b/);
            }
          }
        } finally {
          running = false;
          await Promise.all(load);
          for (const client of clients) await client.close();
        }
        expect(slowestFailureMs).toBeLessThan(FAIL_FAST_MS);
        const errors = [...new Set(outcomes.filter((o) => !o.ok).map((o) => o.text.replace(/\d+/g, "N")))];
        reportFigures("ClickHouse outage", {
          outages: OUTAGES,
          clients: clients.length,
          calls: outcomes.length,
          "failed while down": downCalls,
          "slowest failure ms": slowestFailureMs,
          "recovery after restart ms": recoveryMs,
          "distinct errors": errors.length,
        });
        console.log(
          `[reliability] errors seen while ClickHouse was away: ${errors.join(" | ").slice(0, 600)}`,
        );
      } finally {
        await owned.current.stop();
      }
    },
    timeoutFor(scale(60_000, 240_000)),
  );
});

describe("clients that vanish mid-query", () => {
  it(
    `leave no query running on ClickHouse (${DISCONNECTS} SSE streams and ${DISCONNECTS} HTTP requests cut)`,
    async () => {
      const server = await startTestServer();
      servers.push(server);
      // Long enough to be certainly still running when its client goes; one thread to spare the CPU.
      const slowQuery = (marker: string) =>
        `SELECT count() FROM numbers(100000000000000) WHERE NOT ignore('${marker}')`;
      const call = (id: string, marker: string) =>
        toolCallMessage(id, "execute_query", { query: slowQuery(marker), settings: { max_threads: 1 } });

      const cutSse = async (i: number) => {
        const marker = unique(`vanish_sse_${i}`);
        const session = await RawSseSession.open(mcpUrl(server.url, "sse", await server.mint()));
        const response = await session.post(call(`q${i}`, marker));
        expect(response.status).toBe(202);
        await waitUntil(async () => (await runningWith(marker)) === 1, `${marker} runs on ClickHouse`);
        session.close();
        return waitUntil(
          async () => (await runningWith(marker)) === 0,
          `${marker} is gone from system.processes`,
        );
      };
      const cutHttp = async (i: number) => {
        const marker = unique(`vanish_http_${i}`);
        const abort = new AbortController();
        const pending = postMcp(
          mcpUrl(server.url, "http", await server.mint()),
          call(`h${i}`, marker),
          {},
          abort.signal,
        );
        pending.catch(() => {});
        await waitUntil(async () => (await runningWith(marker)) === 1, `${marker} runs on ClickHouse`);
        abort.abort();
        return waitUntil(
          async () => (await runningWith(marker)) === 0,
          `${marker} is gone from system.processes`,
        );
      };

      const started = Date.now();
      // A few at a time: each one burns a core on ClickHouse until it is killed.
      const killMs: number[] = [];
      for (let i = 0; i < DISCONNECTS; i += 2) {
        killMs.push(...(await Promise.all([cutSse(i), cutHttp(i), cutSse(i + 1), cutHttp(i + 1)])));
      }
      expect((await fetch(`${server.url}/livez`)).status).toBe(200);
      // Each call is counted as cancelled once its handler has seen the kill through.
      const cancelled = () =>
        server.metrics
          .render()
          .split("\n")
          .filter((line) => line.startsWith("mcp_tool_calls_total{") && line.includes('outcome="cancelled"'))
          .reduce((n, line) => n + Number(line.split(" ").at(-1)), 0);
      await waitUntil(() => cancelled() >= DISCONNECTS * 2, "every call is counted as cancelled");
      expect(cancelled()).toBe(DISCONNECTS * 2);
      reportFigures("vanishing clients", {
        "SSE streams cut": DISCONNECTS,
        "HTTP requests cut": DISCONNECTS,
        "queries left running": 0,
        "slowest kill ms": Math.max(...killMs),
        seconds: ((Date.now() - started) / 1000).toFixed(1),
      });
    },
    timeoutFor(scale(30_000, 120_000)),
  );
});

describe("secrets", () => {
  it("none in the logs or in what clients were shown", () => {
    expectNoSecrets(
      "a server log",
      servers.map((s) => s.logText()),
    );
    expectNoSecrets("an answer", shown.all());
  });
});
