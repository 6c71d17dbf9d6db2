import type { ClientKind } from "../mcp-clients.js";
import type { LatencyResult, ThroughputResult } from "../measure.js";

export const QUERIES = {
  select1: "SELECT 1 AS one",
  demo:
    "SELECT p.category AS category, count() AS orders, sum(o.quantity) AS units " +
    "FROM demo.orders AS o INNER JOIN demo.products AS p ON o.product_id = p.product_id " +
    "WHERE o.status != 'cancelled' GROUP BY category ORDER BY orders DESC",
} as const;
export type QueryName = keyof typeof QUERIES;

/** ClickHouse directly (`plain`) or through the test harness's TLS proxy (`tls`). */
export type Endpoint = "plain" | "tls";
/** The servers the scenario starts: the thin v2 SDK server, our binary, and the bench host with either pool. */
export type ServerName = "thin" | "binary" | "hostPool" | "hostReference";

/**
 * One variant: `raw`, a warm @clickhouse/client; `pool`, in-process without MCP, the reference
 * strategy through our pool code; `fresh`, in-process without MCP, a new @clickhouse/client + ping +
 * query + close on every call; `mcp`, an MCP client of a server (`client`: see `ClientKind`), on
 * `/mcp` without `token`, else on `/<token>/mcp` (or `/<token>/sse`).
 */
export type VariantRow = { name: string; what: string } & (
  | { via: "raw" | "pool" | "fresh"; to: Endpoint }
  | { via: "mcp"; server: ServerName; client: ClientKind; token?: "plain" | "native" | "tls" }
);

/** Every variant, in report order. */
export const VARIANTS: readonly VariantRow[] = [
  { name: "a", what: "(a) raw @clickhouse/client, warm", via: "raw", to: "plain" },
  {
    name: "d",
    what: "(d) thinnest v2 SDK server (createMcpHandler), Streamable HTTP, v2 client",
    via: "mcp",
    server: "thin",
    client: "http",
  },
  {
    name: "d.2025",
    what: "(d) the same server's stateless 2025 fallback, Streamable HTTP, v1 client (initialize)",
    via: "mcp",
    server: "thin",
    client: "http-2025",
  },
  {
    name: "b.http",
    what: "(b) our server, Streamable HTTP",
    via: "mcp",
    server: "binary",
    client: "http",
    token: "plain",
  },
  // The same user and database over the native protocol (issue #8): the server's tcp driver.
  {
    name: "b.http.tcp",
    what: "(b) our server, Streamable HTTP, native protocol to ClickHouse",
    via: "mcp",
    server: "binary",
    client: "http",
    token: "native",
  },
  {
    name: "b.sse",
    what: "(b) our server, SSE, v1 client",
    via: "mcp",
    server: "binary",
    client: "sse",
    token: "plain",
  },
  {
    name: "b.host",
    what: "(b) control: our runtime (createRuntime) in the bench host, real pool, Streamable HTTP",
    via: "mcp",
    server: "hostPool",
    client: "http",
    token: "plain",
  },
  {
    name: "c.server",
    what: "(c) our app, reference strategy (new client + ping + query + close), Streamable HTTP",
    via: "mcp",
    server: "hostReference",
    client: "http",
    token: "plain",
  },
  {
    name: "c.pool",
    what: "(c) in-process, no MCP: reference strategy through our pool code",
    via: "pool",
    to: "plain",
  },
  {
    name: "c.client",
    what: "(c) in-process, no MCP: new @clickhouse/client + ping + query + close",
    via: "fresh",
    to: "plain",
  },
  { name: "a.tls", what: "(a) raw @clickhouse/client, warm, TLS", via: "raw", to: "tls" },
  {
    name: "b.http.tls",
    what: "(b) our server, Streamable HTTP, TLS to ClickHouse",
    via: "mcp",
    server: "binary",
    client: "http",
    token: "tls",
  },
  {
    name: "c.server.tls",
    what: "(c) our app, reference strategy, Streamable HTTP, TLS to ClickHouse",
    via: "mcp",
    server: "hostReference",
    client: "http",
    token: "tls",
  },
  {
    name: "c.pool.tls",
    what: "(c) in-process: reference strategy through our pool code, TLS",
    via: "pool",
    to: "tls",
  },
  {
    name: "c.client.tls",
    what: "(c) in-process: new @clickhouse/client + ping + query + close, TLS",
    via: "fresh",
    to: "tls",
  },
];

/** Ratios of two variants' latencies: `key` names them in the data, `label` in the report. */
export const RATIOS: readonly { key: string; label: string; top: string; bottom: string }[] = [
  { key: "(b)/(d) http", label: "(b)/(d) Streamable HTTP", top: "b.http", bottom: "d" },
  // No SSE floor exists (the v2 SDK serves no legacy SSE): SSE is held against the floor in the same
  // era and with the same v1 client, over Streamable HTTP.
  { key: "(b)/(d) sse", label: "(b)/(d) SSE (floor: d.2025)", top: "b.sse", bottom: "d.2025" },
  {
    key: "(d) 2025/current",
    label: "floor: d.2025 / d (the 2025 fallback against the current protocol)",
    top: "d.2025",
    bottom: "d",
  },
  { key: "(b)/(a) http", label: "(b)/(a) Streamable HTTP", top: "b.http", bottom: "a" },
  {
    key: "native/http",
    label: "(b) native protocol / (b) HTTP to ClickHouse",
    top: "b.http.tcp",
    bottom: "b.http",
  },
  { key: "(c)/(b) http", label: "(c)/(b) Streamable HTTP, no TLS", top: "c.server", bottom: "b.http" },
  {
    key: "(c)/(b) http, TLS",
    label: "(c)/(b) Streamable HTTP, TLS to ClickHouse",
    top: "c.server.tls",
    bottom: "b.http.tls",
  },
  { key: "(c)/(b) same host", label: "(c)/(b) both in the bench host", top: "c.server", bottom: "b.host" },
  {
    key: "control b.host/b.http",
    label: "control: b.host / b.http (should be ~1)",
    top: "b.host",
    bottom: "b.http",
  },
];

export interface OneQueryData {
  latency: Record<QueryName, LatencyResult[]>;
  throughput: ThroughputResult[];
  /** Ratio of the two variants' overall medians. */
  ratios: Record<string, number | undefined>;
  /** The same ratio block by block (the two medians of one block were measured minutes apart at most). */
  blockRatios: Record<string, { min: number; median: number; max: number } | undefined>;
  skipped: Record<string, string>;
  /** The protocol revision each MCP variant's client negotiated. */
  protocols: Record<string, string>;
}

/** Median latency of one variant for one query (ms), if it ran. */
export function medianOf(data: OneQueryData, query: QueryName, name: string): number | undefined {
  return data.latency[query].find((r) => r.name === name)?.summary?.median;
}
