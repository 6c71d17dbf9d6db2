#!/usr/bin/env node
// `pnpm conformance`: the official MCP conformance suite against the built server
// (apps/server/dist) on a real embedded ClickHouse, classified by scenarios.json. See README.md.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { classify, failingRows, renderMarkdown, renderText } from "./report.mjs";
import { serverBuildStamp, startServerUnderTest } from "./server-under-test.mjs";
import { listServerScenarios, runSuiteAgainst, stopSuites } from "./suite.mjs";
import { ensureToolchain, requirementSet, SUITE_PACKAGE, SUITE_VERSION } from "./toolchain.mjs";

const HERE = dirname(new URL(import.meta.url).pathname);
const ROOT = resolve(HERE, "../..");
const CACHE_DIR = join(HERE, ".cache");
const REVISIONS = ["2026-07-28", "2025-11-25"];
/** The whole run, setup included, stays under this (the toolchain install is not counted). */
const BUDGET_MS = 240_000;
const REQUIREMENTS_RUN_MS = 120_000;
const SINGLE_SCENARIO_RUN_MS = 45_000;

const USAGE = `Usage: pnpm conformance [-- options]

Runs @modelcontextprotocol/conformance (server scenarios of the 2026-07-28 and 2025-11-25
requirement sets, plus the suite's other server scenarios) against apps/server/dist/main.js on
an embedded ClickHouse, and exits 1 if an applicable scenario fails (see scenarios.json).

Options:
  --markdown <file>   also write the results as Markdown (env CONFORMANCE_MARKDOWN)
  --results <dir>     where the suite's checks.json files and logs go
                      (default tools/conformance/.results, emptied first)
  --url <url>         test this running server (http://127.0.0.1:PORT/<token>/mcp) instead of
                      starting one
  -h, --help          show this help
`;

/** Environment variables read: the Markdown file, and the directory pnpm was invoked from. */
const MARKDOWN_ENV = "CONFORMANCE_MARKDOWN";
const INVOCATION_DIR_ENV = "INIT_CWD";

const log = (message) => process.stderr.write(`[conformance] ${message}\n`);

function parseOptions() {
  try {
    // `pnpm conformance -- --markdown x` passes the `--` on.
    const args = process.argv.slice(2);
    if (args[0] === "--") args.shift();
    const { values } = parseArgs({
      args,
      options: {
        markdown: { type: "string" },
        results: { type: "string" },
        url: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    });
    return values;
  } catch (error) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

/** Teardown in reverse order, once, also on SIGINT/SIGTERM. */
function createTeardown() {
  const steps = [];
  let running;
  const teardown = () => {
    running ??= (async () => {
      for (const step of steps.reverse()) {
        try {
          await step();
        } catch (error) {
          log(`teardown: ${error.message}`);
        }
      }
    })();
    return running;
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(signal, () => {
      log(`${signal}: stopping everything started`);
      void teardown().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
  return { defer: (step) => steps.push(step), teardown };
}

/** The suite invocations: each requirement set at its own wire, then every other server scenario alone. */
async function planRuns(toolchain) {
  const runs = [];
  const covered = new Set();
  for (const revision of REVISIONS) {
    const scenarios = requirementSet(CACHE_DIR, toolchain.suiteDir, revision).map((s) => ({
      scenario: s.scenario,
      suite: s.scored ? "required" : `not scored (${s.suiteNote})`,
    }));
    for (const s of scenarios) covered.add(s.scenario);
    runs.push({
      revision,
      args: ["--requirements", revision],
      scenarios,
      timeoutMs: REQUIREMENTS_RUN_MS,
    });
  }
  for (const { scenario, tags } of await listServerScenarios(toolchain)) {
    if (covered.has(scenario)) continue;
    const extension = tags.includes("extension");
    runs.push({
      // The suite runs extension and 2026-only scenarios at 2026-07-28, the rest at 2025-11-25.
      revision: extension || tags[0] === "2026-07-28" ? "2026-07-28" : "2025-11-25",
      args: ["--scenario", scenario],
      scenarios: [{ scenario, suite: `in no requirement set (${tags.join(",")})` }],
      timeoutMs: SINGLE_SCENARIO_RUN_MS,
    });
  }
  return runs;
}

async function main() {
  const options = parseOptions();
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const markdownFile = options.markdown ?? process.env[MARKDOWN_ENV];
  const resultsDir = resolve(options.results ?? join(HERE, ".results"));
  const classification = JSON.parse(readFileSync(join(HERE, "scenarios.json"), "utf8"));

  const { defer, teardown } = createTeardown();
  defer(async () => stopSuites());
  const toolchain = await ensureToolchain(CACHE_DIR, log);
  const deadline = Date.now() + BUDGET_MS;
  const runs = await planRuns(toolchain);
  const known = new Set(runs.flatMap((r) => r.scenarios.map((s) => s.scenario)));
  for (const name of Object.keys(classification.scenarios)) {
    if (!known.has(name)) log(`scenarios.json classifies "${name}", which this suite version does not have`);
  }

  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const buildStamp = serverBuildStamp(ROOT);
  const rows = [];
  let target;
  try {
    let url = options.url;
    let token = "";
    if (url) {
      token = new URL(url).pathname.split("/").find((segment) => segment.startsWith("eyJ")) ?? "";
      target = url.replace(token, "<token>");
    } else {
      const started = await startServerUnderTest({
        root: ROOT,
        logFile: join(resultsDir, "server.log"),
        defer,
        log,
      });
      url = started.url;
      token = started.token;
      target = `apps/server/dist/main.js on ClickHouse ${started.clickhouseVersion}`;
    }

    for (const run of runs) {
      const remaining = deadline - Date.now();
      const label = `${run.revision} ${run.args.join(" ")}`;
      let results = new Map();
      let noResult;
      if (remaining <= 5_000) {
        noResult = `not run: the ${BUDGET_MS / 1000} s budget was used up`;
        log(`${label}: skipped, out of time`);
      } else {
        log(`${label}: running ${run.scenarios.length} scenario(s)`);
        const outDir = join(resultsDir, run.args[0] === "--requirements" ? run.revision : run.args[1]);
        const outcome = await runSuiteAgainst(toolchain, {
          url,
          token,
          args: run.args,
          outDir,
          timeoutMs: Math.min(run.timeoutMs, remaining),
        });
        results = outcome.results;
        if (outcome.timedOut) noResult = `the suite was killed after ${Math.round(run.timeoutMs / 1000)} s`;
        else
          noResult = `the suite wrote no checks.json for it (exit ${outcome.code}; see ${outDir}/suite.log)`;
      }
      for (const { scenario, suite } of run.scenarios) {
        rows.push(
          classify(
            { revision: run.revision, scenario, suite, checks: results.get(scenario), noResult },
            classification,
          ),
        );
      }
    }
  } finally {
    await teardown();
  }

  process.stdout.write(renderText(rows));
  const failing = failingRows(rows);
  const applicable = rows.filter((r) => r.applicable);
  process.stdout.write(
    `\n${applicable.length - failing.filter((r) => r.applicable).length}/${applicable.length} applicable ` +
      `scenario runs pass; ${rows.length - applicable.length} not applicable; raw results in ${resultsDir}\n`,
  );
  if (serverBuildStamp(ROOT) !== buildStamp) {
    log("apps/server/dist/main.js changed during the run (a rebuild?): rerun for a clean result");
  }
  if (markdownFile) {
    const meta = {
      suite: `${SUITE_PACKAGE}@${SUITE_VERSION}`,
      server: target ?? "the server",
      date: new Date().toISOString().slice(0, 10),
    };
    writeFileSync(
      resolve(process.env[INVOCATION_DIR_ENV] ?? process.cwd(), markdownFile),
      renderMarkdown(rows, meta),
    );
    log(`Markdown written to ${markdownFile}`);
  }
  for (const row of failing) log(`${row.status}: ${row.revision} ${row.scenario}`);
  return failing.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(`error: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
