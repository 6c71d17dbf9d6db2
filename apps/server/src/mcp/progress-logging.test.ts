// What a client sees besides results: progress from ClickHouse while a long query runs, log
// messages at the level it chose, and tool schemas that OpenAI's strict mode accepts as they are.
import { FIXTURE_TABLES } from "@mcp/test-harness";
import { Client as ModernClient, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { mcpToFunctionTool } from "@openai/agents-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  mcpUrl,
  type TestServer,
  type TransportKind,
  useTestServers,
} from "../test-support/http-fixture.js";

let server: TestServer;

// Closed after the file, and its logs checked for every token and secret in play.
const startServer = useTestServers();

beforeAll(async () => {
  server = await startServer();
});

// About two seconds over several blocks (10 µs a row, 200,000 rows), so ClickHouse reports
// progress along the way.
const SLOW_QUERY = `SELECT count() AS n FROM ${FIXTURE_TABLES.big} WHERE id < 200000 AND sleepEachRow(0.00001) = 0`;
const SLOW_SETTINGS = { max_threads: 1 };

interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

function expectRisingProgress(reports: Progress[]): void {
  expect(reports.length).toBeGreaterThanOrEqual(2);
  for (let i = 1; i < reports.length; i++) {
    expect(reports[i]?.progress).toBeGreaterThan(reports[i - 1]?.progress ?? 0);
  }
  // ClickHouse's estimate of the rows to read: the granules the primary key leaves.
  const last = reports.at(-1) as Progress;
  expect(last.total).toBeGreaterThanOrEqual(last.progress);
  expect(last.total).toBeLessThan(3_000_000);
  expect(reports[0]?.message).toMatch(/^ClickHouse has read \d+ of ~\d+ rows \(.+\) in \d+ ms$/);
}

describe.each<TransportKind>(["sse", "http"])("2025-era client over %s", (kind) => {
  it("gets progress notifications from ClickHouse while a long query runs, when it asks", async () => {
    const token = await server.mint();
    await using client = await connectClient(kind, mcpUrl(server.url, kind, token));
    const reports: Progress[] = [];
    const result = await client.callTool(
      { name: "execute_query", arguments: { query: SLOW_QUERY, settings: SLOW_SETTINGS } },
      undefined,
      { onprogress: (p) => reports.push(p), timeout: 30_000 },
    );
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expectRisingProgress(reports);
  });
});

describe("2026-07-28 client", () => {
  it("gets progress notifications on the streamed answer", async () => {
    const token = await server.mint();
    const client = new ModernClient(
      { name: "progress", version: "1" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/${token}/mcp`)));
    try {
      const reports: Progress[] = [];
      const result = await client.callTool(
        { name: "execute_query", arguments: { query: SLOW_QUERY, settings: SLOW_SETTINGS } },
        { onprogress: (p) => reports.push(p), timeout: 30_000 },
      );
      expect(result.isError).toBeFalsy();
      expectRisingProgress(reports);
      // Without a progress token the answer is one JSON body, and nothing polls for progress.
      const quiet = await client.callTool({ name: "execute_query", arguments: { query: "SELECT 1 AS one" } });
      expect(quiet.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});

describe("logging to the client (2025-era session)", () => {
  it("sends failures and cut results at the level the client set, and nothing below it", async () => {
    const token = await server.mint();
    await using client = await connectClient("sse", mcpUrl(server.url, "sse", token));
    const messages: { level: string; data: unknown }[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push({ level: n.params.level, data: n.params.data });
    });
    await client.setLoggingLevel("warning");
    await client.callTool({ name: "execute_query", arguments: { query: "SELECT * FROM no_such_table_xyz" } });
    await client.callTool({
      name: "execute_query",
      arguments: { query: `SELECT id FROM ${FIXTURE_TABLES.big}` },
    });
    await expect.poll(() => messages.length).toBe(2);
    expect(messages[0]).toMatchObject({ level: "error" });
    expect(String(messages[0]?.data)).toMatch(
      /^execute_query: Error QUERY_FAILED \(ClickHouse 60 UNKNOWN_TABLE\)/,
    );
    expect(messages[1]).toEqual({
      level: "warning",
      data: "execute_query: the result was cut at the rows cap of 500",
    });

    await client.setLoggingLevel("error");
    await client.callTool({
      name: "execute_query",
      arguments: { query: `SELECT id FROM ${FIXTURE_TABLES.big}` },
    });
    await client.callTool({ name: "execute_query", arguments: { query: "SELECT * FROM no_such_table_xyz" } });
    await expect.poll(() => messages.length).toBe(3);
    expect(messages[2]?.level).toBe("error");
  });
});

describe("tool schemas", () => {
  it("convert to OpenAI's strict mode as @openai/agents does it, with no fallback", async () => {
    const token = await server.mint();
    await using client = await connectClient("http", mcpUrl(server.url, "http", token));
    const { tools } = await client.listTools();
    expect(tools.length).toBe(6);
    for (const tool of tools) {
      // biome-ignore lint/suspicious/noExplicitAny: the converter only reads the tool and the server's name
      const converted = mcpToFunctionTool(tool as any, { name: "clickhouse" } as any, true);
      expect(converted.strict, tool.name).toBe(true);
    }
  });
});
