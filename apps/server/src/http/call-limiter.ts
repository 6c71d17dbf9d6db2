/**
 * Per-token cap on MCP requests running at once, over every transport. Tokens with the same
 * ClickHouse credentials share one pooled client and its sockets, so without a cap one agent's
 * burst queues everyone else's calls behind it.
 */
export class TokenCallLimiter {
  readonly #running = new Map<string, number>();

  constructor(readonly maxPerToken: number) {}

  /** Takes a slot for `key` (a token digest); undefined when the token is at its cap. The release is idempotent. */
  tryAcquire(key: string): (() => void) | undefined {
    const running = this.#running.get(key) ?? 0;
    if (running >= this.maxPerToken) return undefined;
    this.#running.set(key, running + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#running.get(key) ?? 1) - 1;
      if (left > 0) this.#running.set(key, left);
      else this.#running.delete(key);
    };
  }

  /** Requests running for `key` now (tests, diagnostics). */
  running(key: string): number {
    return this.#running.get(key) ?? 0;
  }
}
