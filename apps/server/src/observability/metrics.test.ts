import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";

describe("metrics", () => {
  it("renders counters, the histogram, the SSE gauge and pool stats in Prometheus text format", () => {
    const metrics = createMetrics();
    metrics.recordRequest("GET", "/<redacted>/sse", 200);
    metrics.recordRequest("GET", "/<redacted>/sse", 200);
    metrics.recordToolCall("execute_query", "ok", 0.02);
    metrics.recordToolCall("execute_query", "error", 3);
    metrics.recordTokenRejection("TOKEN_EXPIRED");
    metrics.sseSessionOpened();
    metrics.sseSessionOpened();
    metrics.sseSessionClosed();
    metrics.setPoolStats(() => ({ size: 2, inFlight: 1, evictions: { lru: 3, idle: 0 } }));
    const text = metrics.render();
    expect(text).toContain("# TYPE mcp_http_requests_total counter");
    expect(text).toContain('mcp_http_requests_total{method="GET",route="/<redacted>/sse",status="200"} 2');
    expect(text).toContain('mcp_tool_calls_total{tool="execute_query",outcome="ok"} 1');
    expect(text).toContain("# TYPE mcp_tool_call_duration_seconds histogram");
    expect(text).toContain('mcp_tool_call_duration_seconds_bucket{tool="execute_query",le="0.025"} 1');
    expect(text).toContain('mcp_tool_call_duration_seconds_bucket{tool="execute_query",le="5"} 2');
    expect(text).toContain('mcp_tool_call_duration_seconds_bucket{tool="execute_query",le="+Inf"} 2');
    expect(text).toContain('mcp_tool_call_duration_seconds_sum{tool="execute_query"} 3.02');
    expect(text).toContain('mcp_token_rejections_total{reason="TOKEN_EXPIRED"} 1');
    expect(text).toContain("mcp_sse_sessions_open 1");
    expect(text).toContain("mcp_clickhouse_pool_size 2");
    expect(text).toContain("mcp_clickhouse_pool_in_flight 1");
    expect(text).toContain("mcp_clickhouse_pool_evictions_lru 3");
    expect(text.endsWith("\n")).toBe(true);
  });

  it("escapes label values", () => {
    const metrics = createMetrics();
    metrics.recordRequest('G"E\\T', "/x\ny", 200);
    expect(metrics.render()).toContain('method="G\\"E\\\\T",route="/x\\ny"');
  });
});
