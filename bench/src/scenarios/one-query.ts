import { readFile } from "node:fs/promises";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import type { ConnectionClaims } from "@mcp/jwe";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { answerRows, CALL_TIMEOUT_MS, connectClient, executeQuery } from "../mcp-clients.js";
import {
  errorText,
  type LatencyResult,
  measureLatency,
  measureThroughput,
  type ThroughputResult,
  type Variant,
} from "../measure.js";
import type { Plan } from "../plan.js";
import { createReferenceStrategyPool } from "../reference-strategy.js";
import { fmtMs, fmtRate, fmtRatio, type ScenarioReport, type Table } from "../report.js";
import {
  type BenchEnv,
  benchClaims,
  mint,
  type RunningServer,
  serverBuilt,
  startBinaryServer,
  startServerHost,
  startThinServer,
  startTlsProxy,
  type TlsProxyInfo,
  tlsClaims,
} from "../setup.js";
import { median, ratio } from "../stats.js";

export const QUERIES = {
  select1: "SELECT 1 AS one",
  demo:
    "SELECT p.category AS category, count() AS orders, sum(o.quantity) AS units " +
    "FROM demo.orders AS o INNER JOIN demo.products AS p ON o.product_id = p.product_id " +
    "WHERE o.status != 'cancelled' GROUP BY category ORDER BY orders DESC",
} as const;
export type QueryName = keyof typeof QUERIES;

interface VariantSpec {
  name: string;
  what: string;
  /** Builds the variant's call once; throwing marks it skipped with the reason. */
  prepare: () => Promise<{ run: (sql: string) => Promise<number>; close: () => Promise<void> }>;
}

export interface OneQueryData {
  latency: Record<QueryName, LatencyResult[]>;
  throughput: ThroughputResult[];
  /** Ratio of the two variants' overall medians. */
  ratios: Record<string, number | undefined>;
  /** The same ratio block by block (the two medians of one block were measured minutes apart at most). */
  blockRatios: Record<string, { min: number; median: number; max: number } | undefined>;
  skipped: Record<string, string>;
}

/** Median latency of one variant for one query (ms), if it ran. */
export function medianOf(data: OneQueryData, query: QueryName, name: string): number | undefined {
  return data.latency[query].find((r) => r.name === name)?.summary?.median;
}

function rawClient(url: string, env: BenchEnv, ca?: Buffer): ClickHouseClient {
  return createClient({
    url,
    username: env.user.name,
    password: env.user.password,
    database: "demo",
    log: { level: ClickHouseLogLevel.OFF },
    ...(ca && { tls: { ca_cert: ca } }),
  });
}

async function rawRows(client: ClickHouseClient, sql: string): Promise<number> {
  const result = await client.query({ query: sql, format: "JSONEachRow" });
  return (await result.json()).length;
}

export async function runOneQueryScenario(
  env: BenchEnv,
  plan: Plan,
): Promise<ScenarioReport & { data: OneQueryData }> {
  const started = performance.now();
  const notBuilt = serverBuilt();
  const startFailures = new Map<string, string>();
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      startFailures.set(what, errorText(error));
      return undefined;
    }
  };
  const [thin, binary, hostPool, hostReference, proxy] = await Promise.all([
    attempt("thin server", () => startThinServer(env)),
    notBuilt ? undefined : attempt("server", () => startBinaryServer(env, "server")),
    notBuilt ? undefined : attempt("server host (pool)", () => startServerHost(env, "host-pool", "pool")),
    notBuilt
      ? undefined
      : attempt("server host (reference)", () => startServerHost(env, "host-reference", "reference")),
    attempt("TLS proxy", () => startTlsProxy(env)),
  ]);
  const plainClaims = benchClaims(env) as ConnectionClaims;
  const plainToken = await mint(env, benchClaims(env));
  // The same user and database over the native protocol (issue #8): the server's tcp driver.
  const nativeToken = await mint(env, { ...benchClaims(env), protocol: "tcp", port: env.clickhouse.tcpPort });
  const proxyClaims = proxy ? tlsClaims(env, proxy) : undefined;
  const tlsToken = proxyClaims ? await mint(env, proxyClaims) : undefined;
  const ca = proxy ? await readFile(proxy.caCertPath) : undefined;

  const need = <T>(value: T | undefined, what: string): T => {
    if (value !== undefined) return value;
    throw new Error(
      notBuilt && /server/.test(what)
        ? notBuilt
        : `${what} did not start: ${startFailures.get(what) ?? "unknown"}`,
    );
  };
  const mcp =
    (
      server: () => RunningServer,
      path: (token: string) => string,
      transport: "http" | "sse",
      token: () => string,
    ) =>
    async () => {
      const client: Client = await connectClient(`${server().url}${path(token())}`, transport);
      return {
        run: async (sql: string) => answerRows(await executeQuery(client, sql)).length,
        close: () => client.close(),
      };
    };
  const tokenPath = (suffix: string) => (token: string) => `/${token}/${suffix}`;
  const proxyInfo = (): TlsProxyInfo => need(proxy, "TLS proxy");

  const specs: VariantSpec[] = [
    {
      name: "a",
      what: "(a) raw @clickhouse/client, warm",
      prepare: async () => {
        const client = rawClient(env.clickhouse.url, env);
        return { run: (sql) => rawRows(client, sql), close: () => client.close() };
      },
    },
    {
      name: "d",
      what: "(d) thinnest SDK server, Streamable HTTP",
      prepare: mcp(
        () => need(thin, "thin server"),
        () => "/mcp",
        "http",
        () => "",
      ),
    },
    {
      name: "b.http",
      what: "(b) our server, Streamable HTTP",
      prepare: mcp(
        () => need(binary, "server"),
        tokenPath("mcp"),
        "http",
        () => plainToken,
      ),
    },
    {
      name: "b.http.tcp",
      what: "(b) our server, Streamable HTTP, native protocol to ClickHouse",
      prepare: mcp(
        () => need(binary, "server"),
        tokenPath("mcp"),
        "http",
        () => nativeToken,
      ),
    },
    {
      name: "b.sse",
      what: "(b) our server, SSE",
      prepare: mcp(
        () => need(binary, "server"),
        tokenPath("sse"),
        "sse",
        () => plainToken,
      ),
    },
    {
      name: "b.host",
      what: "(b) control: our runtime (createRuntime) in the bench host, real pool, Streamable HTTP",
      prepare: mcp(
        () => need(hostPool, "server host (pool)"),
        tokenPath("mcp"),
        "http",
        () => plainToken,
      ),
    },
    {
      name: "c.server",
      what: "(c) our app, reference strategy (new client + ping + query + close), Streamable HTTP",
      prepare: mcp(
        () => need(hostReference, "server host (reference)"),
        tokenPath("mcp"),
        "http",
        () => plainToken,
      ),
    },
    {
      name: "c.pool",
      what: "(c) in-process, no MCP: reference strategy through our pool code",
      prepare: async () => {
        const pool = createReferenceStrategyPool({ allowedHosts: ["127.0.0.1:*", "localhost:*"] });
        return {
          run: async (sql) =>
            (
              await pool.withClient(plainClaims, (client) =>
                client.executeQuery(sql, { readOnly: true, maxRows: 500 }),
              )
            ).rowCount,
          close: () => pool.close(),
        };
      },
    },
    {
      name: "c.client",
      what: "(c) in-process, no MCP: new @clickhouse/client + ping + query + close",
      prepare: async () => ({
        run: async (sql) => {
          const client = rawClient(env.clickhouse.url, env);
          try {
            const ping = await client.ping();
            if (!ping.success) throw ping.error;
            return await rawRows(client, sql);
          } finally {
            await client.close();
          }
        },
        close: async () => {},
      }),
    },
    {
      name: "a.tls",
      what: "(a) raw @clickhouse/client, warm, TLS",
      prepare: async () => {
        const client = rawClient(proxyInfo().url, env, ca);
        return { run: (sql) => rawRows(client, sql), close: () => client.close() };
      },
    },
    {
      name: "b.http.tls",
      what: "(b) our server, Streamable HTTP, TLS to ClickHouse",
      prepare: mcp(
        () => need(binary, "server"),
        tokenPath("mcp"),
        "http",
        () => need(tlsToken, "TLS proxy"),
      ),
    },
    {
      name: "c.server.tls",
      what: "(c) our app, reference strategy, Streamable HTTP, TLS to ClickHouse",
      prepare: mcp(
        () => need(hostReference, "server host (reference)"),
        tokenPath("mcp"),
        "http",
        () => need(tlsToken, "TLS proxy"),
      ),
    },
    {
      name: "c.pool.tls",
      what: "(c) in-process: reference strategy through our pool code, TLS",
      prepare: async () => {
        const claims = need(proxyClaims, "TLS proxy") as ConnectionClaims;
        const pool = createReferenceStrategyPool({ allowedHosts: ["127.0.0.1:*", "localhost:*"] });
        return {
          run: async (sql) =>
            (
              await pool.withClient(claims, (client) =>
                client.executeQuery(sql, { readOnly: true, maxRows: 500 }),
              )
            ).rowCount,
          close: () => pool.close(),
        };
      },
    },
    {
      name: "c.client.tls",
      what: "(c) in-process: new @clickhouse/client + ping + query + close, TLS",
      prepare: async () => {
        const url = proxyInfo().url;
        return {
          run: async (sql) => {
            const client = rawClient(url, env, ca);
            try {
              const ping = await client.ping();
              if (!ping.success) throw ping.error;
              return await rawRows(client, sql);
            } finally {
              await client.close();
            }
          },
          close: async () => {},
        };
      },
    },
  ];

  // The right row count, from ClickHouse itself, so every variant's answer can be checked.
  const expected = {} as Record<QueryName, number>;
  for (const [name, sql] of Object.entries(QUERIES) as [QueryName, string][]) {
    expected[name] = await rawRows(env.admin, sql);
  }

  const prepared = new Map<string, Awaited<ReturnType<VariantSpec["prepare"]>>>();
  const skipped = new Map<string, string>();
  for (const spec of specs) {
    try {
      prepared.set(spec.name, await spec.prepare());
    } catch (error) {
      skipped.set(spec.name, errorText(error));
    }
  }
  const variantsFor = (query: QueryName): Variant[] =>
    specs
      .filter((spec) => prepared.has(spec.name))
      .map((spec) => {
        const { run } = prepared.get(spec.name) as { run: (sql: string) => Promise<number> };
        return {
          name: spec.name,
          call: async () => {
            const rows = await run(QUERIES[query]);
            if (rows !== expected[query]) throw new Error(`expected ${expected[query]} rows, got ${rows}`);
          },
        };
      });

  const latency = {} as Record<QueryName, LatencyResult[]>;
  const latencyDeadline = performance.now() + plan.latency.budgetMs;
  for (const query of Object.keys(QUERIES) as QueryName[]) {
    const results = await measureLatency(variantsFor(query), {
      ...plan.latency,
      deadline: latencyDeadline,
      callTimeoutMs: CALL_TIMEOUT_MS,
    });
    for (const [name, reason] of skipped)
      results.push({ name, samples: [], blockMedians: [], errors: 0, skipped: reason });
    latency[query] = results;
  }
  // A variant that failed its warm-up is left out of the throughput runs too.
  for (const result of latency.select1)
    if (result.skipped && !skipped.has(result.name)) skipped.set(result.name, result.skipped);
  const throughputVariants = variantsFor("select1").filter((v) => v.name !== "b.host");
  const throughput = await measureThroughput(
    throughputVariants,
    {
      ...plan.throughput,
      deadline: performance.now() + plan.throughput.budgetMs,
      callTimeoutMs: CALL_TIMEOUT_MS,
    },
    skipped,
  );
  for (const [name, reason] of skipped) {
    if (!throughput.some((t) => t.name === name))
      throughput.push({ name, perConcurrency: [], skipped: reason });
  }
  for (const p of prepared.values()) await p.close().catch(() => {});

  const data: OneQueryData = {
    latency,
    throughput,
    ratios: {},
    blockRatios: {},
    skipped: Object.fromEntries(skipped),
  };
  const pairs: [string, string, string][] = [
    ["(b)/(d) http", "b.http", "d"],
    ["(b)/(d) sse", "b.sse", "d"],
    ["(b)/(a) http", "b.http", "a"],
    ["native/http", "b.http.tcp", "b.http"],
    ["(c)/(b) http", "c.server", "b.http"],
    ["(c)/(b) http, TLS", "c.server.tls", "b.http.tls"],
    ["(c)/(b) same host", "c.server", "b.host"],
    ["control b.host/b.http", "b.host", "b.http"],
  ];
  for (const query of Object.keys(QUERIES) as QueryName[]) {
    for (const [key, top, bottom] of pairs) {
      data.ratios[`${query}: ${key}`] = ratio(medianOf(data, query, top), medianOf(data, query, bottom));
      const x = latency[query].find((r) => r.name === top)?.blockMedians ?? [];
      const y = latency[query].find((r) => r.name === bottom)?.blockMedians ?? [];
      const perBlock = x
        .map((value, i) => ratio(value, y[i]))
        .filter((value): value is number => value !== undefined);
      data.blockRatios[`${query}: ${key}`] =
        perBlock.length === 0
          ? undefined
          : { min: Math.min(...perBlock), median: median(perBlock), max: Math.max(...perBlock) };
    }
  }

  const describe = new Map(specs.map((s) => [s.name, s.what]));
  const latencyTable: Table = {
    title: "2. One query, concurrency 1: latency (ms)",
    columns: ["Variant", "What", "SELECT 1 median", "p99", "n", "demo query median", "p99", "n"],
    rows: specs.map((spec) => {
      const a = latency.select1.find((r) => r.name === spec.name);
      const b = latency.demo.find((r) => r.name === spec.name);
      if (a?.skipped) return [spec.name, spec.what, `skipped: ${a.skipped}`, "", "", "", "", ""];
      const cells = (r: LatencyResult | undefined) =>
        r?.skipped
          ? [`skipped: ${r.skipped}`, "", ""]
          : [
              fmtMs(r?.summary?.median),
              fmtMs(r?.summary?.p99),
              `${r?.summary?.n ?? 0}${r && r.errors > 0 ? ` (${r.errors} errors: ${r.firstError})` : ""}`,
            ];
      return [spec.name, describe.get(spec.name) ?? "", ...cells(a), ...cells(b)];
    }),
    notes: [
      `Blocks of ${plan.latency.perBlock} calls per variant, ${plan.latency.blocks} blocks interleaved in rotating ` +
        `order after ${plan.latency.warmup} warm-up calls each. Every answer's row count is checked. demo query: ` +
        "a join + GROUP BY over demo.orders (2000 rows) and demo.products. In-process c.* variants have no MCP hop.",
    ],
  };
  const ratioTable: Table = {
    title: "2. Ratios (concurrency 1)",
    columns: [
      "Ratio",
      "SELECT 1",
      "per block: min / median / max",
      "demo query",
      "per block: min / median / max",
    ],
    rows: [
      ["(b)/(d) Streamable HTTP", "(b)/(d) http"],
      ["(b)/(d) SSE", "(b)/(d) sse"],
      ["(b)/(a) Streamable HTTP", "(b)/(a) http"],
      ["(b) native protocol / (b) HTTP to ClickHouse", "native/http"],
      ["(c)/(b) Streamable HTTP, no TLS", "(c)/(b) http"],
      ["(c)/(b) Streamable HTTP, TLS to ClickHouse", "(c)/(b) http, TLS"],
      ["(c)/(b) both in the bench host", "(c)/(b) same host"],
      ["control: b.host / b.http (should be ~1)", "control b.host/b.http"],
    ].map(([label, key]) => {
      const spread = (query: QueryName) => {
        const r = data.blockRatios[`${query}: ${key}`];
        return r ? `${r.min.toFixed(2)} / ${r.median.toFixed(2)} / ${r.max.toFixed(2)}` : "–";
      };
      return [
        label as string,
        fmtRatio(data.ratios[`select1: ${key}`]),
        spread("select1"),
        fmtRatio(data.ratios[`demo: ${key}`]),
        spread("demo"),
      ];
    }),
    notes: [
      "Ratio of the overall medians; beside it the same ratio computed block by block (both variants of a block " +
        "ran within seconds of each other), whose spread shows how much the machine's noise moves it.",
    ],
  };
  const throughputTable: Table = {
    title: "2. Throughput, SELECT 1 (calls/s)",
    columns: ["Variant", ...plan.throughput.concurrency.map((c) => `concurrency ${c}`)],
    rows: specs
      .filter((spec) => spec.name !== "b.host")
      .map((spec) => {
        const t = throughput.find((r) => r.name === spec.name);
        if (!t || t.skipped)
          return [
            spec.name,
            `skipped: ${t?.skipped ?? "not run"}`,
            ...plan.throughput.concurrency.slice(1).map(() => ""),
          ];
        return [
          spec.name,
          ...plan.throughput.concurrency.map((c) => {
            const entry = t.perConcurrency.find((p) => p.concurrency === c);
            return entry
              ? `${fmtRate(entry.callsPerSecond)}${entry.errors ? ` (${entry.errors} errors)` : ""}`
              : "–";
          }),
        ];
      }),
    notes: [
      `${plan.throughput.rounds} round(s) of ${plan.throughput.durationMs} ms per variant and concurrency, interleaved; ` +
        "median over rounds. Our pool and @clickhouse/client both open at most 10 sockets per connection by default.",
    ],
  };
  return {
    name: "one-query",
    durationMs: performance.now() - started,
    skipped: [...skipped.entries()].map(([name, reason]) => `${name}: ${reason}`),
    data,
    tables: [latencyTable, ratioTable, throughputTable],
  };
}
