/**
 * Tenants: many distinct connection identities (user x database) through one pool, in a process
 * of its own (started with --expose-gc) so its RSS is the pool's and nothing else's.
 * Argument: --spec=PATH (a TenantSpec as JSON); writes a TenantResult as JSON to spec.resultFile.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { type ClickHousePool, createClickHousePool, POOL_DEFAULTS, type PoolStats } from "@mcp/clickhouse";
import type { ConnectionClaims } from "@mcp/jwe";
import { childArgs, required } from "./args.js";

export interface TenantSpec {
  port: number;
  userCount: number;
  userPrefix: string;
  passwordPrefix: string;
  databases: string[];
  counts: number[];
  concurrency: number;
  /** Each count runs at least this long... */
  minDurationMs: number;
  /** ...and until every identity was used once, but never longer than this. */
  maxDurationMs: number;
  newTenantSamples: number;
  resultFile: string;
}

export interface RotationResult {
  tenants: number;
  calls: number;
  errors: number;
  firstError?: string;
  distinctUsed: number;
  durationMs: number;
  callsPerSecond: number;
  maxPoolSize: number;
  stats: PoolStats;
  /** Bytes, each after a full GC: before the first call, when the pool had filled, at the end (pool still open). */
  rssBefore: number;
  rssWhenFull?: number;
  rssAtEnd: number;
  heapBefore: number;
  heapWhenFull?: number;
  heapAtEnd: number;
  rssPeak: number;
}

export interface TenantResult {
  maxClients: number;
  newTenantMs: number[];
  knownTenantMs: number[];
  rotations: RotationResult[];
}

const spec = JSON.parse(
  readFileSync(required(childArgs(process.argv.slice(2)), "spec"), "utf8"),
) as TenantSpec;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const CALL_TIMEOUT_MS = 15_000;

function identity(k: number): ConnectionClaims {
  const user = k % spec.userCount;
  const database = spec.databases[Math.floor(k / spec.userCount) % spec.databases.length] as string;
  return {
    host: "127.0.0.1",
    port: spec.port,
    protocol: "http",
    username: `${spec.userPrefix}${user}`,
    password: `${spec.passwordPrefix}${user}`,
    database,
  };
}

async function call(pool: ClickHousePool, k: number): Promise<void> {
  const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
  const result = await pool.withClient(identity(k), (client) =>
    client.executeQuery("SELECT 1", { readOnly: true, maxRows: 500, signal }),
  );
  if (result.rowCount !== 1) throw new Error(`expected one row, got ${result.rowCount}`);
}

function newPool(): ClickHousePool {
  return createClickHousePool({ allowedHosts: ["127.0.0.1"] });
}

async function newVersusKnown(): Promise<{ newTenantMs: number[]; knownTenantMs: number[] }> {
  const pool = newPool();
  try {
    for (let i = 0; i < 20; i++) await call(pool, 0);
    const newTenantMs: number[] = [];
    const knownTenantMs: number[] = [];
    for (let i = 1; i <= spec.newTenantSamples; i++) {
      let started = performance.now();
      await call(pool, i);
      newTenantMs.push(performance.now() - started);
      started = performance.now();
      await call(pool, i);
      knownTenantMs.push(performance.now() - started);
    }
    return { newTenantMs, knownTenantMs };
  } finally {
    await pool.close();
  }
}

async function rotation(tenants: number): Promise<RotationResult> {
  const pool = newPool();
  gc();
  await delay(50);
  const before = process.memoryUsage();
  let next = 0;
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  let maxPoolSize = 0;
  let rssPeak = before.rss;
  let whenFull: NodeJS.MemoryUsage | undefined;
  const fullAt = Math.min(tenants, POOL_DEFAULTS.maxClients);
  const started = performance.now();
  const minEnd = started + spec.minDurationMs;
  const maxEnd = started + spec.maxDurationMs;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 100);
  const keepGoing = () => {
    const now = performance.now();
    return now < maxEnd && (now < minEnd || next < tenants);
  };
  const worker = async () => {
    while (keepGoing()) {
      const k = next++ % tenants;
      try {
        await call(pool, k);
        calls++;
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message.slice(0, 200) : String(error);
      }
      const size = pool.stats().size;
      maxPoolSize = Math.max(maxPoolSize, size);
      // Once the pool has filled up, remember the memory then (after a full GC) as the baseline.
      if (whenFull === undefined && size >= fullAt && next >= 2 * fullAt) {
        gc();
        whenFull = process.memoryUsage();
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const durationMs = performance.now() - started;
  clearInterval(sampler);
  const stats = pool.stats();
  gc();
  const atEnd = process.memoryUsage();
  await pool.close();
  return {
    tenants,
    calls,
    errors,
    ...(firstError && { firstError }),
    distinctUsed: Math.min(next, tenants),
    durationMs,
    callsPerSecond: (calls * 1000) / durationMs,
    maxPoolSize,
    stats,
    rssBefore: before.rss,
    ...(whenFull && { rssWhenFull: whenFull.rss, heapWhenFull: whenFull.heapUsed }),
    rssAtEnd: atEnd.rss,
    heapBefore: before.heapUsed,
    heapAtEnd: atEnd.heapUsed,
    rssPeak,
  };
}

const { newTenantMs, knownTenantMs } = await newVersusKnown();
const rotations: RotationResult[] = [];
for (const tenants of spec.counts) rotations.push(await rotation(tenants));
const result: TenantResult = { maxClients: POOL_DEFAULTS.maxClients, newTenantMs, knownTenantMs, rotations };
writeFileSync(spec.resultFile, JSON.stringify(result));
