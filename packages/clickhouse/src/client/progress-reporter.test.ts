import { describe, expect, it } from "vitest";
import { MIN_REPORT_INTERVAL_MS, ProgressReporter } from "./progress-reporter.js";
import type { QueryProgress } from "./types.js";

function reporterAt(start = 1_000) {
  let now = start;
  const reports: QueryProgress[] = [];
  const reporter = new ProgressReporter(
    (progress) => reports.push(progress),
    () => now,
  );
  const advance = (ms: number) => {
    now += ms;
  };
  return { reporter, reports, advance };
}

const totals = (rowsRead: number, totalRowsToRead = 0) => ({
  rowsRead,
  bytesRead: rowsRead * 8,
  totalRowsToRead,
});

describe("ProgressReporter", () => {
  it("reports the totals with the time since it was made, and totalRowsToRead only when known", () => {
    const { reporter, reports, advance } = reporterAt();
    advance(120.4);
    reporter.update(totals(100));
    advance(MIN_REPORT_INTERVAL_MS);
    reporter.update(totals(200, 1_000));
    expect(reports).toEqual([
      { rowsRead: 100, bytesRead: 800, elapsedMs: 120 },
      { rowsRead: 200, bytesRead: 1_600, totalRowsToRead: 1_000, elapsedMs: 370 },
    ]);
  });

  it("drops updates closer together than the minimum interval; the next one carries the totals", () => {
    const { reporter, reports, advance } = reporterAt();
    reporter.update(totals(100));
    advance(MIN_REPORT_INTERVAL_MS - 1);
    reporter.update(totals(200));
    advance(1);
    reporter.update(totals(300));
    expect(reports.map((report) => report.rowsRead)).toEqual([100, 300]);
  });

  it("reports only when more rows have been read, and never lowers a total (a re-run starts from zero)", () => {
    const { reporter, reports, advance } = reporterAt();
    reporter.update(totals(500, 2_000));
    advance(MIN_REPORT_INTERVAL_MS);
    reporter.update(totals(500, 2_000));
    reporter.update(totals(10, 0));
    advance(MIN_REPORT_INTERVAL_MS);
    reporter.update({ rowsRead: 600, bytesRead: 100, totalRowsToRead: 0 });
    expect(reports).toEqual([
      { rowsRead: 500, bytesRead: 4_000, totalRowsToRead: 2_000, elapsedMs: 0 },
      { rowsRead: 600, bytesRead: 4_000, totalRowsToRead: 2_000, elapsedMs: 500 },
    ]);
  });

  it("reports nothing once stopped", () => {
    const { reporter, reports } = reporterAt();
    reporter.stop();
    reporter.update(totals(100));
    expect(reports).toEqual([]);
  });

  it("ignores what the callback throws", () => {
    let calls = 0;
    let now = 0;
    const reporter = new ProgressReporter(
      () => {
        calls += 1;
        throw new Error("caller bug");
      },
      () => now,
    );
    expect(() => reporter.update(totals(1))).not.toThrow();
    now += MIN_REPORT_INTERVAL_MS;
    expect(() => reporter.update(totals(2))).not.toThrow();
    expect(calls).toBe(2);
  });
});
