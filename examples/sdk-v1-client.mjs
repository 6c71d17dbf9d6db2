// A 2025-era client (@modelcontextprotocol/sdk 1.32, the v1 line): legacy SSE for a URL ending in
// /sse, Streamable HTTP otherwise. It lists the tools and runs a query.
//
//   node examples/sdk-v1-client.mjs 'http://127.0.0.1:8080/<token>/sse' ['SELECT 1']
//   node examples/sdk-v1-client.mjs 'http://127.0.0.1:8080/<token>/mcp' ['SELECT 1']
//   MCP_TOKEN='<token>' node examples/sdk-v1-client.mjs http://127.0.0.1:8080/mcp   # token in a header
//
// Run from a clone after `pnpm install`: the SDK is resolved from apps/server's dependencies.
// Elsewhere: `npm install @modelcontextprotocol/sdk@1.32.2` and import it by name instead.
import { createRequire } from "node:module";

const require = createRequire(new URL("../apps/server/package.json", import.meta.url));
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { SSEClientTransport } = require("@modelcontextprotocol/sdk/client/sse.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");

const [url, query = "SELECT 1"] = process.argv.slice(2);
if (!url) {
  console.error("usage: node examples/sdk-v1-client.mjs <sse-or-streamable-http-url> [sql]");
  process.exit(2);
}
const { MCP_TOKEN: token } = process.env;
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const sse = new URL(url).pathname.endsWith("/sse");
const transport = sse
  ? new SSEClientTransport(new URL(url), { eventSourceInit: { headers }, requestInit: { headers } })
  : new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });

const client = new Client({ name: "example-v1", version: "1.0.0" });
try {
  await client.connect(transport);
  const server = client.getServerVersion();
  console.log(
    `connected over ${sse ? "legacy SSE" : "Streamable HTTP"} to ${server?.name} ${server?.version}`,
  );
  const { tools } = await client.listTools();
  console.log(`tools: ${tools.map((t) => t.name).join(", ")}`);
  const result = await client.callTool({ name: "execute_query", arguments: { query } });
  console.log(`${result.isError ? "error" : "result"}: ${result.content[0]?.text}`);
} catch (error) {
  console.error(`failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}
