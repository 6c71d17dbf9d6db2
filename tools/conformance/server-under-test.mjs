// The real thing, on loopback: an embedded ClickHouse with the demo dataset, a token minted by the
// token CLI, and the built server (apps/server/dist/main.js) with JWE on, all torn down by dispose().
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const DEMO_USER = "conformance_demo";
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/** The built files this needs, relative to the repository root. */
export function builtFiles(root) {
  return {
    server: join(root, "apps/server/dist/main.js"),
    tokenCli: join(root, "apps/token-cli/dist/cli.js"),
    embedded: join(root, "packages/embedded-clickhouse/dist/index.js"),
  };
}

/** mtime of the server's dist/main.js, to notice a rebuild during the run. */
export function serverBuildStamp(root) {
  const { server } = builtFiles(root);
  return existsSync(server) ? statSync(server).mtimeMs : undefined;
}

function secret() {
  return randomBytes(32).toString("base64url");
}

function mintToken(tokenCli, env, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tokenCli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      err += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => {
      const token = out.trim();
      if (code === 0 && /^[\w-]+(\.[\w-]*){4}$/.test(token)) resolve(token);
      else reject(new Error(`token CLI failed (exit ${code}): ${err.trim()}`));
    });
  });
}

/** Waits for the server's JSON "listening" log line on stderr and returns its base URL. */
function waitListening(child, stderrLines) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`server did not log "listening" within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const onLine = (line) => {
      if (!line.startsWith("{")) return;
      try {
        const entry = JSON.parse(line);
        if (entry.msg === "listening" && typeof entry.url === "string") {
          done();
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    };
    const onExit = (code, signal) => {
      done();
      reject(
        new Error(
          `server exited (${signal ?? `exit ${code}`}) before listening:\n${stderrLines.slice(-20).join("\n")}`,
        ),
      );
    };
    const done = () => {
      clearTimeout(timer);
      stderrLines.listeners.delete(onLine);
      child.off("exit", onExit);
    };
    stderrLines.listeners.add(onLine);
    child.once("exit", onExit);
    for (const line of stderrLines) onLine(line);
  });
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Starts ClickHouse, mints a read-only token for the demo database (as `pnpm start` prints one)
 * and starts the server on a free loopback port. Everything started is registered with `defer`
 * as soon as it exists, so a failure half-way still tears it down.
 * @param {{ root: string, logFile: string, defer: (fn: () => Promise<void>) => void, log: (msg: string) => void }} options
 * @returns {Promise<{ url: string, token: string, baseUrl: string, clickhouseVersion: string }>}
 */
export async function startServerUnderTest({ root, logFile, defer, log }) {
  const files = builtFiles(root);
  for (const [what, file] of Object.entries(files)) {
    if (!existsSync(file)) throw new Error(`${file} (${what}) is missing: run \`pnpm build\` first`);
  }

  const { start, DEMO_DATABASE } = await import(pathToFileURL(files.embedded).href);
  const demoPassword = secret();
  const clickhouse = await start({
    users: [{ name: DEMO_USER, password: demoPassword, profile: "readonly2", databases: [DEMO_DATABASE] }],
    loadDemo: true,
  });
  defer(() => clickhouse.stop());
  log(`ClickHouse ${clickhouse.version} on 127.0.0.1:${clickhouse.httpPort} (embedded, demo dataset)`);

  const secrets = { MCP_JWE_SECRET_KEY: secret(), MCP_JWT_SECRET_KEY: secret() };
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...secrets };
  const token = await mintToken(files.tokenCli, env, [
    "--host=127.0.0.1",
    `--port=${clickhouse.httpPort}`,
    `--database=${DEMO_DATABASE}`,
    `--username=${DEMO_USER}`,
    `--password=${demoPassword}`,
    "--protocol=http",
    "--read-only",
    "--expiry=3600",
  ]);

  const child = spawn(
    process.execPath,
    [
      files.server,
      "--transport=http",
      "--address=127.0.0.1",
      "--port=0",
      "--allow-jwe-auth",
      "--shutdown-grace=2",
      "--log-level=info",
    ],
    { env, stdio: ["ignore", "ignore", "pipe"] },
  );
  const stderrLines = Object.assign([], { listeners: new Set() });
  let partial = "";
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      stderrLines.push(line);
      for (const listener of stderrLines.listeners) listener(line);
    }
  });
  defer(async () => {
    await stopChild(child);
    const text = [...stderrLines, partial].join("\n").replaceAll(token, "<token>");
    writeFileSync(logFile, text);
  });
  const baseUrl = await waitListening(child, stderrLines);
  log(`server ${files.server} listening on ${baseUrl} (pid ${child.pid})`);
  return { url: `${baseUrl}/${token}/mcp`, token, baseUrl, clickhouseVersion: clickhouse.version };
}
