import type { Driver, DriverResponse, ProgressTotals, SettingValue } from "../drivers/driver.js";
import { DatabaseError } from "../errors/database-error.js";
import { hasReadBudget, type ReadBudget, ReadBudgetWatch, toReadBudgetError } from "./read-budget.js";
import { RowCollector } from "./row-collector.js";
import type { QueryResult } from "./types.js";

// Execution of one checked statement on a driver: the row collector that applies the exact
// caps, the caller's signal and the client-side deadline, and the kill by id of a query that
// was cut short or stopped.

/** One statement to run, already checked (see query-policy.ts). */
export interface QueryRun {
  query: string;
  kind: "read" | "write";
  readOnly: boolean;
  maxRows?: number;
  maxBytes?: number;
  maxExecutionTime?: number;
  maxMemoryUsage?: number;
  /** The read budget (reads only; see read-budget.ts). */
  maxRowsToRead?: number;
  maxBytesToRead?: number;
  signal?: AbortSignal;
  queryId: string;
  settings?: Record<string, SettingValue>;
  params?: Record<string, unknown>;
  /** Only when the caller wants progress (see progress-reporter.ts). */
  onProgress?: (totals: ProgressTotals) => void;
}

// The server's own max_execution_time normally fires first; the client deadline is the backstop
// for queries whose SETTINGS clause lifted it (possible for writes and with readonly=2).
const DEADLINE_GRACE_MS = 1_000;

type AbortReason = "cancelled" | "timeout" | "budget";

export function cancelledError(): DatabaseError {
  return new DatabaseError("QUERY_CANCELLED", "The query was cancelled");
}

function abortError(reason: AbortReason, run: QueryRun, watch: ReadBudgetWatch | undefined): DatabaseError {
  if (reason === "budget" && watch?.error) return watch.error;
  if (reason === "timeout") {
    return new DatabaseError(
      "QUERY_TIMEOUT",
      `The query exceeded its time limit of ${run.maxExecutionTime} s and was stopped`,
    );
  }
  return cancelledError();
}

/** Runs the statement once with these settings (undefined: none at all) and collects its result. */
export async function runQuery(
  driver: Driver,
  run: QueryRun,
  settings: Record<string, SettingValue> | undefined,
): Promise<QueryResult> {
  const started = performance.now();
  const controller = new AbortController();
  let aborted: AbortReason | undefined;
  const abort = (reason: AbortReason) => {
    aborted ??= reason;
    controller.abort();
  };
  const onSignal = () => abort("cancelled");
  run.signal?.addEventListener("abort", onSignal, { once: true });
  const deadline =
    run.maxExecutionTime === undefined
      ? undefined
      : setTimeout(() => abort("timeout"), run.maxExecutionTime * 1000 + DEADLINE_GRACE_MS);
  // The read budget travels as settings (querySettings); users who get none are held to it here.
  const budget: ReadBudget | undefined = run.kind === "read" ? pickBudget(run) : undefined;
  const watch =
    budget && settings === undefined && hasReadBudget(budget) ? new ReadBudgetWatch(budget) : undefined;
  const onProgress = watch
    ? (totals: ProgressTotals) => {
        run.onProgress?.(totals);
        if (watch.check(totals)) abort("budget");
      }
    : run.onProgress;
  const rows = new RowCollector({
    ...(run.maxRows !== undefined && { maxRows: run.maxRows }),
    ...(run.maxBytes !== undefined && { maxBytes: run.maxBytes }),
  });
  let cutShort = false;
  try {
    let response: DriverResponse;
    try {
      response = await driver.execute({
        query: run.query,
        kind: run.kind,
        queryId: run.queryId,
        settings,
        signal: controller.signal,
        rows,
        ...(run.params && { params: run.params }),
        ...(onProgress && { onProgress }),
      });
    } catch (error) {
      if (aborted) {
        cutShort = true;
        throw abortError(aborted, run, watch);
      }
      throw toReadBudgetError(error, settings === undefined ? undefined : budget);
    }
    cutShort = response.cutShort;
    const statistics = {
      elapsedMs: Math.round(performance.now() - started),
      rowsRead: response.rowsRead,
      bytesRead: response.bytesRead,
    };
    // Whatever the progress reports missed (a query over before the first one).
    const overBudget = watch?.check(statistics);
    if (overBudget) throw overBudget;
    if (response.rawOutput !== undefined) {
      return {
        queryId: run.queryId,
        columns: [{ name: "output", type: "String" }],
        rows: [{ output: response.rawOutput }],
        rowCount: 1,
        statistics,
      };
    }
    return {
      queryId: run.queryId,
      columns: rows.columns,
      rows: rows.rows,
      rowCount: rows.rows.length,
      ...(rows.truncated && { truncated: rows.truncated }),
      statistics,
    };
  } finally {
    clearTimeout(deadline);
    run.signal?.removeEventListener("abort", onSignal);
    if (cutShort) await driver.kill(run.queryId);
  }
}

function pickBudget(run: QueryRun): ReadBudget {
  return {
    ...(run.maxRowsToRead !== undefined && { maxRowsToRead: run.maxRowsToRead }),
    ...(run.maxBytesToRead !== undefined && { maxBytesToRead: run.maxBytesToRead }),
  };
}
