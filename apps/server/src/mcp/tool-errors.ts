/**
 * The one place where errors become MCP tool results (and resource-read errors). Client-visible
 * text is built from fixed strings and from the packages' messages, which never carry a token, a
 * password or a secret; messages are still bounded, and stacks never leave the server.
 */
import type { DatabaseErrorCode } from "@mcp/clickhouse";
import { isDatabaseError } from "@mcp/clickhouse";
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { ToolOutcome } from "../observability/metrics.js";

const MAX_MESSAGE_CHARS = 1000;

export function boundMessage(message: string, max = MAX_MESSAGE_CHARS): string {
  const clean = message.replace(/\s+/g, " ").trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

const OUTCOME_BY_CODE: Partial<Record<DatabaseErrorCode, ToolOutcome>> = {
  QUERY_CANCELLED: "cancelled",
};

/** Hints appended to errors the model can fix by changing its call. */
const HINTS: Partial<Record<DatabaseErrorCode, string>> = {
  READ_ONLY_VIOLATION:
    "This connection is read-only: send one SELECT, SHOW, DESCRIBE, EXISTS or EXPLAIN statement, without table functions that reach files or the network and without SETTINGS that change limits.",
  QUERY_TIMEOUT: "The query hit the execution time limit: add filters or a LIMIT.",
  QUERY_TOO_LARGE: "The SQL text is longer than the server allows.",
  SETTING_NOT_ALLOWED: "Remove the setting from the call.",
  READ_BUDGET_EXCEEDED:
    "Call execute_query with estimate: true to see what the query would read, and narrow it to fit the budget.",
};

export interface ToolError {
  result: CallToolResult;
  /** The result's text, for logging it to the client too. */
  text: string;
  outcome: ToolOutcome;
  /** Safe fields for the tool-call log line. */
  log: { code: string; clickhouseCode?: number; clickhouseType?: string };
}

/**
 * An `isError` tool result for anything a tool handler throws. Database errors keep their code,
 * ClickHouse code/type and bounded message; anything else becomes a generic internal error, since
 * its message was not written to be shown.
 */
export function toolErrorResult(error: unknown, signal?: AbortSignal): ToolError {
  if (isDatabaseError(error)) {
    const parts = [`Error ${error.code}`];
    if (error.clickhouseCode !== undefined || error.clickhouseType !== undefined) {
      parts.push(
        `(ClickHouse ${[error.clickhouseCode, error.clickhouseType].filter((p) => p !== undefined).join(" ")})`,
      );
    }
    let text = `${parts.join(" ")}: ${boundMessage(error.message)}`;
    const hint = HINTS[error.code];
    if (hint) text += ` ${hint}`;
    const log: ToolError["log"] = { code: error.code };
    if (error.clickhouseCode !== undefined) log.clickhouseCode = error.clickhouseCode;
    if (error.clickhouseType !== undefined) log.clickhouseType = error.clickhouseType;
    return {
      result: { isError: true, content: [{ type: "text", text }] },
      text,
      outcome: signal?.aborted ? "cancelled" : (OUTCOME_BY_CODE[error.code] ?? "error"),
      log,
    };
  }
  if (signal?.aborted)
    return fixed("Error QUERY_CANCELLED: the request was cancelled", "cancelled", "QUERY_CANCELLED");
  return fixed("Error INTERNAL: the server failed to run this tool", "error", "INTERNAL");
}

function fixed(text: string, outcome: ToolOutcome, code: string): ToolError {
  return { result: { isError: true, content: [{ type: "text", text }] }, text, outcome, log: { code } };
}
