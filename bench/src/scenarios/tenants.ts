import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import type { MemoryCheckpoint, RotationResult, TenantResult, TenantSpec } from "../children/tenants.js";
import type { Plan } from "../plan.js";
import { childScript, nodeArgsForScript, spawnManaged } from "../processes.js";
import { fmtBytes, fmtMs, fmtRate, type ScenarioReport } from "../report.js";
import { type BenchEnv, TENANT_DATABASES, TENANT_USER_PREFIX, TENANT_USERS } from "../setup.js";
import { summarize } from "../stats.js";

export interface TenantsData extends TenantResult {
  newTenant: ReturnType<typeof summarize>;
  knownTenant: ReturnType<typeof summarize>;
}

/** The checkpoint a quarter into the rotation: the pool is full and the process warm by then. */
export function quarterCheckpoint(rotation: RotationResult): MemoryCheckpoint | undefined {
  const quarter = rotation.durationMs / 4;
  return rotation.timeline.find((c) => c.ms >= quarter) ?? rotation.timeline.at(-1);
}

/** RSS growth over the last three quarters of a rotation (each reading after a full GC). */
export function lateGrowth(rotation: RotationResult): { rss: number; heap: number } | undefined {
  const from = quarterCheckpoint(rotation);
  const to = rotation.timeline.at(-1);
  if (!from || !to || from === to) return undefined;
  return { rss: to.rss - from.rss, heap: to.heapUsed - from.heapUsed };
}

export async function runTenantsScenario(
  env: BenchEnv,
  plan: Plan,
): Promise<ScenarioReport & { data: TenantsData }> {
  const started = performance.now();
  const resultFile = path.join(env.workDir, "tenants.result.json");
  const specFile = path.join(env.workDir, "tenants.spec.json");
  const spec: TenantSpec = {
    port: env.clickhouse.httpPort,
    userCount: TENANT_USERS,
    userPrefix: TENANT_USER_PREFIX,
    passwordPrefix: env.tenantPasswordPrefix,
    databases: TENANT_DATABASES,
    counts: plan.tenants.counts,
    concurrency: plan.tenants.concurrency,
    minDurationMs: plan.tenants.minDurationMs,
    maxDurationMs: plan.tenants.maxDurationMs,
    newTenantSamples: plan.tenants.newTenantSamples,
    prewarmUsers: plan.tenants.prewarmUsers,
    resultFile,
  };
  writeFileSync(specFile, JSON.stringify(spec), { mode: 0o600 });
  const proc = await spawnManaged(
    "tenants",
    process.execPath,
    [...nodeArgsForScript(childScript("tenants.ts"), ["--expose-gc"]), `--spec=${specFile}`],
    { logPath: path.join(env.workDir, "tenants.log") },
  );
  env.processes.push(proc);
  const limitMs = plan.tenants.counts.length * (plan.tenants.maxDurationMs + 20_000) + 30_000;
  const exit = await Promise.race([
    proc.exited,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), limitMs).unref()),
  ]);
  if (exit === undefined) {
    await proc.stop();
    throw new Error(`the tenants process did not finish within ${limitMs} ms`);
  }
  env.processes = env.processes.filter((p) => p !== proc);
  let result: TenantResult;
  try {
    result = JSON.parse(await readFile(resultFile, "utf8")) as TenantResult;
  } catch {
    throw new Error(`the tenants process ended without a result: ${proc.logTail(1_500)}`);
  }
  const data: TenantsData = {
    ...result,
    newTenant: summarize(result.newTenantMs),
    knownTenant: summarize(result.knownTenantMs),
  };
  return {
    name: "tenants",
    durationMs: performance.now() - started,
    skipped: [],
    data,
    tables: [
      {
        title: `3. Tenants: distinct connection identities in rotation through one pool (max ${result.maxClients} clients), concurrency ${plan.tenants.concurrency}, SELECT 1`,
        columns: [
          "Tenants",
          "Used",
          "Calls/s",
          "Errors",
          "Max pool size",
          "Creations",
          "LRU evictions",
          "RSS start",
          "RSS at 1/4",
          "RSS end",
          "RSS growth, last 3/4",
          "Heap at 1/4",
          "Heap end",
        ],
        rows: result.rotations.map((r) => {
          const quarter = quarterCheckpoint(r);
          const end = r.timeline.at(-1);
          return [
            r.tenants.toLocaleString("en-US"),
            r.distinctUsed.toLocaleString("en-US"),
            fmtRate(r.callsPerSecond),
            r.errors > 0 ? `${r.errors} (${r.firstError})` : "0",
            String(r.maxPoolSize),
            r.stats.creations.toLocaleString("en-US"),
            r.stats.evictions.lru.toLocaleString("en-US"),
            fmtBytes(r.timeline[0]?.rss),
            fmtBytes(quarter?.rss),
            fmtBytes(end?.rss),
            fmtBytes(lateGrowth(r)?.rss),
            fmtBytes(quarter?.heapUsed),
            fmtBytes(end?.heapUsed),
          ];
        }),
        notes: [
          `An identity is a user × database (${TENANT_USERS} users × ${TENANT_DATABASES.length} databases), each a pool key of ` +
            `its own. Each count runs at least ${plan.tenants.minDurationMs} ms and until every identity was used once ` +
            `(at most ${plan.tenants.maxDurationMs} ms: "Used" < "Tenants" means the rotation was cut short). RSS and heap ` +
            "of the pool's own process (nothing else runs in it), each read right after a full GC; by a quarter " +
            "into the rotation the pool is full and the process warm, so the last three quarters show whether it stays flat.",
        ],
      },
      {
        title:
          "3. Cost of a new tenant (first call: new client, new connection) vs a known one (concurrency 1)",
        columns: ["Call", "median ms", "p99 ms", "n"],
        rows: [
          ["new tenant", fmtMs(data.newTenant.median), fmtMs(data.newTenant.p99), String(data.newTenant.n)],
          [
            "known tenant",
            fmtMs(data.knownTenant.median),
            fmtMs(data.knownTenant.p99),
            String(data.knownTenant.n),
          ],
        ],
      },
    ],
  };
}
