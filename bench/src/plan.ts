/** How much of each scenario to run: `--quick` (CI, under a minute) or the full run (under 10 minutes). */
export interface Plan {
  quick: boolean;
  token: { blocks: number; blockMs: number; warmupMs: number };
  latency: { warmup: number; blocks: number; perBlock: number; budgetMs: number };
  throughput: { concurrency: number[]; rounds: number; durationMs: number; budgetMs: number };
  tenants: {
    counts: number[];
    concurrency: number;
    minDurationMs: number;
    maxDurationMs: number;
    newTenantSamples: number;
    prewarmUsers: number;
  };
  sessions: { counts: number[]; latencyCalls: number; openConcurrency: number };
  big: { rows: number; calls: number };
}

export function makePlan(quick: boolean): Plan {
  if (quick) {
    return {
      quick,
      token: { blocks: 3, blockMs: 100, warmupMs: 100 },
      latency: { warmup: 3, blocks: 2, perBlock: 5, budgetMs: 20_000 },
      throughput: { concurrency: [1, 8, 32], rounds: 1, durationMs: 100, budgetMs: 15_000 },
      tenants: {
        counts: [1, 100, 1000, 10000],
        concurrency: 8,
        minDurationMs: 700,
        maxDurationMs: 1_200,
        newTenantSamples: 10,
        prewarmUsers: 200,
      },
      sessions: { counts: [100, 300], latencyCalls: 10, openConcurrency: 25 },
      big: { rows: 10_000_000, calls: 3 },
    };
  }
  return {
    quick,
    token: { blocks: 5, blockMs: 1_000, warmupMs: 500 },
    latency: { warmup: 20, blocks: 8, perBlock: 25, budgetMs: 150_000 },
    throughput: { concurrency: [1, 8, 32], rounds: 2, durationMs: 1_000, budgetMs: 120_000 },
    tenants: {
      counts: [1, 100, 1000, 10000],
      concurrency: 8,
      minDurationMs: 5_000,
      maxDurationMs: 45_000,
      newTenantSamples: 50,
      prewarmUsers: 1000,
    },
    sessions: { counts: [100, 1000], latencyCalls: 100, openConcurrency: 25 },
    big: { rows: 50_000_000, calls: 20 },
  };
}
