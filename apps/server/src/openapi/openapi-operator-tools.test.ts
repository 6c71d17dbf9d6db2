// The OpenAPI surface over operator-defined tools (server.tools): view-backed read tools and a
// table-backed insert tool appear in the document through the same per-connection list as MCP,
// and are called over GET and POST on the embedded ClickHouse.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createClickHousePool } from "@mcp/clickhouse";
import { type ConnectionClaims, mintToken } from "@mcp/jwe";
import { useTestDatabase } from "@mcp/test-harness";
import { validate } from "@readme/openapi-parser";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerConfig } from "../config/server-config.js";
import { createApp } from "../http/app.js";
import { parseToolsConfig } from "../mcp/operator-tools/config.js";
import { createMetrics } from "../observability/metrics.js";
import { harnessClaims, markSensitive, sensitiveValues, testConfig } from "../test-support/http-fixture.js";

let db: Awaited<ReturnType<typeof useTestDatabase>>;
let url: string;
let config: ServerConfig;
let logs = "";
let close: () => Promise<void>;

const view = (name: string) => `ot_${db.name}_${name}`;
const insert = () => `add_${db.name}_inbox`;

async function mint(claims: ConnectionClaims & { read_only?: boolean }): Promise<string> {
  const token = await mintToken(claims, {
    jweSecret: config.jwe.jweSecretKeys[0] as string,
    ...(config.jwe.jwtSecretKey !== undefined && { jwtSecret: config.jwe.jwtSecretKey }),
  });
  markSensitive(token);
  return token;
}

beforeAll(async () => {
  db = await useTestDatabase();
  for (const statement of [
    "CREATE TABLE events (id UInt32, name String) ENGINE = MergeTree ORDER BY id",
    "INSERT INTO events VALUES (1, 'start'), (2, 'stop'), (3, 'start')",
    `CREATE VIEW by_name AS SELECT id, name FROM events WHERE name = {name:String} ORDER BY id COMMENT '${JSON.stringify(
      {
        title: "Events by name",
        description: `The events with this name, oldest first. ${"More. ".repeat(80)}`,
      },
    )}'`,
    "CREATE VIEW typed AS SELECT {n:UInt8} AS n, {big:UInt64} AS big, {day:Date} AS day, {flag:Bool} AS flag, {tags:Array(String)} AS tags, {maybe:Nullable(UInt32)} AS maybe",
    "CREATE TABLE inbox (id UInt32, body String) ENGINE = MergeTree ORDER BY id",
  ]) {
    await db.client.command({ query: statement });
  }
  config = {
    ...testConfig({ http: { openapi: "http" } }),
    operatorTools: parseToolsConfig(
      {
        tools: [
          { type: "read", name: "execute_query" },
          { type: "write", name: "write_query" },
          { type: "read", view_regexp: `^${db.name}\\.`, prefix: "ot_" },
          { type: "write", table_regexp: `^${db.name}\\.inbox$`, prefix: "add_", mode: "insert" },
        ],
        discoveryTtlSeconds: 60,
      },
      [],
    ),
  };
  const logger = pino(
    { level: "debug" },
    {
      write(line: string) {
        logs += line;
      },
    },
  );
  const pool = createClickHousePool({ maxClients: 10, idleTimeoutMs: 60_000 });
  let port: number | undefined;
  const serverApp = createApp({
    config,
    pool,
    logger,
    metrics: createMetrics(),
    version: "0.0.0-test",
    listeningPort: () => port,
  });
  const server = serve({ fetch: serverApp.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", resolve)));
  port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  close = async () => {
    server.close();
    await serverApp.shutdown(1000);
    if ("closeAllConnections" in server) server.closeAllConnections();
    await pool.close();
  };
});

afterAll(async () => {
  await close?.();
  await db?.[Symbol.asyncDispose]();
  for (const value of sensitiveValues()) expect(logs).not.toContain(value);
});

type Operation = Record<string, unknown> & { operationId: string };

async function documentOf(token: string) {
  const response = await fetch(`${url}/${token}/openapi`);
  expect(response.status).toBe(200);
  const doc = (await response.json()) as { paths: Record<string, { post: Operation }> };
  const result = await validate(structuredClone(doc) as never);
  expect(result.valid, JSON.stringify(result)).toBe(true);
  return new Map(Object.values(doc.paths).map((item) => [item.post.operationId, item.post]));
}

const post = (token: string, tool: string, body: unknown) =>
  fetch(`${url}/${token}/openapi/${tool}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

describe("operator-defined tools over OpenAPI", () => {
  it("documents the view and insert tools of the token: the insert tool only for a write token", async () => {
    const write = await documentOf(await mint(harnessClaims("admin")));
    const read = await documentOf(await mint({ ...harnessClaims("admin"), read_only: true }));
    expect([...write.keys()]).toEqual(
      expect.arrayContaining(["execute_query", "write_query", view("by_name"), view("typed"), insert()]),
    );
    expect([...read.keys()]).toContain(view("by_name"));
    expect([...read.keys()]).not.toContain(insert());
    const byName = write.get(view("by_name"));
    expect(byName?.summary).toBe("Events by name");
    expect(String(byName?.description).length).toBeLessThanOrEqual(300);
    expect(byName?.["x-openai-isConsequential"]).toBe(false);
    expect(write.get(insert())?.["x-openai-isConsequential"]).toBe(true);
  });

  it("calls a view tool with GET and POST, its parameters typed from the query string, bad values refused by name", async () => {
    const token = await mint(harnessClaims("admin"));
    const viaPost = await post(token, view("by_name"), { name: "start" });
    const viaGet = await fetch(`${url}/${token}/openapi/${view("by_name")}?name=start`);
    for (const response of [viaPost, viaGet]) {
      expect(response.status).toBe(200);
      const body = (await response.json()) as { rows: { id: number }[] };
      expect(body.rows.map((r) => r.id)).toEqual([1, 3]);
    }
    const query = new URLSearchParams({
      n: "7",
      big: "18446744073709551615",
      day: "2024-02-29",
      flag: "true",
      tags: JSON.stringify(["a", "b'c"]),
      maybe: "null",
    });
    const typed = await fetch(`${url}/${token}/openapi/${view("typed")}?${query}`);
    expect(typed.status, await typed.clone().text()).toBe(200);
    expect(((await typed.json()) as { rows: unknown[] }).rows).toEqual([
      { n: 7, big: "18446744073709551615", day: "2024-02-29", flag: true, tags: ["a", "b'c"], maybe: null },
    ]);
    query.set("n", "256");
    const outOfRange = await fetch(`${url}/${token}/openapi/${view("typed")}?${query}`);
    expect(outOfRange.status).toBe(400);
    expect(await outOfRange.json()).toMatchObject({
      error_description: expect.stringMatching(/argument "n"/),
    });
    query.set("n", "1");
    query.set("day", "2024-02-30'; DROP TABLE events --");
    const hostile = await fetch(`${url}/${token}/openapi/${view("typed")}?${query}`);
    expect(hostile.status).toBe(400);
    expect(await hostile.json()).toMatchObject({
      error_description: expect.stringMatching(/argument "day"/),
    });
  });

  it("inserts a row with POST only, for a write token", async () => {
    const token = await mint(harnessClaims("admin"));
    const inserted = await post(token, insert(), { id: 1, body: "hello" });
    expect(inserted.status, await inserted.clone().text()).toBe(200);
    const viaGet = await fetch(`${url}/${token}/openapi/${insert()}?id=2&body=x`);
    expect(viaGet.status).toBe(405);
    const readOnly = await mint({ ...harnessClaims("admin"), read_only: true });
    expect((await post(readOnly, insert(), { id: 3, body: "no" })).status).toBe(404);
    const rows = await db.client.query({
      query: "SELECT id, body FROM inbox ORDER BY id",
      format: "JSONEachRow",
    });
    expect(await rows.json()).toEqual([{ id: 1, body: "hello" }]);
  });
});
