import type { ProgressTotals } from "../drivers/driver.js";
import type { QueryProgress } from "./types.js";

/** Reports closer together than this are dropped: a progress bar gains nothing from more. */
export const MIN_REPORT_INTERVAL_MS = 250;

/**
 * Between a driver's progress totals and the caller's `onProgress`: throttles, keeps what is
 * reported monotonic (a re-run under the same id, or a poll that lands on an older snapshot,
 * starts lower), and stops for good once the call has settled. MCP requires each progress
 * notification to carry a higher value than the last, so a report is made only when more rows
 * have been read.
 */
export class ProgressReporter {
  private readonly started: number;
  private last: QueryProgress | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly onProgress: (progress: QueryProgress) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  /** Takes the totals a driver knows now. Never throws. */
  readonly update = (totals: ProgressTotals): void => {
    if (this.stopped) return;
    const previous = this.last;
    if (previous !== undefined && totals.rowsRead <= previous.rowsRead) return;
    const now = this.now();
    // Dropped, not deferred: the next update carries newer totals, and a deferred report would
    // need a timer that could outlive the call.
    if (now - this.lastAt < MIN_REPORT_INTERVAL_MS) return;
    const totalRowsToRead = Math.max(totals.totalRowsToRead, previous?.totalRowsToRead ?? 0);
    const progress: QueryProgress = {
      rowsRead: totals.rowsRead,
      bytesRead: Math.max(totals.bytesRead, previous?.bytesRead ?? 0),
      ...(totalRowsToRead > 0 && { totalRowsToRead }),
      elapsedMs: Math.round(now - this.started),
    };
    this.last = progress;
    this.lastAt = now;
    try {
      this.onProgress(progress);
    } catch {
      // The caller's problem, not the query's: the query goes on.
    }
  };

  /** No report after this. */
  stop(): void {
    this.stopped = true;
  }
}
