#!/usr/bin/env node
// `pnpm clickhouse`: starts an embedded ClickHouse for manual use and stops it on Ctrl-C.
import { parseArgs } from "node:util";
import { EmbeddedClickHouseError } from "./errors.js";
import { start } from "./start.js";

const USAGE = `Usage: pnpm clickhouse [options]

Starts ClickHouse (the embedded engine) on 127.0.0.1 with the demo dataset, prints how to
connect, and runs until Ctrl-C.

Options:
  --http-port <port>        HTTP port (default: a free port)
  --tcp-port <port>         native TCP port (default: a free port)
  --data-dir <dir>          keep data in <dir> (default: a temporary directory, removed on exit)
  --admin-password <pw>     password of the "admin" user (default: generated)
  --no-demo                 do not load the demo dataset
  -h, --help                show this help
`;

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) {
    process.stderr.write(`${name} must be a port number, got ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return parsed;
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parse>["values"];
  function parse() {
    return parseArgs({
      options: {
        "http-port": { type: "string" },
        "tcp-port": { type: "string" },
        "data-dir": { type: "string" },
        "admin-password": { type: "string" },
        "no-demo": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    });
  }
  try {
    values = parse().values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const adminPassword = values["admin-password"];
  const server = await start({
    httpPort: port(values["http-port"], "--http-port"),
    tcpPort: port(values["tcp-port"], "--tcp-port"),
    dataDir: values["data-dir"],
    users: adminPassword === undefined ? [] : [{ name: "admin", password: adminPassword }],
    loadDemo: !values["no-demo"],
  });
  const lines = [
    `ClickHouse ${server.version} is running (pid ${server.pid}).`,
    `  HTTP:  ${server.url}`,
    `  TCP:   127.0.0.1:${server.tcpPort}`,
    `  Data:  ${server.dataDir}${values["data-dir"] === undefined ? " (removed on exit)" : ""}`,
    `  Files: ${server.userFilesDir} (relative file() paths)${
      server.sandboxed
        ? "; the engine can reach no file outside it and the data directory"
        : "; NOT CONFINED: the engine's users can read and write any file this process can"
    }`,
    ...server.users.map(
      (user) => `  User:  ${user.name} / ${user.password} (${user.profile ?? "readwrite"})`,
    ),
    values["no-demo"] ? "" : "  Demo:  database `demo` (products, customers, orders)",
    `  Try:   curl -u 'admin:${server.admin.password}' '${server.url}/?query=SELECT+version()'`,
    "Press Ctrl-C to stop.",
  ];
  process.stdout.write(`${lines.filter(Boolean).join("\n")}\n`);

  // The engine does not keep the process alive by itself: this timer does, until a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    await server.stop();
    process.stdout.write("ClickHouse stopped.\n");
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  const { code, signal } = await server.exited;
  if (!stopping) {
    clearInterval(keepAlive);
    process.stderr.write(`ClickHouse exited unexpectedly (code ${code}, signal ${signal}).\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  if (error instanceof EmbeddedClickHouseError) {
    process.stderr.write(`Cannot start ClickHouse (${error.code}): ${error.message}\n`);
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
