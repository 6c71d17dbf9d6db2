// Plays a desktop MCP host against a stdio MCP command (e.g. mcp-remote): initialize,
// notifications/initialized, tools/list and one execute_query call, each sent only after the
// previous answer arrived. Prints the answers; the command's own log goes to stderr.
//
//   node examples/stdio-exchange.mjs npx -y mcp-remote@0.15.1 'http://127.0.0.1:8080/<token>/mcp'
//
// Exits 0 when every request got a result, 1 otherwise.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const command = process.argv.slice(2);
if (command.length === 0) {
  console.error("usage: node examples/stdio-exchange.mjs <command> [args...]");
  process.exit(2);
}
const child = spawn(command[0], command.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
const waiting = new Map();
createInterface({ input: child.stdout }).on("line", (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return; // not a JSON-RPC message
  }
  waiting.get(message.id)?.(message);
});
child.on("exit", (code) => {
  for (const resolve of waiting.values()) resolve({ error: { message: `command exited (${code})` } });
});

let nextId = 1;
function request(method, params = {}) {
  const id = nextId++;
  const timeout = setTimeout(() => waiting.get(id)?.({ error: { message: "no answer in 60 s" } }), 60_000);
  const answer = new Promise((resolve) => waiting.set(id, resolve)).finally(() => clearTimeout(timeout));
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
  return answer;
}

let ok = true;
function show(method, answer, summary) {
  ok &&= !answer.error;
  console.log(`${method} -> ${answer.error ? `error: ${answer.error.message}` : summary(answer.result)}`);
}

const init = await request("initialize", {
  protocolVersion: "2025-11-25",
  capabilities: {},
  clientInfo: { name: "stdio-exchange", version: "1.0.0" },
});
show(
  "initialize",
  init,
  (r) => `${r.serverInfo.name} ${r.serverInfo.version}, protocol ${r.protocolVersion}`,
);
if (!init.error) {
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  show("tools/list", await request("tools/list"), (r) => r.tools.map((t) => t.name).join(", "));
  const call = await request("tools/call", { name: "execute_query", arguments: { query: "SELECT 1" } });
  show("tools/call execute_query", call, (r) => JSON.stringify(r.content[0]?.text));
}
child.kill();
process.exit(ok ? 0 : 1);
