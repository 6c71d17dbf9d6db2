import type { PooledClient } from "@mcp/clickhouse";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { EffectiveLimits } from "./effective-limits.js";
import { callSignal, type McpContext } from "./mcp-context.js";
import { toolErrorResult } from "./tool-errors.js";

/**
 * Runs one tool call: a pooled client for the context's connection, cancellation, the log line,
 * metrics and error mapping. `callAbort` is the SDK's signal for the call (notifications/cancelled,
 * transport closed).
 */
export type ToolRunner = (
  tool: string,
  callAbort: AbortSignal,
  fn: (client: PooledClient, signal: AbortSignal) => Promise<CallToolResult>,
) => Promise<CallToolResult>;

/** What a tool registers with: its limits and the runner. */
export interface ToolDeps {
  limits: EffectiveLimits;
  run: ToolRunner;
}

export function createToolRunner(ctx: McpContext): ToolRunner {
  const { pool, connection, logger, metrics } = ctx;
  return async (tool, callAbort, fn) => {
    const started = performance.now();
    const signal = callSignal(ctx, callAbort);
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await pool.withClient(connection, (client) => fn(client, signal));
      const durationMs = Math.round(seconds() * 1000);
      metrics.recordToolCall(tool, "ok", seconds());
      const partial =
        (result.structuredContent as { truncated?: unknown } | undefined)?.truncated !== undefined;
      logger.info({ tool, outcome: "ok", durationMs, ...(partial && { partial }) }, "tool call");
      return result;
    } catch (error) {
      const mapped = toolErrorResult(error, signal);
      const durationMs = Math.round(seconds() * 1000);
      metrics.recordToolCall(tool, mapped.outcome, seconds());
      logger.info({ tool, outcome: mapped.outcome, durationMs, ...mapped.log }, "tool call");
      return mapped.result;
    }
  };
}

/** The query options of a call: the limits that are set, and the call's signal. */
export function queryOptions(limits: EffectiveLimits, signal: AbortSignal) {
  const { readOnly: _readOnly, ...caps } = limits;
  return { ...caps, signal };
}

/** A tool result carrying `value` as structured content and as JSON text, plus an optional note. */
export function structured<T extends Record<string, unknown>>(value: T, note?: string): CallToolResult {
  const content: CallToolResult["content"] = [{ type: "text", text: JSON.stringify(value) }];
  if (note) content.push({ type: "text", text: note });
  return { content, structuredContent: value };
}
