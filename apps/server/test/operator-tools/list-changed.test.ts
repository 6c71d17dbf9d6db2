// A view added or dropped while clients listen: a 2026-07-28 client (v2 SDK, its listChanged
// handler on the auto-opened subscriptions/listen stream) and a legacy SSE client (v1 SDK) each
// get notifications/tools/list_changed and then see the new list; a client of another
// connection listening at the same time hears nothing. Discovery TTL 1 s.
import { harness, useTestDatabase } from "@mcp/test-harness";
import { Client as ModernClient, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, eventually, mcpUrl } from "../../src/test-support/http-fixture.js";
import { type OperatorServer, useOperatorServers } from "./fixture.js";

const startServer = useOperatorServers();
let server: OperatorServer;
let db: Awaited<ReturnType<typeof useTestDatabase>>;
const toolName = (view: string) => `${db.name}_${view}`;

beforeAll(async () => {
  db = await useTestDatabase();
  await db.client.command({ query: "CREATE VIEW first AS SELECT 1 AS one" });
  server = await startServer({
    tools: [{ type: "read", view_regexp: `^(${db.name}|${harness().users.oneDb.database})\\.` }],
    ttlSeconds: 1,
  });
});

afterAll(async () => {
  await db?.[Symbol.asyncDispose]();
});

describe("tools/list_changed", () => {
  it("advertises tools.listChanged and caches tools/list no longer than the discovery TTL", async () => {
    const token = await server.mint("admin");
    const client = new ModernClient(
      { name: "ttl", version: "1" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/${token}/mcp`)));
    try {
      expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
      const response = await fetch(`${server.url}/${token}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": "tools/list",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/list",
          params: {
            _meta: {
              "io.modelcontextprotocol/protocolVersion": "2026-07-28",
              "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
              "io.modelcontextprotocol/clientCapabilities": {},
            },
          },
        }),
      });
      const body = (await response.json()) as { result?: { ttlMs?: number; cacheScope?: string } };
      expect(body.result).toMatchObject({ ttlMs: 1000, cacheScope: "private" });
    } finally {
      await client.close();
    }
  });

  it("reaches a listening 2026-07-28 client and a legacy SSE client of the connection, not another connection's", async () => {
    const adminToken = await server.mint("admin");
    const modernSeen: string[][] = [];
    const modern = new ModernClient(
      { name: "listener", version: "1" },
      {
        versionNegotiation: { mode: { pin: "2026-07-28" } },
        listChanged: {
          tools: {
            debounceMs: 0,
            onChanged: (error, tools) => {
              if (!error && tools) modernSeen.push(tools.map((t) => t.name));
            },
          },
        },
      },
    );
    await modern.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/${adminToken}/mcp`)));
    let otherModernNotified = 0;
    const otherModern = new ModernClient(
      { name: "other-listener", version: "1" },
      {
        versionNegotiation: { mode: { pin: "2026-07-28" } },
        listChanged: { tools: { debounceMs: 0, onChanged: () => (otherModernNotified += 1) } },
      },
    );
    await otherModern.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/${await server.mint("oneDb")}/mcp`)),
    );
    await using legacy = await connectClient("sse", mcpUrl(server.url, "sse", adminToken));
    await using other = await connectClient("sse", mcpUrl(server.url, "sse", await server.mint("oneDb")));
    let legacyNotified = 0;
    let otherNotified = 0;
    legacy.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      legacyNotified += 1;
    });
    other.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      otherNotified += 1;
    });
    try {
      expect((await legacy.listTools()).tools.map((t) => t.name)).toContain(toolName("first"));
      expect((await legacy.listTools()).tools.map((t) => t.name)).not.toContain(toolName("second"));
      await eventually(
        () => modern.autoOpenedSubscription !== undefined && otherModern.autoOpenedSubscription !== undefined,
        "the modern clients listen",
      );

      await db.client.command({ query: "CREATE VIEW second AS SELECT {x:UInt8} AS x" });

      await eventually(() => legacyNotified > 0, "the SSE client is told", 10_000);
      const after = (await legacy.listTools()).tools;
      expect(after.map((t) => t.name)).toContain(toolName("second"));
      const call = await legacy.callTool({ name: toolName("second"), arguments: { x: 7 } });
      expect(call.isError).toBeFalsy();
      await eventually(
        () => modernSeen.some((names) => names.includes(toolName("second"))),
        "the 2026-07-28 client sees the new tool",
        10_000,
      );

      // Dropped: both are told again and the tool goes.
      const notifiedBefore = legacyNotified;
      await db.client.command({ query: "DROP VIEW second" });
      await eventually(() => legacyNotified > notifiedBefore, "the SSE client is told of the drop", 10_000);
      expect((await legacy.listTools()).tools.map((t) => t.name)).not.toContain(toolName("second"));
      await eventually(
        () => !modernSeen.at(-1)?.includes(toolName("second")),
        "the 2026-07-28 client sees the tool gone",
        10_000,
      );
      // The oneDb user cannot see this database: its connection's list never changed.
      expect(otherNotified).toBe(0);
      expect(otherModernNotified).toBe(0);
    } finally {
      await modern.close();
      await otherModern.close();
    }
  });
});
