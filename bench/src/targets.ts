import { fmtBytes, fmtMs, fmtRatio, type TargetCheck } from "./report.js";
import type { BigData } from "./scenarios/big-result.js";
import { medianOf, type OneQueryData } from "./scenarios/one-query.js";
import type { SessionsData } from "./scenarios/sessions.js";
import { lateGrowth, type TenantsData } from "./scenarios/tenants.js";
import type { TokenData } from "./scenarios/token.js";

export interface AllData {
  token?: TokenData;
  query?: OneQueryData;
  tenants?: TenantsData;
  sessions?: SessionsData;
  big?: BigData;
}

const MB = 1024 * 1024;
/** What "flat" and "no growth" mean here, fixed before looking at any number. */
export const FLAT_RSS_BYTES = 10 * MB;

function check(target: string, measured: string, ok: boolean | undefined): TargetCheck {
  return { target, measured, status: ok === undefined ? "not measured" : ok ? "met" : "missed" };
}

export function evaluateTargets(data: AllData, quick: boolean): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const q = data.query;
  const both = (key: string) => [q?.ratios[`select1: ${key}`], q?.ratios[`demo: ${key}`]] as const;
  const shown = (values: readonly (number | undefined)[]) =>
    `SELECT 1 ${fmtRatio(values[0])}, demo ${fmtRatio(values[1])}`;
  const all = (values: readonly (number | undefined)[], ok: (v: number) => boolean) =>
    values.some((v) => v === undefined) ? undefined : values.every((v) => ok(v as number));

  const bd = both("(b)/(d) http");
  checks.push(
    check(
      "(b)/(d) ≤ 1.1, Streamable HTTP, concurrency 1 (better below 1.0)",
      shown(bd),
      all(bd, (v) => v <= 1.1),
    ),
  );
  const cbTls = both("(c)/(b) http, TLS");
  checks.push(
    check(
      "(c)/(b) ≥ 2 with TLS to ClickHouse",
      shown(cbTls),
      all(cbTls, (v) => v >= 2),
    ),
  );
  const cb = both("(c)/(b) http");
  checks.push({
    target: "(c)/(b) without TLS (no target)",
    measured: shown(cb),
    status: cb.some((v) => v === undefined) ? "not measured" : "reported",
  });

  const t = data.token;
  checks.push(
    check(
      "warm token check ≥ 50× faster than cold",
      t
        ? `${fmtRatio(t.warmOverCold)} (cold ${t.coldUs.toFixed(1)} µs, warm ${t.warmUs.toFixed(2)} µs)`
        : "–",
      t?.warmOverCold === undefined ? undefined : t.warmOverCold >= 50,
    ),
  );
  const call = q ? medianOf(q, "select1", "b.http") : undefined;
  const share = t && call ? t.warmUs / 1000 / call : undefined;
  checks.push(
    check(
      "warm token check < 2% of a call",
      share === undefined ? "–" : `${(share * 100).toFixed(3)}% of b.http SELECT 1 (${fmtMs(call)} ms)`,
      share === undefined ? undefined : share < 0.02,
    ),
  );

  const s = data.sessions?.stages;
  const base = s?.find((stage) => stage.sessions === 0);
  const thousand = s?.find((stage) => stage.sessions === 1000);
  const largest = s?.at(-1);
  const sessionCost = base && thousand ? thousand.rss - base.rss : undefined;
  let sessionsMeasured = "–";
  if (sessionCost !== undefined) {
    sessionsMeasured = `${fmtBytes(sessionCost)} (${fmtBytes(sessionCost / 1000)} per session)`;
  } else if (base && largest && largest.sessions > 0) {
    sessionsMeasured = `only ${largest.sessions} sessions opened: ${fmtBytes(largest.rss - base.rss)} (${fmtBytes(
      (largest.rss - base.rss) / largest.sessions,
    )} per session)`;
  }
  checks.push(
    check(
      "1000 SSE sessions cost ≤ 50 MB of RSS in total",
      sessionsMeasured,
      sessionCost === undefined ? undefined : sessionCost <= 50 * MB,
    ),
  );

  const rotation = data.tenants?.rotations.find((r) => r.tenants === 10000);
  const growth = rotation ? lateGrowth(rotation) : undefined;
  const partial =
    rotation && rotation.distinctUsed < rotation.tenants ? `; rotation cut at ${rotation.distinctUsed}` : "";
  checks.push(
    check(
      `10000 tenants keep RSS flat once the pool is full (growth over the last 3/4 of the rotation < ${fmtBytes(FLAT_RSS_BYTES)})`,
      growth === undefined
        ? "–"
        : `RSS ${fmtBytes(growth.rss)}, heap ${fmtBytes(growth.heap)}; pool max ${rotation?.maxPoolSize}${partial}`,
      growth === undefined ? undefined : growth.rss < FLAT_RSS_BYTES,
    ),
  );

  const b = data.big;
  if (b?.calls?.length) {
    const growthBig = b.peakRss - b.baselineRss;
    const gone = b.calls.every((c) => c.gone);
    const capped = b.calls.every((c) => c.truncated && c.rows === 500);
    const size = `${(b.tableRows / 1e6).toFixed(0)}M rows${quick && b.tableRows < 50e6 ? " (--quick: smaller table)" : ""}`;
    checks.push(
      check(
        `capped answer from a 50M-row table < 200 ms with no RSS growth (peak growth < ${fmtBytes(FLAT_RSS_BYTES)}), query gone`,
        `median ${fmtMs(b.time.median)} ms, max ${fmtMs(b.time.max)} ms, peak RSS ${fmtBytes(growthBig)}, gone ${gone ? "yes" : "no"}, capped ${capped ? "yes" : "no"}; ${size}`,
        b.time.median < 200 && growthBig < FLAT_RSS_BYTES && gone && capped,
      ),
    );
  } else {
    checks.push(check("capped answer from a 50M-row table < 200 ms with no RSS growth", "–", undefined));
  }
  return checks;
}
