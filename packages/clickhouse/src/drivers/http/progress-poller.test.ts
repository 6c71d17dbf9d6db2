import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ProgressTotals } from "../driver.js";
import { type ReadProgress, startProgressPolling } from "./progress-poller.js";

const totals = (rowsRead: number): ProgressTotals => ({ rowsRead, bytesRead: 0, totalRowsToRead: 0 });

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("startProgressPolling", () => {
  it("polls after the first delay, then one poll at a time at the interval", async () => {
    const polls: number[] = [];
    const read: ReadProgress = async (poll) => {
      polls.push(poll);
      return totals(poll * 100);
    };
    const seen: number[] = [];
    const poller = startProgressPolling(read, (p) => seen.push(p.rowsRead), {
      firstPollMs: 300,
      intervalMs: 200,
    });
    await vi.advanceTimersByTimeAsync(299);
    expect(polls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(polls).toEqual([1]);
    await vi.advanceTimersByTimeAsync(400);
    expect(polls).toEqual([1, 2, 3]);
    expect(seen).toEqual([100, 200, 300]);
    await poller.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reports nothing while the query is not running", async () => {
    const seen: ProgressTotals[] = [];
    const poller = startProgressPolling(
      async () => undefined,
      (p) => seen.push(p),
      {
        firstPollMs: 10,
        intervalMs: 10,
      },
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual([]);
    await poller.stop();
  });

  it("ends polling at the first failure (no access to the source costs one query, not one per interval)", async () => {
    let polls = 0;
    const poller = startProgressPolling(
      async () => {
        polls += 1;
        throw new Error("ACCESS_DENIED");
      },
      () => {},
      { firstPollMs: 10, intervalMs: 10 },
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(polls).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    await poller.stop();
  });

  it("stop before the first poll: no poll, no timer left", async () => {
    const read = vi.fn<ReadProgress>(async () => totals(1));
    const poller = startProgressPolling(read, () => {});
    await poller.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(read).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stop aborts the poll under way, waits for it, and reports nothing of it", async () => {
    let settled = false;
    const read: ReadProgress = (_poll, signal) =>
      new Promise((resolve, reject) => {
        // Like a real request: answers late, unless aborted.
        signal.addEventListener("abort", () => {
          setTimeout(() => {
            settled = true;
            reject(signal.reason);
          }, 5);
        });
        setTimeout(() => resolve(totals(1)), 1_000);
      });
    const seen: ProgressTotals[] = [];
    const poller = startProgressPolling(read, (p) => seen.push(p), { firstPollMs: 10 });
    await vi.advanceTimersByTimeAsync(10);
    const stopping = poller.stop();
    await vi.advanceTimersByTimeAsync(5);
    await stopping;
    expect(settled).toBe(true);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(seen).toEqual([]);
  });

  it("an answer that arrives after stop is not reported", async () => {
    let answer: ((totals: ProgressTotals) => void) | undefined;
    const read: ReadProgress = () =>
      new Promise((resolve) => {
        answer = resolve;
      });
    const seen: ProgressTotals[] = [];
    const poller = startProgressPolling(read, (p) => seen.push(p), { firstPollMs: 10 });
    await vi.advanceTimersByTimeAsync(10);
    const stopping = poller.stop();
    answer?.(totals(5));
    await stopping;
    expect(seen).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
