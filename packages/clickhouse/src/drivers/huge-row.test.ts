// One huge row, and hosts that never stop sending: the byte cap must cut the result while it
// streams, so that a call's memory stays a small multiple of the cap (HTTP and native TCP).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { harness, runningQueries } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
import { type ClickHousePool, createClickHousePool, type QueryOptions } from "../index.js";
import { peakMemoryGrowth } from "./test-support/peak-memory.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MiB = 1024 * 1024;
const CAP = 16 * MiB;
// One row of ~290 MB: 1.5 million strings of ~200 characters in one array.
const HUGE_ROW = "SELECT groupArray(repeat(toString(number), 30)) AS a FROM numbers(1500000)";
// What the rest of a call may cost whatever the result: the JS values of what fits, sockets, parsers.
const CONSTANT = 96 * MiB;

let pool: ClickHousePool;

beforeAll(() => {
  pool = createClickHousePool();
});

afterAll(async () => {
  await pool.close();
});

type Protocol = "tcp" | "http";

function claims(protocol: Protocol): ConnectionClaims {
  const h = harness();
  return { host: h.host, port: protocol === "tcp" ? h.tcpPort : h.httpPort, protocol, ...h.users.admin };
}

function query(protocol: Protocol, sql: string, options: Partial<QueryOptions> = {}) {
  return pool.withClient(claims(protocol), (client) =>
    client.executeQuery(sql, { readOnly: true, ...options }),
  );
}

/** Peak memory growth during fn, after a full collection so the baseline is honest. */
async function peakGrowth<T>(fn: () => Promise<T>) {
  gc();
  return peakMemoryGrowth(fn);
}

const running = runningQueries;

describe.each(["tcp", "http"] as const)("one huge row over %s", (protocol) => {
  it("is cut by bytes while it streams: memory stays a small multiple of the cap", async () => {
    const queryId = `huge-row-${protocol}-${Date.now()}`;
    const started = performance.now();
    const {
      value: result,
      rss,
      js,
    } = await peakGrowth(() => query(protocol, HUGE_ROW, { maxBytes: CAP, queryId }));
    const elapsed = performance.now() - started;
    console.log(
      `huge row over ${protocol}: peak RSS +${(rss / MiB).toFixed(0)} MiB, JS +${(js / MiB).toFixed(0)} MiB, ${elapsed.toFixed(0)} ms`,
    );
    expect(result.rowCount).toBe(0);
    expect(result.truncated).toEqual({ reason: "bytes", limit: CAP });
    expect(rss).toBeLessThan(8 * CAP + CONSTANT);
    expect(js).toBeLessThan(8 * CAP + CONSTANT);
    expect(await running(queryId)).toBe(0);
  }, 30_000);
});
