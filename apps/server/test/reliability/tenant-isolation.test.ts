/**
 * Tenant isolation under load: many concurrent sessions (legacy SSE and Streamable HTTP, tokens
 * in the path and in headers), each with a token for its own database and one of the harness's
 * users, each running many queries whose answers name the tenant, the user, the database and the
 * call. Every answer must reach the session that asked, exactly once. The pool is kept smaller
 * than the number of tenants, so clients are evicted and recreated while queries run.
 */
import { randomBytes } from "node:crypto";
import type { ConnectionClaims } from "@mcp/jwe";
import { adminClient, harness } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mcpUrl, startTestServer, type TestServer } from "../../src/test-support/http-fixture.js";
import {
  boundedLoop,
  ClientTexts,
  expectNoSecrets,
  type JsonRpcResponse,
  mcpReply,
  postMcp,
  RawSseSession,
  reportFigures,
  scale,
  timeoutFor,
  toolCallMessage,
  toolText,
  unique,
} from "../../src/test-support/reliability.js";

const TENANTS = scale(50, 200);
const CALLS_PER_TENANT = scale(20, 100);
const BUDGET_MS = scale(45_000, 400_000);
/**
 * Calls in flight per session: about 200 in flight in both forms. Far beyond what the server can
 * answer, a saturated server is slow to accept new connections and the test would measure that.
 */
const PER_SESSION = scale(4, 1);
const USERS = ["admin", "password", "readonly1", "readonly2"] as const;

interface Tenant {
  index: number;
  name: string;
  database: string;
  user: (typeof USERS)[number];
  username: string;
  secret: string;
  token: string;
  transport: "sse" | "http";
  tokenIn: "path" | "header";
}

const prefix = unique("rel_iso");
const tenants: Tenant[] = [];
const shown = new ClientTexts();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ pool: { maxClients: 16 } });
  const admin = adminClient();
  try {
    const h = harness();
    for (let i = 0; i < TENANTS; i++) {
      const user = USERS[i % USERS.length] as (typeof USERS)[number];
      const name = `tenant-${i}-${randomBytes(4).toString("hex")}`;
      tenants.push({
        index: i,
        name,
        database: `${prefix}_${i}`,
        user,
        username: h.users[user].username,
        secret: randomBytes(12).toString("hex"),
        token: "",
        transport: i % 2 === 0 ? "sse" : "http",
        tokenIn: i % 4 < 2 ? "path" : "header",
      });
    }
    await boundedLoop({ count: TENANTS, budgetMs: 120_000, concurrency: 8 }, async (i) => {
      const t = tenants[i] as Tenant;
      await admin.command({ query: `CREATE DATABASE ${t.database}` });
      await admin.command({
        query: `CREATE TABLE ${t.database}.whoami (tenant String, secret String) ENGINE = MergeTree ORDER BY tenant`,
      });
      await admin.command({
        query: `INSERT INTO ${t.database}.whoami VALUES ({tenant:String}, {secret:String})`,
        query_params: { tenant: t.name, secret: t.secret },
      });
      const claims: ConnectionClaims = {
        host: h.host,
        port: h.httpPort,
        username: t.username,
        password: h.users[t.user].password,
        database: t.database,
        protocol: "http",
      };
      t.token = await server.mint(claims);
    });
  } finally {
    await admin.close();
  }
  expect(tenants.every((t) => t.token !== "")).toBe(true);
}, 180_000);

afterAll(async () => {
  await server?.close();
  const admin = adminClient();
  try {
    await boundedLoop({ count: tenants.length, budgetMs: 60_000, concurrency: 8 }, async (i) => {
      await admin.command({ query: `DROP DATABASE IF EXISTS ${(tenants[i] as Tenant).database} SYNC` });
    });
  } finally {
    await admin.close();
  }
});

/** What a tenant's answer must say. */
function expectedRow(t: Tenant, nonce: string) {
  return { tenant: t.name, secret: t.secret, user: t.username, db: t.database, nonce };
}

function queryFor(nonce: string): string {
  return `SELECT tenant, secret, currentUser() AS user, currentDatabase() AS db, '${nonce}' AS nonce FROM whoami`;
}

interface SessionResult {
  tenant: Tenant;
  sent: number;
  answered: number;
  wrong: string[];
  /** Responses to ids this session never sent, or a second response to one it did. */
  foreign: number;
  duplicated: number;
}

function headersFor(t: Tenant): Record<string, string> {
  if (t.tokenIn === "path") return {};
  return t.transport === "sse" ? { "X-Altinity-MCP-Key": t.token } : { Authorization: `Bearer ${t.token}` };
}

function urlFor(t: Tenant): string {
  return mcpUrl(server.url, t.transport, t.tokenIn === "path" ? t.token : undefined);
}

/** One tenant's session: CALLS_PER_TENANT calls, PER_SESSION at a time, every answer checked. */
async function runTenant(
  t: Tenant,
  sse: RawSseSession | undefined,
  deadline: number,
): Promise<SessionResult> {
  const result: SessionResult = { tenant: t, sent: 0, answered: 0, wrong: [], foreign: 0, duplicated: 0 };
  const headers = headersFor(t);
  const url = urlFor(t);
  const sentIds = new Set<string>();
  try {
    await boundedLoop(
      { count: CALLS_PER_TENANT, budgetMs: Math.max(deadline - Date.now(), 1), concurrency: PER_SESSION },
      async (call) => {
        const id = `${t.index}:${call}`;
        const nonce = `${t.name}/${call}/${randomBytes(4).toString("hex")}`;
        const listing = call % 10 === 9;
        const message = listing
          ? toolCallMessage(id, "list_tables", { database: t.database })
          : toolCallMessage(id, "execute_query", { query: queryFor(nonce) });
        sentIds.add(id);
        result.sent++;
        let response: JsonRpcResponse;
        if (sse) {
          response = await sse.request(message);
        } else {
          const answer = await postMcp(url, message, headers);
          response = await mcpReply(answer);
        }
        if (response.id !== id) {
          result.wrong.push(`asked ${id}, answered ${String(response.id)}`);
          return;
        }
        const text = toolText(response);
        if (response.result?.isError || response.error) {
          shown.add(text || JSON.stringify(response.error));
          result.wrong.push(`${id}: ${text || response.error?.message}`);
          return;
        }
        const content = response.result?.structuredContent as
          | { rows?: Record<string, unknown>[]; tables?: { database: string; name: string }[] }
          | undefined;
        if (listing) {
          const tables = (content?.tables ?? []).map((table) => `${table.database}.${table.name}`);
          if (JSON.stringify(tables) !== JSON.stringify([`${t.database}.whoami`])) {
            result.wrong.push(`${id}: tables ${JSON.stringify(tables)}`);
            return;
          }
        } else {
          const rows = content?.rows ?? [];
          if (JSON.stringify(rows) !== JSON.stringify([expectedRow(t, nonce)])) {
            result.wrong.push(`${id}: rows ${JSON.stringify(rows).slice(0, 300)}`);
            return;
          }
        }
        result.answered++;
      },
    );
  } finally {
    if (sse) {
      const seen = new Map<string, number>();
      for (const response of sse.responses) {
        const id = String(response.id);
        if (id === "init") continue;
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      for (const [id, count] of seen) {
        if (!sentIds.has(id)) result.foreign += count;
        else if (count > 1) result.duplicated += count - 1;
      }
      sse.close();
    }
  }
  return result;
}

describe("tenant isolation under load", () => {
  it(
    `${TENANTS} concurrent sessions x ${CALLS_PER_TENANT} calls: every answer belongs to the session that asked`,
    async () => {
      // Every session is open before the load starts, then all of them run at once. (Opening new
      // connections while the server is saturated measures its accept fairness, not isolation.)
      const sessions = await Promise.all(
        tenants.map((t) =>
          t.transport === "sse" ? RawSseSession.open(urlFor(t), headersFor(t)) : undefined,
        ),
      );
      const started = Date.now();
      const deadline = started + BUDGET_MS;
      const results = await Promise.all(tenants.map((t, i) => runTenant(t, sessions[i], deadline)));
      const elapsedMs = Date.now() - started;

      const wrong = results.flatMap((r) =>
        r.wrong.map((w) => `${r.tenant.name} (${r.tenant.transport}): ${w}`),
      );
      expect(wrong.slice(0, 10)).toEqual([]);
      expect(results.reduce((n, r) => n + r.foreign, 0)).toBe(0);
      expect(results.reduce((n, r) => n + r.duplicated, 0)).toBe(0);
      const sent = results.reduce((n, r) => n + r.sent, 0);
      const answered = results.reduce((n, r) => n + r.answered, 0);
      expect(answered).toBe(sent);
      // The bound is a safety net; the load must actually have run.
      expect(sent).toBeGreaterThanOrEqual(Math.min(TENANTS * CALLS_PER_TENANT, TENANTS * 5));

      // The server counted exactly these calls, all successful.
      const metrics = server.metrics.render();
      const okCalls = metrics
        .split("\n")
        .filter((line) => line.startsWith("mcp_tool_calls_total{") && line.includes('outcome="ok"'))
        .reduce((n, line) => n + Number(line.split(" ").at(-1)), 0);
      expect(okCalls).toBe(sent);
      const stats = server.pool.stats();
      expect(stats.evictions.lru).toBeGreaterThan(0);

      reportFigures("tenant isolation", {
        sessions: TENANTS,
        sse: tenants.filter((t) => t.transport === "sse").length,
        http: tenants.filter((t) => t.transport === "http").length,
        users: USERS.length,
        calls: sent,
        answered,
        lost: sent - answered,
        misrouted: results.reduce((n, r) => n + r.foreign, 0),
        duplicated: results.reduce((n, r) => n + r.duplicated, 0),
        "pool evictions while loaded": stats.evictions.lru,
        seconds: (elapsedMs / 1000).toFixed(1),
      });
    },
    timeoutFor(BUDGET_MS + 60_000),
  );

  it("leaks no token, password or secret into the logs or the answers", () => {
    const checked =
      expectNoSecrets("the server log", [server.logText()]) + expectNoSecrets("an answer", shown.all());
    expect(checked).toBeGreaterThan(TENANTS);
  });
});
