import type { LatencyResult } from "../measure.js";
import type { Plan } from "../plan.js";
import { fmtMs, fmtRate, fmtRatio, type Table } from "../report.js";
import { type OneQueryData, type QueryName, RATIOS, VARIANTS } from "./one-query-variants.js";

/** A warning when (b) and the floor it is held against spoke different protocol revisions. */
function eraNote(data: OneQueryData): string[] {
  const ours = data.protocols["b.http"];
  const floor = data.protocols.d;
  if (!ours || !floor || ours === floor) return [];
  return [
    `b.http negotiated ${ours} and d ${floor}: (b)/(d) Streamable HTTP also measures the difference between ` +
      "the two revisions (d.2025 / d shows what the 2025 path costs the floor itself) until our server serves the same one.",
  ];
}

/** The one-query scenario's report: latency, ratios and throughput tables. */
export function oneQueryTables(plan: Plan, data: OneQueryData): Table[] {
  const { latency, throughput } = data;
  const describe = new Map(VARIANTS.map((s) => [s.name, s.what]));
  const latencyTable: Table = {
    title: "2. One query, concurrency 1: latency (ms)",
    columns: ["Variant", "What", "Protocol", "SELECT 1 median", "p99", "n", "demo query median", "p99", "n"],
    rows: VARIANTS.map((spec) => {
      const a = latency.select1.find((r) => r.name === spec.name);
      const b = latency.demo.find((r) => r.name === spec.name);
      const protocol = data.protocols[spec.name] ?? "";
      if (a?.skipped) return [spec.name, spec.what, protocol, `skipped: ${a.skipped}`, "", "", "", "", ""];
      const cells = (r: LatencyResult | undefined) =>
        r?.skipped
          ? [`skipped: ${r.skipped}`, "", ""]
          : [
              fmtMs(r?.summary?.median),
              fmtMs(r?.summary?.p99),
              `${r?.summary?.n ?? 0}${r && r.errors > 0 ? ` (${r.errors} errors: ${r.firstError})` : ""}`,
            ];
      return [spec.name, describe.get(spec.name) ?? "", protocol, ...cells(a), ...cells(b)];
    }),
    notes: [
      `Blocks of ${plan.latency.perBlock} calls per variant, ${plan.latency.blocks} blocks interleaved in rotating ` +
        `order after ${plan.latency.warmup} warm-up calls each. Every answer's row count is checked. demo query: ` +
        "a join + GROUP BY over demo.orders (2000 rows) and demo.products. In-process c.* variants have no MCP hop.",
      "Protocol: the revision the variant's client negotiated. The v2 client (`http`) sends server/discover with " +
        "2026-07-28 first and falls back to the 2025 initialize handshake; the v1 client (d.2025, b.sse) only " +
        "knows the latter.",
    ],
  };
  const ratioTable: Table = {
    title: "2. Ratios (concurrency 1)",
    columns: [
      "Ratio",
      "SELECT 1",
      "per block: min / median / max",
      "demo query",
      "per block: min / median / max",
    ],
    rows: RATIOS.map(({ label, key }) => {
      const spread = (query: QueryName) => {
        const r = data.blockRatios[`${query}: ${key}`];
        return r ? `${r.min.toFixed(2)} / ${r.median.toFixed(2)} / ${r.max.toFixed(2)}` : "–";
      };
      return [
        label,
        fmtRatio(data.ratios[`select1: ${key}`]),
        spread("select1"),
        fmtRatio(data.ratios[`demo: ${key}`]),
        spread("demo"),
      ];
    }),
    notes: [
      "Ratio of the overall medians; beside it the same ratio computed block by block (both variants of a block " +
        "ran within seconds of each other), whose spread shows how much the machine's noise moves it.",
      ...eraNote(data),
    ],
  };
  const throughputTable: Table = {
    title: "2. Throughput, SELECT 1 (calls/s)",
    columns: ["Variant", ...plan.throughput.concurrency.map((c) => `concurrency ${c}`)],
    rows: VARIANTS.filter((spec) => spec.name !== "b.host").map((spec) => {
      const t = throughput.find((r) => r.name === spec.name);
      if (!t || t.skipped)
        return [
          spec.name,
          `skipped: ${t?.skipped ?? "not run"}`,
          ...plan.throughput.concurrency.slice(1).map(() => ""),
        ];
      return [
        spec.name,
        ...plan.throughput.concurrency.map((c) => {
          const entry = t.perConcurrency.find((p) => p.concurrency === c);
          return entry
            ? `${fmtRate(entry.callsPerSecond)}${entry.errors ? ` (${entry.errors} errors)` : ""}`
            : "–";
        }),
      ];
    }),
    notes: [
      `${plan.throughput.rounds} round(s) of ${plan.throughput.durationMs} ms per variant and concurrency, interleaved; ` +
        "median over rounds. Our pool and @clickhouse/client both open at most 10 sockets per connection by default.",
    ],
  };
  return [latencyTable, ratioTable, throughputTable];
}
