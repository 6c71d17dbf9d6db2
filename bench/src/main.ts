/**
 * `pnpm bench`: the server's cost side by side with the floor (the thinnest SDK server), the raw
 * client and the reference's strategy, in one run on one machine. Prints Markdown, writes JSON.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ScenarioName, USAGE, UsageError } from "./args.js";
import { machineInfo } from "./machine.js";
import { errorText } from "./measure.js";
import { makePlan } from "./plan.js";
import { summarizeProfiles } from "./profile.js";
import { renderTable, renderTargets, type ScenarioReport, type Table } from "./report.js";
import { runBigResultScenario } from "./scenarios/big-result.js";
import { runOneQueryScenario } from "./scenarios/one-query.js";
import { runSessionsScenario } from "./scenarios/sessions.js";
import { runTenantsScenario } from "./scenarios/tenants.js";
import { runTokenScenario } from "./scenarios/token.js";
import { type BenchEnv, setUp, tearDown } from "./setup.js";
import { type AllData, evaluateTargets } from "./targets.js";

const RESULTS_DIR = fileURLToPath(new URL("../results", import.meta.url));

type Runner = (env: BenchEnv, plan: ReturnType<typeof makePlan>) => Promise<ScenarioReport>;
const RUNNERS: [ScenarioName, keyof AllData, Runner][] = [
  ["token", "token", runTokenScenario],
  ["query", "query", runOneQueryScenario],
  ["tenants", "tenants", runTenantsScenario],
  ["sessions", "sessions", runSessionsScenario],
  ["big", "big", runBigResultScenario],
];

function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const plan = makePlan(args.quick);
  const startedAt = new Date();
  const runStarted = performance.now();
  // Bounded no matter what hangs: the guardians take the child processes down with us.
  const hardLimitMs = args.quick ? 180_000 : 15 * 60_000;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${hardLimitMs / 1000} s, giving up\n`);
    process.exit(1);
  }, hardLimitMs);
  watchdog.unref();

  const outDir = args.outDir ?? RESULTS_DIR;
  const profileDir = args.profile ? path.join(outDir, "profiles", stamp(startedAt)) : undefined;
  process.stderr.write(`bench: ${args.quick ? "quick" : "full"} run: ${[...args.only].join(", ")}\n`);
  const setupStarted = performance.now();
  const env = await setUp({ tenants: args.only.has("tenants"), ...(profileDir && { profileDir }) });
  const setupMs = performance.now() - setupStarted;
  const stop = () => {
    void tearDown(env).finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  const reports: ScenarioReport[] = [];
  const data: AllData = {};
  let crashed = false;
  try {
    for (const [name, key, run] of RUNNERS) {
      if (!args.only.has(name)) continue;
      process.stderr.write(`bench: ${name}...\n`);
      const scenarioStarted = performance.now();
      try {
        const report = await run(env, plan);
        reports.push(report);
        (data as Record<string, unknown>)[key] = report.data;
      } catch (error) {
        crashed = true;
        const reason = errorText(error);
        reports.push({
          name,
          durationMs: performance.now() - scenarioStarted,
          skipped: [`failed: ${reason}`],
          data: { failed: reason },
          tables: [
            {
              title: `${name}: failed`,
              columns: ["Scenario", "Result"],
              rows: [[name, `skipped: failed: ${reason}`]],
            },
          ],
        });
      }
      process.stderr.write(
        `bench: ${name} done in ${((performance.now() - scenarioStarted) / 1000).toFixed(1)} s\n`,
      );
    }
  } finally {
    await tearDown(env);
  }

  const targets = evaluateTargets(data, args.quick);
  const machine = machineInfo(env.clickhouse.version);
  const profileTables: Table[] =
    profileDir && existsSync(profileDir) ? summarizeProfiles(profileDir, ["server", "thin-server"]) : [];
  const totalMs = performance.now() - runStarted;

  const out: string[] = [];
  out.push(`### Benchmark ${args.quick ? "(--quick) " : ""}${startedAt.toISOString()}`, "");
  out.push(
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${(machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${machine.platform} ${machine.kernel}; ` +
      `Node ${machine.node}; ClickHouse ${machine.clickhouse} (embedded); commit ${machine.gitCommit?.slice(0, 10) ?? "?"}` +
      `${machine.gitDirty ? " (with uncommitted changes)" : ""}; load average at start ${machine.loadAverageAtStart.join(" ")}.`,
    "",
  );
  if (args.profile) {
    out.push(
      "With --profile the servers run under the CPU profiler and heap snapshots are taken: times are slower and " +
        "RSS figures are inflated by the snapshots; use this run for where time and memory go, not for the numbers.",
      "",
    );
  }
  for (const report of reports) for (const table of report.tables) out.push(renderTable(table));
  out.push(renderTargets(targets, args.quick));
  for (const table of profileTables) out.push(renderTable(table));
  out.push(
    renderTable({
      title: "Timings (s)",
      columns: ["Part", "Seconds"],
      rows: [
        ["set-up (ClickHouse start, users, demo data)", (setupMs / 1000).toFixed(1)],
        ...reports.map((r) => [r.name, (r.durationMs / 1000).toFixed(1)]),
        ["whole run", (totalMs / 1000).toFixed(1)],
      ],
    }),
  );
  const skipped = reports.flatMap((r) => r.skipped.map((s) => `${r.name}: ${s}`));
  if (skipped.length > 0) out.push("Skipped:", "", ...skipped.map((s) => `- skipped: ${s}`), "");
  process.stdout.write(`${out.join("\n")}\n`);

  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${stamp(startedAt)}${args.quick ? "-quick" : ""}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        quick: args.quick,
        scenarios: [...args.only],
        machine,
        plan,
        timings: {
          setupMs,
          totalMs,
          scenarios: Object.fromEntries(reports.map((r) => [r.name, r.durationMs])),
        },
        targets,
        results: Object.fromEntries(
          reports.map((r) => [r.name, { data: r.data, tables: r.tables, skipped: r.skipped }]),
        ),
        ...(profileTables.length > 0 && { profile: profileTables }),
      },
      // Raw samples stay, to three decimals: enough for milliseconds, and the file stays small.
      (_key, value) =>
        typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value,
      2,
    )}\n`,
  );
  process.stderr.write(`bench: results in ${file} (${(totalMs / 1000).toFixed(1)} s)\n`);
  return crashed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
