/**
 * Counts MCP requests that have not been answered yet, so shutdown can wait for them, and owns
 * the signal that aborts whatever is still running when the grace period ends.
 */
export class InFlight {
  #count = 0;
  #idle: (() => void)[] = [];
  readonly #abort = new AbortController();

  /** Aborted when shutdown gives up waiting. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get count(): number {
    return this.#count;
  }

  /** Counts one unit of work; call the returned function (idempotent) when it is done. */
  begin(): () => void {
    this.#count += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#count -= 1;
      if (this.#count === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    const end = this.begin();
    try {
      return await work();
    } finally {
      end();
    }
  }

  /** Resolves true once nothing runs, or false after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([idle, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  abortAll(): void {
    this.#abort.abort(new Error("server shutting down"));
  }
}
