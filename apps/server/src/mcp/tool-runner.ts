import type { PooledClient } from "@mcp/clickhouse";
import type { CallToolResult, ServerContext } from "@modelcontextprotocol/server";
import type { EffectiveLimits } from "./effective-limits.js";
import { callSignal, type McpContext } from "./mcp-context.js";
import { progressReporter } from "./progress.js";
import { toolErrorResult } from "./tool-errors.js";

/** What a tool body gets besides its pooled client. */
export interface ToolCall {
  /** Aborts when the client cancels the call, the transport closes, or the server's context aborts. */
  signal: AbortSignal;
  /** The SDK's context of the request (progress token, log level, envelope). */
  request: ServerContext;
}

/**
 * Runs one tool call: a pooled client for the context's connection, cancellation, the log line,
 * metrics and error mapping.
 */
export type ToolRunner = (
  tool: string,
  request: ServerContext,
  fn: (client: PooledClient, call: ToolCall) => Promise<CallToolResult>,
) => Promise<CallToolResult>;

/** What a tool registers with: its limits and the runner. */
export interface ToolDeps {
  limits: EffectiveLimits;
  run: ToolRunner;
}

/**
 * A `notifications/message` for the client, when it asked for that level. Best effort: logging is
 * an aid for whoever watches the client (deprecated in 2026-07-28), never a reason to fail a call.
 */
function logToClient(request: ServerContext, level: "warning" | "error", data: string): void {
  request.mcpReq.log(level, data, "clickhouse").catch(() => {});
}

export function createToolRunner(ctx: McpContext): ToolRunner {
  const { pool, connection, logger, metrics } = ctx;
  return async (tool, request, fn) => {
    const started = performance.now();
    const signal = callSignal(ctx, request.mcpReq.signal);
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await pool.withClient(connection, (client) => fn(client, { signal, request }));
      const durationMs = Math.round(seconds() * 1000);
      metrics.recordToolCall(tool, "ok", seconds());
      const truncated = (
        result.structuredContent as { truncated?: { reason: string; limit: number } } | undefined
      )?.truncated;
      logger.info({ tool, outcome: "ok", durationMs, ...(truncated && { partial: true }) }, "tool call");
      if (truncated) {
        logToClient(
          request,
          "warning",
          `${tool}: the result was cut at the ${truncated.reason} cap of ${truncated.limit}`,
        );
      }
      return result;
    } catch (error) {
      const mapped = toolErrorResult(error, signal);
      const durationMs = Math.round(seconds() * 1000);
      metrics.recordToolCall(tool, mapped.outcome, seconds());
      logger.info({ tool, outcome: mapped.outcome, durationMs, ...mapped.log }, "tool call");
      if (mapped.outcome !== "cancelled") logToClient(request, "error", `${tool}: ${mapped.text}`);
      return mapped.result;
    }
  };
}

/**
 * The query options of a call: the limits that are set, the call's signal, and progress reports
 * when the client asked for them.
 */
export function queryOptions(limits: EffectiveLimits, call: ToolCall) {
  const { readOnly: _readOnly, ...caps } = limits;
  const onProgress = progressReporter(call.request);
  return { ...caps, signal: call.signal, ...(onProgress && { onProgress }) };
}

/** A tool result: `value` as structured content, and `text` (see result-text.ts) for the model. */
export function structured<T extends Record<string, unknown>>(value: T, text: string): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: value };
}
