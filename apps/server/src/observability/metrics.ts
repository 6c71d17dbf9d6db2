/**
 * A tiny Prometheus registry: counters, one gauge and one histogram, rendered in the text
 * exposition format. Label values only ever come from small fixed sets (route templates,
 * tool names, outcomes, error codes), never from a token, a password or a raw path.
 */

export type ToolOutcome = "ok" | "error" | "cancelled";

export interface Metrics {
  render(): string;
  recordRequest(method: string, route: string, status: number): void;
  recordToolCall(tool: string, outcome: ToolOutcome, durationSeconds: number): void;
  recordTokenRejection(reason: string): void;
  sseSessionOpened(): void;
  sseSessionClosed(): void;
  /** Registers a source of pool gauges, read at every render: numbers, or objects of numbers (one level). */
  setPoolStats(source: () => object): void;
}

const QUERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

type Labels = Record<string, string>;

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function formatNumber(value: number): string {
  if (Number.isFinite(value)) return String(value);
  return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
}

class Counter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels, by = 1): void {
    const key = labelText(labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels, value: by });
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) {
      lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    }
    return lines;
  }
}

class Histogram {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) series.counts[i] = (series.counts[i] as number) + 1;
    }
    series.sum += value;
    series.count += 1;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(bound) })} ${counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines;
  }
}

function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^a-zA-Z0-9_]/g, "_")
    .toLowerCase();
}

function flattenNumbers(source: object): [string, number][] {
  const out: [string, number][] = [];
  for (const [key, value] of Object.entries(source)) {
    if (typeof value === "number") out.push([key, value]);
    else if (typeof value === "object" && value !== null) {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (typeof innerValue === "number") out.push([`${key}_${inner}`, innerValue]);
      }
    }
  }
  return out;
}

export function createMetrics(): Metrics {
  const requests = new Counter(
    "mcp_http_requests_total",
    "HTTP requests by method, route template and status.",
  );
  const toolCalls = new Counter("mcp_tool_calls_total", "MCP tool calls by tool and outcome.");
  const toolDuration = new Histogram(
    "mcp_tool_call_duration_seconds",
    "Duration of MCP tool calls (ClickHouse query latency included) by tool.",
    QUERY_BUCKETS,
  );
  const rejections = new Counter("mcp_token_rejections_total", "Tokens refused at the transport, by reason.");
  let sseSessions = 0;
  let poolStats: (() => object) | undefined;

  return {
    recordRequest(method, route, status) {
      requests.inc({ method, route, status: String(status) });
    },
    recordToolCall(tool, outcome, durationSeconds) {
      toolCalls.inc({ tool, outcome });
      toolDuration.observe({ tool }, durationSeconds);
    },
    recordTokenRejection(reason) {
      rejections.inc({ reason });
    },
    sseSessionOpened() {
      sseSessions += 1;
    },
    sseSessionClosed() {
      sseSessions = Math.max(0, sseSessions - 1);
    },
    setPoolStats(source) {
      poolStats = source;
    },
    render() {
      const lines = [
        ...requests.render(),
        ...toolCalls.render(),
        ...toolDuration.render(),
        ...rejections.render(),
        "# HELP mcp_sse_sessions_open Open legacy SSE sessions.",
        "# TYPE mcp_sse_sessions_open gauge",
        `mcp_sse_sessions_open ${sseSessions}`,
      ];
      if (poolStats) {
        for (const [key, value] of flattenNumbers(poolStats())) {
          const name = `mcp_clickhouse_pool_${snakeCase(key)}`;
          lines.push(`# HELP ${name} ClickHouse client pool: ${key}.`, `# TYPE ${name} gauge`);
          lines.push(`${name} ${formatNumber(value)}`);
        }
      }
      return `${lines.join("\n")}\n`;
    },
  };
}
