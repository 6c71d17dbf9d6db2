import type { ProgressTotals } from "../driver.js";

export interface ProgressPollerOptions {
  /** Delay before the first poll. Default 500 ms: a query that ends sooner is never polled. */
  firstPollMs?: number;
  /** From the end of one poll to the start of the next. Default 500 ms. */
  intervalMs?: number;
}

/**
 * Reads a running query's totals once (`poll` counts from 1); undefined when the query is not
 * running (yet, or any more). Rejects when it cannot tell.
 */
export type ReadProgress = (poll: number, signal: AbortSignal) => Promise<ProgressTotals | undefined>;

export interface ProgressPoller {
  /** Stops polling and aborts a poll under way; resolves once nothing of it is left running. */
  stop(): Promise<void>;
}

const DEFAULT_FIRST_POLL_MS = 500;
const DEFAULT_INTERVAL_MS = 500;

/**
 * Polls `read` one poll at a time until stopped, handing what it finds to `onProgress`. The
 * first failure ends polling: a user who may not read the source will not be allowed on the next
 * poll either, and each attempt costs a query. Never throws, never calls `onProgress` after
 * `stop`.
 */
export function startProgressPolling(
  read: ReadProgress,
  onProgress: (totals: ProgressTotals) => void,
  options: ProgressPollerOptions = {},
): ProgressPoller {
  const controller = new AbortController();
  const { signal } = controller;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let polls = 0;

  const poll = async (): Promise<void> => {
    polls += 1;
    try {
      const totals = await read(polls, signal);
      if (signal.aborted) return;
      if (totals) onProgress(totals);
    } catch {
      return;
    }
    if (!signal.aborted) timer = setTimeout(tick, options.intervalMs ?? DEFAULT_INTERVAL_MS);
  };
  const tick = () => {
    polling = poll();
  };
  timer = setTimeout(tick, options.firstPollMs ?? DEFAULT_FIRST_POLL_MS);

  return {
    async stop() {
      controller.abort();
      clearTimeout(timer);
      await polling;
    },
  };
}
