/**
 * Tenants: many distinct connection identities (user x database) through one pool, in a process
 * of its own (started with --expose-gc) so its RSS is the pool's and nothing else's.
 * Argument: --spec=PATH (a TenantSpec as JSON); writes a TenantResult as JSON to spec.resultFile.
 */
import { readFileSync, writeFileSync } from "node:fs";
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
  /**
   * Users logged in once before anything is measured: ClickHouse's first login of a user costs it
   * several milliseconds (access rights), which is ClickHouse's cost, not the pool's.
   */
  prewarmUsers: number;
  resultFile: string;
}

export interface MemoryCheckpoint {
  ms: number;
  calls: number;
  poolSize: number;
  /** bytes, right after a full GC */
  rss: number;
  heapUsed: number;
  external: number;
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
  /** Memory after a full GC, at the start and then at regular intervals until the end (pool still open). */
  timeline: MemoryCheckpoint[];
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
  return createClickHousePool({ allowedHosts: ["127.0.0.1:*"] });
}

async function prewarmUsers(): Promise<void> {
  const pool = newPool();
  let next = 0;
  const worker = async () => {
    while (next < Math.min(spec.prewarmUsers, spec.userCount)) await call(pool, next++);
  };
  try {
    await Promise.all(Array.from({ length: spec.concurrency }, worker));
  } finally {
    await pool.close();
  }
}

async function newVersusKnown(): Promise<{ newTenantMs: number[]; knownTenantMs: number[] }> {
  const pool = newPool();
  try {
    for (let i = 0; i < 20; i++) await call(pool, 0);
    const newTenantMs: number[] = [];
    const knownTenantMs: number[] = [];
    for (let i = 1; i <= spec.newTenantSamples; i++) {
      // A user ClickHouse already knows, with a database it has not been used with: new to the pool only.
      const k = spec.userCount + i;
      let started = performance.now();
      await call(pool, k);
      newTenantMs.push(performance.now() - started);
      started = performance.now();
      await call(pool, k);
      knownTenantMs.push(performance.now() - started);
    }
    return { newTenantMs, knownTenantMs };
  } finally {
    await pool.close();
  }
}

async function rotation(tenants: number): Promise<RotationResult> {
  const pool = newPool();
  let next = 0;
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  let maxPoolSize = 0;
  const timeline: MemoryCheckpoint[] = [];
  const started = performance.now();
  const checkpoint = () => {
    gc();
    const memory = process.memoryUsage();
    timeline.push({
      ms: performance.now() - started,
      calls,
      poolSize: pool.stats().size,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
    });
  };
  checkpoint();
  const minEnd = started + spec.minDurationMs;
  const maxEnd = started + spec.maxDurationMs;
  const sampler = setInterval(checkpoint, Math.max(200, spec.minDurationMs / 20));
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
      maxPoolSize = Math.max(maxPoolSize, pool.stats().size);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const durationMs = performance.now() - started;
  clearInterval(sampler);
  checkpoint();
  const stats = pool.stats();
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
    timeline,
  };
}

await prewarmUsers();
const { newTenantMs, knownTenantMs } = await newVersusKnown();
const rotations: RotationResult[] = [];
for (const tenants of spec.counts) rotations.push(await rotation(tenants));
const result: TenantResult = { maxClients: POOL_DEFAULTS.maxClients, newTenantMs, knownTenantMs, rotations };
writeFileSync(spec.resultFile, JSON.stringify(result));
