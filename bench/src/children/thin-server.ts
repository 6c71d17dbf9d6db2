/**
 * (d) The floor: the thinnest MCP server the SDK's stateless Streamable HTTP pattern allows. No
 * auth, no limits, no logging, no metrics; one warm ClickHouse client; a new McpServer (and its
 * tool registration) per request, as the SDK's stateless example does. Bench-only.
 */
import { writeFileSync } from "node:fs";
import { createClient } from "@clickhouse/client";
import { serve } from "@hono/node-server";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import { z } from "zod";
import { childArgs, required } from "./args.js";

const args = childArgs(process.argv.slice(2));
const clickhouse = createClient({
  url: required(args, "clickhouse-url"),
  username: required(args, "username"),
  password: process.env.BENCH_CLICKHOUSE_PASSWORD ?? "",
});

const app = new Hono();
app.post("/mcp", async (c) => {
  const server = new McpServer({ name: "thin", version: "0.0.0" });
  server.registerTool(
    "execute_query",
    { description: "Runs a SQL query", inputSchema: { query: z.string() } },
    async ({ query }) => {
      const result = await clickhouse.query({ query, format: "JSONEachRow" });
      const rows = await result.json();
      return { content: [{ type: "text", text: JSON.stringify(rows) }] };
    },
  );
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  try {
    await server.connect(transport);
    return await transport.handleRequest(c.req.raw);
  } finally {
    await server.close();
  }
});

const port = Number(required(args, "port"));
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => {
  writeFileSync(required(args, "ready-file"), JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});

// Exit through process.exit on SIGTERM so that node --cpu-prof writes its profile.
process.on("SIGTERM", () => process.exit(0));
