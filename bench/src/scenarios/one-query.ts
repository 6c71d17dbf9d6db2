import { readFile } from "node:fs/promises";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import type { ConnectionClaims } from "@mcp/jwe";
import { answerRows, CALL_TIMEOUT_MS, connectClient, executeQuery } from "../mcp-clients.js";
import {
  errorText,
  type LatencyResult,
  measureLatency,
  measureThroughput,
  type Variant,
} from "../measure.js";
import type { Plan } from "../plan.js";
import { createReferenceStrategyPool } from "../reference-strategy.js";
import type { ScenarioReport } from "../report.js";
import {
  type BenchEnv,
  benchClaims,
  mint,
  serverBuilt,
  startBinaryServer,
  startServerHost,
  startThinServer,
  startTlsProxy,
  tlsClaims,
} from "../setup.js";
import { median, ratio } from "../stats.js";
import { oneQueryTables } from "./one-query-tables.js";
import {
  type Endpoint,
  medianOf,
  type OneQueryData,
  QUERIES,
  type QueryName,
  RATIOS,
  type ServerName,
  VARIANTS,
  type VariantRow,
} from "./one-query-variants.js";

export { medianOf, type OneQueryData, QUERIES, type QueryName } from "./one-query-variants.js";

/** A variant's call, built once. */
interface Prepared {
  run: (sql: string) => Promise<number>;
  close: () => Promise<void>;
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
  const servers: Record<ServerName, [{ url: string } | undefined, string]> = {
    thin: [thin, "thin server"],
    binary: [binary, "server"],
    hostPool: [hostPool, "server host (pool)"],
    hostReference: [hostReference, "server host (reference)"],
  };
  const tokens = {
    plain: () => plainToken,
    native: () => nativeToken,
    tls: () => need(tlsToken, "TLS proxy"),
  };
  const endpoint = (to: Endpoint): { url: string; ca?: Buffer } =>
    to === "tls" ? { url: need(proxy, "TLS proxy").url, ca } : { url: env.clickhouse.url };
  /** The protocol revision each MCP variant's client negotiated. */
  const protocols = new Map<string, string>();
  /** Builds a variant's call once; throwing marks it skipped with the reason. */
  const prepare = async (variant: VariantRow): Promise<Prepared> => {
    switch (variant.via) {
      case "raw": {
        const { url, ca } = endpoint(variant.to);
        const client = rawClient(url, env, ca);
        return { run: (sql) => rawRows(client, sql), close: () => client.close() };
      }
      case "fresh": {
        const { url, ca } = endpoint(variant.to);
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
      }
      case "pool": {
        const claims =
          variant.to === "tls" ? (need(proxyClaims, "TLS proxy") as ConnectionClaims) : plainClaims;
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
      }
      case "mcp": {
        const [server, what] = servers[variant.server];
        const base = need(server, what).url;
        const path = variant.token
          ? `/${tokens[variant.token]()}/${variant.client === "sse" ? "sse" : "mcp"}`
          : "/mcp";
        const client = await connectClient(`${base}${path}`, variant.client);
        protocols.set(variant.name, client.protocolVersion);
        return {
          run: async (sql: string) => answerRows(await executeQuery(client, sql)).length,
          close: () => client.close(),
        };
      }
    }
  };

  // The right row count, from ClickHouse itself, so every variant's answer can be checked.
  const expected = {} as Record<QueryName, number>;
  for (const [name, sql] of Object.entries(QUERIES) as [QueryName, string][]) {
    expected[name] = await rawRows(env.admin, sql);
  }

  const prepared = new Map<string, Prepared>();
  const skipped = new Map<string, string>();
  for (const spec of VARIANTS) {
    try {
      prepared.set(spec.name, await prepare(spec));
    } catch (error) {
      skipped.set(spec.name, errorText(error));
    }
  }
  const variantsFor = (query: QueryName): Variant[] =>
    VARIANTS.filter((spec) => prepared.has(spec.name)).map((spec) => {
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
    protocols: Object.fromEntries(protocols),
  };
  for (const query of Object.keys(QUERIES) as QueryName[]) {
    for (const { key, top, bottom } of RATIOS) {
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

  const tables = oneQueryTables(plan, data);
  return {
    name: "one-query",
    durationMs: performance.now() - started,
    skipped: [...skipped.entries()].map(([name, reason]) => `${name}: ${reason}`),
    data,
    tables,
  };
}
