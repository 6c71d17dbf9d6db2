import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { connectClient, executeQuery } from "../mcp-clients.js";
import { withTimeout } from "../measure.js";
import type { Plan } from "../plan.js";
import { processMemory, sampleRss, settledRss } from "../processes.js";
import { diffHeapSnapshots, takeHeapSnapshot } from "../profile.js";
import { fmtBytes, fmtMs, type ScenarioReport, type Table } from "../report.js";
import { type BenchEnv, benchClaims, mint, serverBuilt, startBinaryServer, stopProcess } from "../setup.js";
import { type Summary, summarize } from "../stats.js";

export interface BigCall {
  ms: number;
  rows: number;
  truncated: boolean;
  peakRss: number;
  /** RSS right after the answer */
  rssAfterCall: number;
  /** No query of the bench user was left in system.processes right after the answer. */
  gone: boolean;
  queryId?: string;
}

export interface BigData {
  tableRows: number;
  createMs: number;
  baselineRss: number;
  rssAfter: number;
  calls: BigCall[];
  time: Summary;
  peakRss: number;
  rawLimitMs: Summary;
  skipped?: string;
}

const TABLE = "bench.big";

export async function runBigResultScenario(
  env: BenchEnv,
  plan: Plan,
): Promise<ScenarioReport & { data: BigData }> {
  const started = performance.now();
  const notBuilt = serverBuilt();
  if (notBuilt) {
    return {
      name: "big-result",
      durationMs: 0,
      skipped: [notBuilt],
      data: { skipped: notBuilt } as BigData,
      tables: [
        { title: "5. Big result", columns: ["Step", "Result"], rows: [["–", `skipped: ${notBuilt}`]] },
      ],
    };
  }
  const rows = plan.big.rows;
  const createStarted = performance.now();
  await env.admin.command({ query: "CREATE DATABASE IF NOT EXISTS bench" });
  await env.admin.command({ query: `DROP TABLE IF EXISTS ${TABLE} SYNC` });
  await env.admin.command({
    query: `CREATE TABLE ${TABLE} (id UInt64, name String, value Float64, day Date) ENGINE = MergeTree ORDER BY id`,
  });
  await env.admin.command({
    query:
      `INSERT INTO ${TABLE} SELECT number, concat('row-', toString(number)), number / 7, ` +
      `toDate('2024-01-01') + number % 366 FROM numbers(${rows})`,
    clickhouse_settings: { max_insert_threads: "2" },
  });
  const createMs = performance.now() - createStarted;

  const server = await startBinaryServer(env, "server-big", [], { heapSnapshots: true });
  const profileDir = env.profileDir ? path.join(env.profileDir, "server-big") : undefined;
  const tables: Table[] = [];
  let snapshotBefore: string | undefined;
  const client = await connectClient(`${server.url}/${await mint(env, benchClaims(env))}/mcp`, "http");
  const benchUserQueries = async () => {
    const result = await env.admin.query({
      query: "SELECT count() AS n FROM system.processes WHERE user = {user:String}",
      query_params: { user: env.user.name },
      format: "JSONEachRow",
    });
    return Number(((await result.json()) as { n: string }[])[0]?.n ?? -1);
  };
  const calls: BigCall[] = [];
  let baselineRss = 0;
  let rssAfter = 0;
  const rawLimitMs: number[] = [];
  try {
    // Warm the capped path on an endless table, so the first measured call is not also the first capped one.
    for (let i = 0; i < 3; i++) await executeQuery(client, "SELECT * FROM system.numbers");
    for (let i = 0; i < 10; i++) await executeQuery(client, "SELECT 1");
    // One unmeasured call of the query itself: its first run also loads code and fills caches.
    await withTimeout(executeQuery(client, `SELECT * FROM ${TABLE}`), 60_000);
    await delay(200);
    if (profileDir) snapshotBefore = await takeHeapSnapshot(server.proc.pid, profileDir);
    baselineRss = await settledRss(server.proc.pid, 1_000);
    for (let i = 0; i < plan.big.calls; i++) {
      const sampler = sampleRss(server.proc.pid, 5);
      const callStarted = performance.now();
      const answer = await withTimeout(executeQuery(client, `SELECT * FROM ${TABLE}`), 60_000);
      const ms = performance.now() - callStarted;
      const peakRss = sampler.stop();
      const rssAfterCall = processMemory(server.proc.pid)?.rss ?? Number.NaN;
      const structured = answer.structured as
        | { rowCount?: number; truncated?: unknown; queryId?: string }
        | undefined;
      const gone = (await benchUserQueries()) === 0;
      calls.push({
        ms,
        rows: structured?.rowCount ?? -1,
        truncated: structured?.truncated !== undefined,
        peakRss,
        rssAfterCall,
        gone,
        ...(structured?.queryId && { queryId: structured.queryId }),
      });
      await delay(200);
      // The floor for the same amount of data: ClickHouse itself stopping at 500 rows.
      const rawStarted = performance.now();
      const raw = await env.admin.query({ query: `SELECT * FROM ${TABLE} LIMIT 500`, format: "JSONEachRow" });
      await raw.json();
      rawLimitMs.push(performance.now() - rawStarted);
    }
    rssAfter = await settledRss(server.proc.pid, 1_000);
    if (profileDir && snapshotBefore) {
      const snapshotAfter = await takeHeapSnapshot(server.proc.pid, profileDir);
      if (snapshotAfter) {
        tables.push(
          diffHeapSnapshots(snapshotBefore, snapshotAfter, `server, over ${plan.big.calls} capped calls`),
        );
      }
    }
  } finally {
    await client.close().catch(() => {});
    await stopProcess(env, server.proc);
    await env.admin.command({ query: `DROP TABLE IF EXISTS ${TABLE} SYNC` }).catch(() => {});
  }
  const data: BigData = {
    tableRows: rows,
    createMs,
    baselineRss,
    rssAfter,
    calls,
    time: summarize(calls.map((c) => c.ms)),
    peakRss: Math.max(...calls.map((c) => c.peakRss)),
    rawLimitMs: summarize(rawLimitMs),
  };
  const goneCount = calls.filter((c) => c.gone).length;
  const capped = calls.filter((c) => c.truncated && c.rows === 500).length;
  return {
    name: "big-result",
    durationMs: performance.now() - started,
    skipped: [],
    data,
    tables: [
      {
        title: `5. Big result: SELECT * FROM a ${(rows / 1e6).toFixed(0)}M-row MergeTree table through our server (default cap 500 rows), Streamable HTTP`,
        columns: ["Measure", "Value"],
        rows: [
          [
            "time to the capped answer, median / p99 / max (ms)",
            `${fmtMs(data.time.median)} / ${fmtMs(data.time.p99)} / ${fmtMs(data.time.max)}`,
          ],
          ["answers capped at exactly 500 rows with `truncated`", `${capped}/${calls.length}`],
          ["server RSS before (after one unmeasured call of the same query)", fmtBytes(baselineRss)],
          [
            "server peak RSS during the calls (sampled every 5 ms)",
            `${fmtBytes(data.peakRss)} (${fmtBytes(data.peakRss - baselineRss)})`,
          ],
          [
            "server RSS right after the first / the last measured call",
            `${fmtBytes(calls[0]?.rssAfterCall)} / ${fmtBytes(calls.at(-1)?.rssAfterCall)}`,
          ],
          ["server RSS after (settled)", `${fmtBytes(rssAfter)} (${fmtBytes(rssAfter - baselineRss)})`],
          ["query gone from system.processes right after the answer", `${goneCount}/${calls.length}`],
          ["floor: raw client `SELECT * … LIMIT 500`, median (ms)", fmtMs(data.rawLimitMs.median)],
          ["table creation (not part of any measure)", `${fmtMs(createMs)} ms`],
        ],
      },
      ...tables,
    ],
  };
}
