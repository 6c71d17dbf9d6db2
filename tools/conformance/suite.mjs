// Runs the conformance suite (under Node 22) and reads what it wrote: one directory per scenario,
// `server-<scenario>-<timestamp>/checks.json`.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Per-scenario timeout given to the suite. */
export const SCENARIO_TIMEOUT_MS = 20_000;

const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

/** Suite processes still running, by pid (each leads its own process group). */
const running = new Set();

function killGroup(pid) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Kills every suite process still running (teardown on a signal). */
export function stopSuites() {
  for (const pid of running) killGroup(pid);
}

function runSuite(toolchain, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(toolchain.node, [toolchain.suiteCli, ...args], {
      // Its own process group, so a timeout kills whatever it started too.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CI: "true", NO_COLOR: "1" },
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      output += chunk;
    });
    running.add(child.pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      running.delete(child.pid);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      resolve({ code, signal, timedOut, output });
    });
  });
}

/** The suite's server scenarios with their tags, from `conformance list --server`. */
export async function listServerScenarios(toolchain) {
  const { code, output } = await runSuite(toolchain, ["list", "--server"], 60_000);
  if (code !== 0) throw new Error(`conformance list --server failed:\n${output}`);
  const scenarios = [];
  for (const line of output.split("\n")) {
    const match = /^\s+- (\S+) \[([^\]]*)\]\s*$/.exec(line);
    if (match) scenarios.push({ scenario: match[1], tags: match[2].split(",") });
  }
  if (scenarios.length === 0) throw new Error(`no scenarios in \`conformance list --server\`:\n${output}`);
  return scenarios;
}

/** checks.json of every scenario the suite wrote into `dir`, by scenario name; the token is taken out of the files. */
function readResults(dir, token) {
  const results = new Map();
  if (!existsSync(dir)) return results;
  for (const entry of readdirSync(dir)) {
    const match = RESULT_DIR.exec(entry);
    const file = join(dir, entry, "checks.json");
    if (!match || !existsSync(file)) continue;
    const text = readFileSync(file, "utf8").replaceAll(token, "<token>");
    writeFileSync(file, text);
    results.set(match[1], JSON.parse(text));
  }
  return results;
}

/**
 * One suite invocation against `url`, results under `outDir`; the suite's console output goes to
 * `outDir/suite.log` with the token taken out.
 * @returns {Promise<{ results: Map<string, object[]>, code: number | null, timedOut: boolean }>}
 */
export async function runSuiteAgainst(toolchain, { url, token, args, outDir, timeoutMs }) {
  mkdirSync(outDir, { recursive: true });
  const { code, signal, timedOut, output } = await runSuite(
    toolchain,
    ["server", "--url", url, "--timeout", String(SCENARIO_TIMEOUT_MS), "-o", outDir, ...args],
    timeoutMs,
  );
  const note = timedOut ? `\n[killed after ${timeoutMs} ms]\n` : signal ? `\n[killed by ${signal}]\n` : "";
  writeFileSync(join(outDir, "suite.log"), (output + note).replaceAll(token, "<token>"));
  return { results: readResults(outDir, token), code, timedOut };
}
