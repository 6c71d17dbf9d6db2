import type { ProgressTotals, SettingValue } from "../drivers/driver.js";
import { DatabaseError } from "../errors/database-error.js";

// The read budget of a read: at most so many rows and bytes read from tables (not returned),
// sent to ClickHouse as `max_rows_to_read` / `max_bytes_to_read` with `read_overflow_mode =
// 'throw'`, so that ClickHouse refuses a scan before it starts where its index analysis already
// shows it is too large (MergeTree, `numbers()`), and stops it at the first block over the budget
// otherwise. Users who cannot be sent settings (a profile with readonly=1) are held to it on the
// client side, from the query's progress (see ReadBudgetWatch).

export interface ReadBudget {
  maxRowsToRead?: number;
  maxBytesToRead?: number;
}

/** The budget as ClickHouse settings (nothing when there is none). */
export function readBudgetSettings(budget: ReadBudget): Record<string, SettingValue> {
  const settings: Record<string, SettingValue> = {};
  if (budget.maxRowsToRead !== undefined) settings.max_rows_to_read = budget.maxRowsToRead;
  if (budget.maxBytesToRead !== undefined) settings.max_bytes_to_read = budget.maxBytesToRead;
  if (Object.keys(settings).length > 0) settings.read_overflow_mode = "throw";
  return settings;
}

export function hasReadBudget(budget: ReadBudget): boolean {
  return budget.maxRowsToRead !== undefined || budget.maxBytesToRead !== undefined;
}

/**
 * Which read limit a ClickHouse error is: TOO_MANY_ROWS (158) or TOO_MANY_BYTES (307) about rows
 * or bytes *to read* (the same codes also report GROUP BY, sort and transfer limits).
 */
function readLimitOf(error: DatabaseError): "rows" | "bytes" | undefined {
  if (!/to[ _]read/.test(error.message)) return undefined;
  if (error.clickhouseCode === 158) return "rows";
  if (error.clickhouseCode === 307) return "bytes";
  return undefined;
}

const HOW_TO_NARROW =
  "Narrow it (filter on the table's sorting or partition key, a shorter time range, fewer columns, a sample) before running it again";

function budgetText(kind: "rows" | "bytes", limit: number): string {
  return `${limit} ${kind === "rows" ? "rows" : "bytes"} (the read budget)`;
}

/**
 * ClickHouse's refusal of a read over its read limits, as READ_BUDGET_EXCEEDED naming the budget
 * that was sent (or, when none was, the user's own profile limit); anything else unchanged.
 */
export function toReadBudgetError(error: unknown, budget: ReadBudget | undefined): unknown {
  if (!(error instanceof DatabaseError) || error.code !== "QUERY_FAILED") return error;
  const kind = readLimitOf(error);
  if (kind === undefined) return error;
  const limit = kind === "rows" ? budget?.maxRowsToRead : budget?.maxBytesToRead;
  const details = {
    ...(error.clickhouseCode !== undefined && { clickhouseCode: error.clickhouseCode }),
    ...(error.clickhouseType !== undefined && { clickhouseType: error.clickhouseType }),
  };
  const head =
    limit === undefined
      ? `The query would read more ${kind} than the ClickHouse user's own limit allows`
      : `The query would read more than ${budgetText(kind, limit)}`;
  return new DatabaseError(
    "READ_BUDGET_EXCEEDED",
    `${head}. ${HOW_TO_NARROW}. ClickHouse: ${error.message}`,
    details,
  );
}

/** The error of a query stopped on the client side for reading past its budget. */
export function readPastBudgetError(kind: "rows" | "bytes", limit: number, read: number): DatabaseError {
  return new DatabaseError(
    "READ_BUDGET_EXCEEDED",
    `The query read more than ${budgetText(kind, limit)}: ${read} ${kind} so far, and was stopped. ${HOW_TO_NARROW}.`,
  );
}

/**
 * The budget held on the client side, for users who cannot be sent settings: fed the query's
 * totals as the driver learns them (native: Progress packets, every 100 ms or so; HTTP: polls of
 * `system.processes`) and at the end (the statistics of the answer). Reads between two reports
 * can go past the budget before the query is stopped.
 */
export class ReadBudgetWatch {
  private exceeded: DatabaseError | undefined;

  constructor(private readonly budget: ReadBudget) {}

  /** The error once the totals have gone past the budget (the first time only), else undefined. */
  check(totals: Pick<ProgressTotals, "rowsRead" | "bytesRead">): DatabaseError | undefined {
    if (this.exceeded) return undefined;
    const { maxRowsToRead, maxBytesToRead } = this.budget;
    if (maxRowsToRead !== undefined && totals.rowsRead > maxRowsToRead) {
      this.exceeded = readPastBudgetError("rows", maxRowsToRead, totals.rowsRead);
    } else if (maxBytesToRead !== undefined && totals.bytesRead > maxBytesToRead) {
      this.exceeded = readPastBudgetError("bytes", maxBytesToRead, totals.bytesRead);
    }
    return this.exceeded;
  }

  /** The error the watch has seen, if any. */
  get error(): DatabaseError | undefined {
    return this.exceeded;
  }
}
