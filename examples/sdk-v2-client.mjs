// A v2 SDK client (@modelcontextprotocol/client 2.4): negotiates protocol 2026-07-28 when the
// server offers it (falls back to the 2025 handshake otherwise), lists the tools, runs a query.
//
//   node examples/sdk-v2-client.mjs 'http://127.0.0.1:8080/<token>/mcp' ['SELECT 1']
//   MCP_TOKEN='<token>' node examples/sdk-v2-client.mjs http://127.0.0.1:8080/mcp   # token in a header
//
// Run from a clone after `pnpm install`: the SDK is resolved from apps/server's dependencies.
// Elsewhere: `npm install @modelcontextprotocol/client@2.4.0` and import it by name instead.
import { createRequire } from "node:module";

const require = createRequire(new URL("../apps/server/package.json", import.meta.url));
const { Client, StreamableHTTPClientTransport } = require("@modelcontextprotocol/client");

const [url, query = "SELECT 1"] = process.argv.slice(2);
if (!url) {
  console.error("usage: node examples/sdk-v2-client.mjs <streamable-http-url> [sql]");
  process.exit(2);
}
const { MCP_TOKEN: token } = process.env;
const headers = token ? { Authorization: `Bearer ${token}` } : {};

const client = new Client({ name: "example-v2", version: "1.0.0" }, { versionNegotiation: { mode: "auto" } });
try {
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  console.log(`protocol ${client.getNegotiatedProtocolVersion()} (${client.getProtocolEra()})`);
  const { tools } = await client.listTools();
  console.log(`tools: ${tools.map((t) => t.name).join(", ")}`);
  const result = await client.callTool({ name: "execute_query", arguments: { query } });
  console.log(`${result.isError ? "error" : "result"}: ${result.content[0]?.text}`);
} catch (error) {
  // An HTTP error keeps the server's answer (e.g. a 401's error_description) in error.data.text.
  const body = error.data?.text;
  console.error(`failed: ${error.message}${body && !error.message.includes(body) ? ` ${body}` : ""}`);
  process.exitCode = 1;
} finally {
  await client.close();
}
