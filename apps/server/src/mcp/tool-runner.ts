import type { CallToolResult, ServerContext } from "@modelcontextprotocol/server";
import type { EffectiveLimits } from "./effective-limits.js";
import { callSignal, type McpContext } from "./mcp-context.js";
import { progressReporter } from "./progress.js";
import type { AnyToolDefinition, ToolCall } from "./tool-definition.js";
import { type ToolError, toolErrorResult } from "./tool-errors.js";

/** How one call reached the tool: its signal, progress when asked for, and the caller's log channel. */
export interface Invocation extends ToolCall {
  /** Messages for whoever watches the caller (MCP client logging); best effort. */
  log?: (level: "warning" | "error", text: string) => void;
  /** Told how a failed call was mapped (its code and text), for surfaces that answer with a status (OpenAPI). */
  onFailure?: (error: ToolError) => void;
}

/**
 * Runs one tool call: a pooled client for the context's connection, cancellation, the log line,
 * metrics and error mapping.
 */
export type ToolRunner = (
  tool: AnyToolDefinition,
  args: unknown,
  invocation: Invocation,
) => Promise<CallToolResult>;

export function createToolRunner(ctx: McpContext): ToolRunner {
  const { pool, connection, logger, metrics } = ctx;
  return async (tool, args, invocation) => {
    const started = performance.now();
    const signal = callSignal(ctx, invocation.signal);
    const call: ToolCall = { signal, ...(invocation.onProgress && { onProgress: invocation.onProgress }) };
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await pool.withClient(connection, (client) => tool.run(client, args, call));
      const durationMs = Math.round(seconds() * 1000);
      metrics.recordToolCall(tool.name, "ok", seconds());
      const truncated = (
        result.structuredContent as { truncated?: { reason: string; limit: number } } | undefined
      )?.truncated;
      logger.info(
        { tool: tool.name, outcome: "ok", durationMs, ...(truncated && { partial: true }) },
        "tool call",
      );
      if (truncated) {
        invocation.log?.(
          "warning",
          `${tool.name}: the result was cut at the ${truncated.reason} cap of ${truncated.limit}`,
        );
      }
      return result;
    } catch (error) {
      const mapped = toolErrorResult(error, signal);
      const durationMs = Math.round(seconds() * 1000);
      metrics.recordToolCall(tool.name, mapped.outcome, seconds());
      logger.info({ tool: tool.name, outcome: mapped.outcome, durationMs, ...mapped.log }, "tool call");
      if (mapped.outcome !== "cancelled") invocation.log?.("error", `${tool.name}: ${mapped.text}`);
      invocation.onFailure?.(mapped);
      return mapped.result;
    }
  };
}

/**
 * The invocation of an MCP request: the SDK's signal, progress when the request carries a progress
 * token, and `notifications/message` at the level the client asked for (deprecated in 2026-07-28,
 * so never a reason to fail a call).
 */
export function mcpInvocation(request: ServerContext): Invocation {
  const onProgress = progressReporter(request);
  return {
    signal: request.mcpReq.signal,
    ...(onProgress && { onProgress }),
    log: (level, text) => {
      request.mcpReq.log(level, text, "clickhouse").catch(() => {});
    },
  };
}

/**
 * The query options of a call: the limits that are set, the call's signal, and progress reports
 * when the caller asked for them.
 */
export function queryOptions(limits: EffectiveLimits, call: ToolCall) {
  const { readOnly: _readOnly, ...caps } = limits;
  return { ...caps, signal: call.signal, ...(call.onProgress && { onProgress: call.onProgress }) };
}
