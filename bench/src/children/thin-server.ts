/**
 * (d) The floor: the thinnest MCP server the v2 SDK allows. `createMcpHandler` on Hono, with its
 * defaults: protocol 2026-07-28 per request, and 2025-era clients served statelessly by the same
 * factory (`legacy: 'stateless'`). No auth, no limits, no logging, no metrics, no Host/Origin
 * check; one warm ClickHouse client; a new McpServer (and its tool registration) per request, as
 * the SDK's factory does. No legacy SSE: the v2 SDK does not serve it. Bench-only.
 */
import { writeFileSync } from "node:fs";
import { createClient } from "@clickhouse/client";
import { serve } from "@hono/node-server";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { Hono } from "hono";
import { z } from "zod";
import { childArgs, required } from "./args.js";

const args = childArgs(process.argv.slice(2));
const clickhouse = createClient({
  url: required(args, "clickhouse-url"),
  username: required(args, "username"),
  password: process.env.BENCH_CLICKHOUSE_PASSWORD ?? "",
});

const handler = createMcpHandler(
  () => {
    const server = new McpServer({ name: "thin", version: "0.0.0" });
    server.registerTool(
      "execute_query",
      { description: "Runs a SQL query", inputSchema: z.object({ query: z.string() }) },
      async ({ query }) => {
        const result = await clickhouse.query({ query, format: "JSONEachRow" });
        const rows = await result.json();
        return { content: [{ type: "text", text: JSON.stringify(rows) }] };
      },
    );
    return server;
  },
  { legacy: "stateless" },
);

const app = new Hono();
app.all("/mcp", (c) => handler.fetch(c.req.raw));

const port = Number(required(args, "port"));
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => {
  writeFileSync(required(args, "ready-file"), JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});

// Exit through process.exit on SIGTERM so that node --cpu-prof writes its profile.
process.on("SIGTERM", () => process.exit(0));
