import type { SettingValue } from "../drivers/driver.js";
import { DatabaseError } from "../errors/database-error.js";
import { checkQueryParams } from "./query-params.js";
import { readBudgetSettings } from "./read-budget.js";
import type { ProfileReadonly } from "./readonly-profile.js";
import type { QueryRun } from "./run-query.js";
import { checkReadOnlyStatement } from "./sql/read-only-check.js";
import { analyzeStatement, type StatementAnalysis } from "./sql/statement.js";
import type { QueryOptions } from "./types.js";

// What a caller's query may be and what it is sent with: option checks, the statement checks
// (one statement, read-only forms, table functions, SETTINGS clauses), the settings allow-list,
// and the limits turned into ClickHouse settings for what the user's profile accepts.

// ClickHouse counts result bytes in memory, where a value can be several times larger than its
// JSON (a zero Int256 is 32 bytes vs `"0",`). A generous multiple keeps the server from stopping
// before the exact client-side byte cut.
const SERVER_BYTES_FACTOR = 8;

/** Caller mistakes in the options: plain TypeErrors. */
export function checkQueryOptions(options: QueryOptions): void {
  const positiveInteger = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new TypeError(`${name} must be a positive integer`);
    }
  };
  positiveInteger("maxRows", options.maxRows);
  positiveInteger("maxBytes", options.maxBytes);
  positiveInteger("maxQueryLength", options.maxQueryLength);
  positiveInteger("maxMemoryUsage", options.maxMemoryUsage);
  positiveInteger("maxRowsToRead", options.maxRowsToRead);
  positiveInteger("maxBytesToRead", options.maxBytesToRead);
  if (options.maxExecutionTime !== undefined && !(options.maxExecutionTime > 0)) {
    throw new TypeError("maxExecutionTime must be a positive number of seconds");
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new TypeError("onProgress must be a function");
  }
}

/**
 * Everything checked before any network access: length, one statement, the read-only forms and
 * what a read may contain, and the settings allow-list. Returns the statement to send.
 */
export function checkQuery(sql: string, options: QueryOptions): StatementAnalysis {
  if (options.maxQueryLength !== undefined && Buffer.byteLength(sql, "utf8") > options.maxQueryLength) {
    throw new DatabaseError(
      "QUERY_TOO_LARGE",
      `The query is longer than the limit of ${options.maxQueryLength} bytes`,
    );
  }
  const analysis = analyzeStatement(sql);
  if (analysis.statementCount > 1) {
    throw new DatabaseError(
      options.readOnly ? "READ_ONLY_VIOLATION" : "INVALID_QUERY",
      "Only one statement per query is allowed",
    );
  }
  if (options.readOnly && analysis.kind !== "read") {
    throw new DatabaseError(
      "READ_ONLY_VIOLATION",
      `Read-only mode allows only SELECT, WITH … SELECT, SHOW, DESCRIBE, EXISTS and EXPLAIN (got ${analysis.keyword})`,
    );
  }
  // Before anything is sent, and whatever the user's profile: ClickHouse's own readonly=1 lets
  // DESCRIBE run a table function's schema inference, and users whose profile is readonly=2
  // get no `readonly` setting from us at all (see querySettings).
  if (options.readOnly) {
    checkReadOnlyStatement(analysis.statement, {
      ...(options.allowedSettings && { allowedSettings: options.allowedSettings }),
      ...(options.callableViews && { callableViews: options.callableViews }),
    });
  }
  if (options.params !== undefined) checkQueryParams(options.params);
  for (const name of Object.keys(options.settings ?? {})) {
    if (!options.allowedSettings?.includes(name)) {
      throw new DatabaseError("SETTING_NOT_ALLOWED", `The setting "${name}" is not allowed`);
    }
  }
  return analysis;
}

/**
 * The settings a query carries, or undefined for users who may not be sent any (profile
 * readonly=1): the caller's settings, the limits as server settings, and `readonly` for
 * read-only queries where the profile allows changing it.
 */
export function querySettings(
  run: QueryRun,
  profileLevel: ProfileReadonly,
  readOnlyLevel: 1 | 2,
): Record<string, SettingValue> | undefined {
  if (profileLevel === 1) return undefined;
  const settings: Record<string, SettingValue> = { ...run.settings };
  if (run.maxExecutionTime !== undefined) settings.max_execution_time = run.maxExecutionTime;
  if (run.maxMemoryUsage !== undefined) settings.max_memory_usage = run.maxMemoryUsage;
  if (run.kind === "read") {
    if (run.maxRows !== undefined) {
      // One more than the cap, so that a result of exactly maxRows is not reported as cut.
      settings.max_result_rows = run.maxRows + 1;
      settings.result_overflow_mode = "break";
    }
    if (run.maxBytes !== undefined) {
      settings.max_result_bytes = run.maxBytes * SERVER_BYTES_FACTOR;
      settings.result_overflow_mode = "break";
    }
    Object.assign(settings, readBudgetSettings(run));
  }
  if (run.readOnly && profileLevel === 0) settings.readonly = readOnlyLevel;
  return settings;
}
