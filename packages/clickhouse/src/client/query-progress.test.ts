// Live progress (QueryOptions.onProgress) against the run's embedded ClickHouse, over both
// protocols: the native protocol's Progress packets, and over HTTP polls of system.processes.
import { setTimeout as sleep } from "node:timers/promises";
import { adminClient, harness, runningQueries, useTestDatabase } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
import type { Protocol } from "../connection/ports.js";
import {
  type ClickHousePool,
  createClickHousePool,
  DatabaseError,
  type QueryOptions,
  type QueryProgress,
} from "../index.js";
import { MIN_REPORT_INTERVAL_MS } from "./progress-reporter.js";

let pool: ClickHousePool;

beforeAll(() => {
  pool = createClickHousePool();
});

afterAll(async () => {
  await pool.close();
});

// ~2 s without burning CPU: 100-row blocks, each slept on for 0.1 s, read one after the other.
const SLOW_ROWS = 2_000;
const SLOW = `SELECT sum(sleepEachRow(0.001)) AS s FROM numbers(${SLOW_ROWS})`;
const SLOW_SETTINGS = {
  settings: { max_block_size: 100, max_threads: 1 },
  allowedSettings: ["max_block_size", "max_threads"],
};
// Long enough for a late report to show up, had reporting not stopped.
const AFTERWARDS_MS = 700;

type User = "admin" | "oneDb";

function query(protocol: Protocol, user: User, sql: string, options: Partial<QueryOptions> = {}) {
  const h = harness();
  const claims: ConnectionClaims = {
    host: h.host,
    port: protocol === "tcp" ? h.tcpPort : h.httpPort,
    protocol,
    ...h.users[user],
  };
  return pool.withClient(claims, (client) => client.executeQuery(sql, { readOnly: true, ...options }));
}

function recorder() {
  const reports: QueryProgress[] = [];
  return { reports, onProgress: (progress: QueryProgress) => void reports.push(progress) };
}

/** Strictly more rows each time, never past the end, at least the minimum interval apart. */
function expectLiveProgress(reports: QueryProgress[], totalRows: number): void {
  expect(reports.length).toBeGreaterThanOrEqual(2);
  reports.forEach((report, i) => {
    expect(report.rowsRead).toBeGreaterThan(0);
    expect(report.rowsRead).toBeLessThanOrEqual(totalRows);
    expect(report.bytesRead).toBeGreaterThan(0);
    expect(report.totalRowsToRead).toBe(totalRows);
    const previous = reports[i - 1];
    if (previous) {
      expect(report.rowsRead).toBeGreaterThan(previous.rowsRead);
      expect(report.bytesRead).toBeGreaterThanOrEqual(previous.bytesRead);
      // elapsedMs is rounded: 1 ms of slack.
      expect(report.elapsedMs - previous.elapsedMs).toBeGreaterThanOrEqual(MIN_REPORT_INTERVAL_MS - 1);
    }
  });
}

describe.each(["http", "tcp"] as const)("progress over %s", (protocol) => {
  const id = (name: string) => `${protocol}-progress-${name}-${Date.now()}`;

  it("reports growing totals while the query runs, and nothing once it has returned", async () => {
    const { reports, onProgress } = recorder();
    const result = await query(protocol, "admin", SLOW, {
      ...SLOW_SETTINGS,
      queryId: id("read"),
      onProgress,
    });
    const reported = reports.length;
    expect(result.rowCount).toBe(1);
    expectLiveProgress(reports, SLOW_ROWS);
    // Both are rounded, and the call starts a moment before the run: 1 ms of slack.
    expect(reports.at(-1)?.elapsedMs).toBeLessThanOrEqual(result.statistics.elapsedMs + 1);
    await sleep(AFTERWARDS_MS);
    expect(reports).toHaveLength(reported);
  });

  it("a query cancelled from inside the callback stops reporting and leaves nothing running", async () => {
    const controller = new AbortController();
    const queryId = id("cancel");
    const reports: QueryProgress[] = [];
    const error = await query(protocol, "admin", SLOW, {
      ...SLOW_SETTINGS,
      queryId,
      signal: controller.signal,
      onProgress: (progress) => {
        reports.push(progress);
        controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: "QUERY_CANCELLED" });
    expect(reports).toHaveLength(1);
    expect(await runningQueries(queryId)).toBe(0);
    await sleep(AFTERWARDS_MS);
    expect(reports).toHaveLength(1);
  });

  it("reports the progress of a write (INSERT … SELECT)", async () => {
    await using db = await useTestDatabase();
    await db.client.command({ query: "CREATE TABLE t (x UInt8) ENGINE = Memory" });
    const { reports, onProgress } = recorder();
    await query(
      protocol,
      "admin",
      `INSERT INTO ${db.name}.t SELECT sleepEachRow(0.001) FROM numbers(${SLOW_ROWS})`,
      { ...SLOW_SETTINGS, readOnly: false, onProgress },
    );
    expectLiveProgress(reports, SLOW_ROWS);
  });
});

describe("progress over http: polls of system.processes", () => {
  /** The polls the server has logged for this query (each runs as `<queryId>-progress-<n>`). */
  async function loggedPolls(queryId: string): Promise<{ query_id: string; type: string }[]> {
    const admin = adminClient();
    try {
      const result = await admin.query({
        query: `SELECT query_id, toString(type) AS type FROM system.query_log
                WHERE startsWith(query_id, {prefix:String}) ORDER BY event_time_microseconds`,
        query_params: { prefix: `${queryId}-progress-` },
        format: "JSONEachRow",
      });
      return await result.json();
    } finally {
      await admin.close();
    }
  }

  it("run only when asked, and end at the first refusal: a user who may not read system.processes gets no progress, and the query its result", async () => {
    const stamp = Date.now();
    const polled = `http-polled-${stamp}`;
    const unpolled = `http-unpolled-${stamp}`;
    const refused = `http-refused-${stamp}`;
    const polledProgress = recorder();
    const refusedProgress = recorder();
    const [, , refusedResult] = await Promise.all([
      query("http", "admin", SLOW, {
        ...SLOW_SETTINGS,
        queryId: polled,
        onProgress: polledProgress.onProgress,
      }),
      query("http", "admin", SLOW, { ...SLOW_SETTINGS, queryId: unpolled }),
      // oneDb is granted only its own database: system.processes is refused.
      query("http", "oneDb", SLOW, {
        ...SLOW_SETTINGS,
        queryId: refused,
        onProgress: refusedProgress.onProgress,
      }),
    ]);
    expect(polledProgress.reports.length).toBeGreaterThanOrEqual(2);
    expect(refusedProgress.reports).toEqual([]);
    expect(refusedResult.rowCount).toBe(1);

    const admin = adminClient();
    try {
      await admin.command({ query: "SYSTEM FLUSH LOGS" });
    } finally {
      await admin.close();
    }
    expect(await loggedPolls(unpolled)).toEqual([]);
    expect(await loggedPolls(refused)).toEqual([
      { query_id: `${refused}-progress-1`, type: "ExceptionBeforeStart" },
    ]);
    // Each report comes from a poll that finished (one stopped under way may end otherwise).
    const finished = (await loggedPolls(polled)).filter((poll) => poll.type === "QueryFinish");
    expect(finished.length).toBeGreaterThanOrEqual(polledProgress.reports.length);
  });
});
