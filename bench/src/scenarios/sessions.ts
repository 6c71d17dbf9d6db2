import * as http from "node:http";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { CALL_TIMEOUT_MS, connectClient, executeQuery } from "../mcp-clients.js";
import { errorText, type LatencyResult, measureLatency } from "../measure.js";
import type { Plan } from "../plan.js";
import { settledRss } from "../processes.js";
import { diffHeapSnapshots, summarizeHeapSnapshot, takeHeapSnapshot } from "../profile.js";
import { fmtBytes, fmtMs, type ScenarioReport, type Table } from "../report.js";
import { type BenchEnv, benchClaims, mint, serverBuilt, startBinaryServer, stopProcess } from "../setup.js";
import { type HeldSession, openHeldSession } from "../sse-session.js";

export interface SessionStage {
  sessions: number;
  /** The server's own count (mcp_sse_sessions_open), the measuring client's session included. */
  serverCount?: number;
  /** server RSS, bytes (median of readings over ~1 s) */
  rss: number;
  rssPerSession?: number;
  openMs?: number;
  latency: LatencyResult[];
}

export interface SessionsData {
  stages: SessionStage[];
  rssAfterClose?: number;
  serverCountAfterClose?: number;
  skipped?: string;
}

async function openSessionsGauge(url: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const value = /^mcp_sse_sessions_open (\d+)$/m.exec(text)?.[1];
    return value === undefined ? undefined : Number(value);
  } catch {
    return undefined;
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

export async function runSessionsScenario(
  env: BenchEnv,
  plan: Plan,
): Promise<ScenarioReport & { data: SessionsData }> {
  const started = performance.now();
  const notBuilt = serverBuilt();
  if (notBuilt) {
    return {
      name: "sessions",
      durationMs: 0,
      skipped: [notBuilt],
      data: { stages: [], skipped: notBuilt },
      tables: [
        { title: "4. SSE sessions", columns: ["Sessions", "Result"], rows: [["–", `skipped: ${notBuilt}`]] },
      ],
    };
  }
  const most = Math.max(...plan.sessions.counts);
  // A fresh server, so its memory is that of the sessions; room for the measuring client's own session.
  const server = await startBinaryServer(
    env,
    "server-sessions",
    [`--max-sse-sessions=${most + 10}`, `--max-sse-sessions-per-token=${most + 10}`],
    { heapSnapshots: true },
  );
  const tables: Table[] = [];
  const snapshotDir = env.profileDir ? path.join(env.profileDir, "server-sessions") : undefined;
  let snapshotBaseline: string | undefined;
  const base = new URL(server.url);
  const postAgent = new http.Agent({ keepAlive: true, maxSockets: plan.sessions.openConcurrency });
  const held: HeldSession[] = [];
  const stages: SessionStage[] = [];
  const probeToken = await mint(env, benchClaims(env));
  const httpClient = await connectClient(`${server.url}/${probeToken}/mcp`, "http");
  const sseClient = await connectClient(`${server.url}/${probeToken}/sse`, "sse");
  const variants = [
    { name: "b.http", call: async () => void (await executeQuery(httpClient, "SELECT 1 AS one")) },
    { name: "b.sse", call: async () => void (await executeQuery(sseClient, "SELECT 1 AS one")) },
  ];
  const measure = () =>
    measureLatency(variants, {
      warmup: 5,
      blocks: plan.quick ? 2 : 5,
      perBlock: Math.max(1, Math.round(plan.sessions.latencyCalls / (plan.quick ? 2 : 5))),
      deadline: performance.now() + 60_000,
      callTimeoutMs: CALL_TIMEOUT_MS,
    });
  try {
    // Warm the server's code paths, including opening and initializing a session.
    await measure();
    const warm = await openHeldSession(
      base,
      await mint(env, benchClaims(env), { jti: "warm-up" }),
      postAgent,
      10_000,
    );
    warm.close();
    await delay(300);
    const baseline = await settledRss(server.proc.pid, 1_000);
    stages.push({
      sessions: 0,
      rss: baseline,
      latency: await measure(),
      ...optional("serverCount", await openSessionsGauge(server.url)),
    });
    if (snapshotDir) snapshotBaseline = await takeHeapSnapshot(server.proc.pid, snapshotDir);

    // Distinct tokens, as from distinct users (same ClickHouse connection, so one pooled client).
    const tokens = await Promise.all(
      Array.from({ length: most }, (_, i) => mint(env, benchClaims(env), { jti: `session-${i}` })),
    );
    for (const target of plan.sessions.counts) {
      const openStarted = performance.now();
      while (held.length < target) {
        const batch = Math.min(plan.sessions.openConcurrency, target - held.length);
        const opened = await Promise.all(
          Array.from({ length: batch }, (_, i) =>
            openHeldSession(base, tokens[held.length + i] as string, postAgent, 15_000).catch((error) => {
              throw new Error(
                `opening SSE session ${held.length + i + 1} of ${target} failed: ${errorText(error)}; ` +
                  `server log: ${server.proc.logTail(600)}`,
              );
            }),
          ),
        );
        held.push(...opened);
      }
      const openMs = performance.now() - openStarted;
      await delay(500);
      const rss = await settledRss(server.proc.pid, 1_000);
      stages.push({
        sessions: target,
        rss,
        rssPerSession: (rss - baseline) / target,
        openMs,
        latency: await measure(),
        ...optional("serverCount", await openSessionsGauge(server.url)),
      });
      if (snapshotDir && target === most) {
        const snapshot = await takeHeapSnapshot(server.proc.pid, snapshotDir);
        if (snapshot) tables.push(summarizeHeapSnapshot(snapshot, `server with ${target} open SSE sessions`));
      }
    }
  } finally {
    for (const session of held) session.close();
    await httpClient.close().catch(() => {});
    await sseClient.close().catch(() => {});
    postAgent.destroy();
  }
  await delay(1_500);
  const rssAfterClose = await settledRss(server.proc.pid, 600);
  const serverCountAfterClose = await openSessionsGauge(server.url);
  if (snapshotDir && snapshotBaseline) {
    const snapshot = await takeHeapSnapshot(server.proc.pid, snapshotDir);
    if (snapshot) {
      tables.push(
        diffHeapSnapshots(snapshotBaseline, snapshot, "server, before opening → after closing every session"),
      );
    }
  }
  await stopProcess(env, server.proc);

  const data: SessionsData = {
    stages,
    rssAfterClose,
    ...optional("serverCountAfterClose", serverCountAfterClose),
  };
  const latencyCells = (stage: SessionStage, name: string) => {
    const r = stage.latency.find((l) => l.name === name);
    return r?.skipped ? [`skipped: ${r.skipped}`, ""] : [fmtMs(r?.summary?.median), fmtMs(r?.summary?.p99)];
  };
  return {
    name: "sessions",
    durationMs: performance.now() - started,
    skipped: [],
    data,
    tables: [
      {
        title: "4. Open SSE sessions (initialized, idle): server RSS and a query's latency meanwhile",
        columns: [
          "Open sessions",
          "server's count",
          "Server RSS",
          "RSS growth",
          "per session",
          "time to open",
          "b.http median ms",
          "p99",
          "b.sse median ms",
          "p99",
        ],
        rows: stages.map((stage) => [
          String(stage.sessions),
          stage.serverCount === undefined ? "?" : String(stage.serverCount),
          fmtBytes(stage.rss),
          fmtBytes(stage.rss - (stages[0]?.rss ?? stage.rss)),
          fmtBytes(stage.rssPerSession),
          stage.openMs === undefined ? "–" : `${fmtMs(stage.openMs)} ms`,
          ...latencyCells(stage, "b.http"),
          ...latencyCells(stage, "b.sse"),
        ]),
        notes: [
          `A fresh server process; each session is opened with its own token, initialized, then left idle. ` +
            `After closing them all (1.5 s later): RSS ${fmtBytes(rssAfterClose)}, the server counts ` +
            `${serverCountAfterClose ?? "?"} open. "server's count" includes the measuring SSE client's own session.`,
        ],
      },
      ...tables,
    ],
  };
}
