import { type Summary, summarize } from "./stats.js";

/** One way of doing the thing under test; `call` does it once. */
export interface Variant {
  name: string;
  call: () => Promise<void>;
}

export interface LatencyOptions {
  /** Unmeasured calls per variant before the first block. */
  warmup: number;
  blocks: number;
  /** Sequential calls of one variant per block. */
  perBlock: number;
  /** performance.now() after which no new block starts. */
  deadline: number;
  callTimeoutMs: number;
}

export interface LatencyResult {
  name: string;
  /** Milliseconds, one per successful measured call. */
  samples: number[];
  /** Median of each block, in block order: blocks of two variants pair up in time. */
  blockMedians: number[];
  summary?: Summary;
  errors: number;
  firstError?: string;
  /** Set when the variant could not run at all (failed in warm-up); no numbers then. */
  skipped?: string;
}

export interface ThroughputOptions {
  concurrency: readonly number[];
  rounds: number;
  durationMs: number;
  deadline: number;
  callTimeoutMs: number;
}

export interface ThroughputResult {
  name: string;
  /** calls per second by concurrency: the median over rounds */
  perConcurrency: { concurrency: number; callsPerSecond: number; rounds: number; errors: number }[];
  skipped?: string;
}

export class CallTimeoutError extends Error {
  constructor(ms: number) {
    super(`call did not finish within ${ms} ms`);
    this.name = "CallTimeoutError";
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s+/g, " ").slice(0, 300);
}

/** The block's variants in a rotated order, so no variant always runs right after the same one. */
function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Warm-up calls; a failure here means the variant cannot run, and it is reported as skipped. */
async function warmUp(variant: Variant, count: number, timeoutMs: number): Promise<string | undefined> {
  for (let i = 0; i < Math.max(1, count); i++) {
    try {
      await withTimeout(variant.call(), timeoutMs);
    } catch (error) {
      return `failed in warm-up: ${errorText(error)}`;
    }
  }
  return undefined;
}

/**
 * Latency at concurrency 1, variants interleaved in blocks (A B C, B C A, C A B, ...) so drift of
 * the machine hits every variant alike.
 */
export async function measureLatency(variants: readonly Variant[], options: LatencyOptions) {
  const results = new Map<string, LatencyResult>();
  const active: Variant[] = [];
  for (const variant of variants) {
    const result: LatencyResult = { name: variant.name, samples: [], blockMedians: [], errors: 0 };
    results.set(variant.name, result);
    const skipped = await warmUp(variant, options.warmup, options.callTimeoutMs);
    if (skipped) result.skipped = skipped;
    else active.push(variant);
  }
  for (let block = 0; block < options.blocks; block++) {
    if (performance.now() > options.deadline) break;
    for (const variant of rotate(active, block)) {
      const result = results.get(variant.name) as LatencyResult;
      const block: number[] = [];
      for (let i = 0; i < options.perBlock; i++) {
        const started = performance.now();
        try {
          await withTimeout(variant.call(), options.callTimeoutMs);
          block.push(performance.now() - started);
        } catch (error) {
          result.errors++;
          result.firstError ??= errorText(error);
        }
      }
      result.samples.push(...block);
      result.blockMedians.push(block.length > 0 ? summarize(block).median : Number.NaN);
    }
  }
  for (const result of results.values()) {
    if (result.samples.length > 0) result.summary = summarize(result.samples);
  }
  return [...results.values()];
}

/** `concurrency` workers call back to back until `durationMs` is over; the rate counts finished calls. */
export async function runFor(
  call: () => Promise<void>,
  concurrency: number,
  durationMs: number,
  callTimeoutMs: number,
): Promise<{ completed: number; errors: number; elapsedMs: number; firstError?: string }> {
  const started = performance.now();
  const end = started + durationMs;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (performance.now() < end) {
      try {
        await withTimeout(call(), callTimeoutMs);
        completed++;
      } catch (error) {
        errors++;
        firstError ??= errorText(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { completed, errors, elapsedMs: performance.now() - started, ...(firstError && { firstError }) };
}

/** Throughput at each concurrency, variants and concurrencies interleaved round by round. */
export async function measureThroughput(
  variants: readonly Variant[],
  options: ThroughputOptions,
  skipped: ReadonlyMap<string, string> = new Map(),
): Promise<ThroughputResult[]> {
  const rates = new Map<string, Map<number, { rates: number[]; errors: number }>>();
  const active = variants.filter((variant) => !skipped.has(variant.name));
  for (const variant of active) {
    rates.set(variant.name, new Map(options.concurrency.map((c) => [c, { rates: [], errors: 0 }])));
  }
  for (let round = 0; round < options.rounds; round++) {
    if (round > 0 && performance.now() > options.deadline) break;
    for (const variant of rotate(active, round)) {
      for (const concurrency of options.concurrency) {
        const run = await runFor(variant.call, concurrency, options.durationMs, options.callTimeoutMs);
        const entry = rates.get(variant.name)?.get(concurrency);
        if (!entry) continue;
        entry.rates.push((run.completed * 1000) / run.elapsedMs);
        entry.errors += run.errors;
      }
    }
  }
  return variants.map((variant) => {
    const reason = skipped.get(variant.name);
    if (reason) return { name: variant.name, perConcurrency: [], skipped: reason };
    const byConcurrency = rates.get(variant.name) ?? new Map();
    return {
      name: variant.name,
      perConcurrency: [...byConcurrency.entries()].map(([concurrency, entry]) => ({
        concurrency,
        callsPerSecond: summarize(entry.rates).median,
        rounds: entry.rates.length,
        errors: entry.errors,
      })),
    };
  });
}
