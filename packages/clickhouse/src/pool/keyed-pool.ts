import { DatabaseError } from "../errors/database-error.js";

export interface PoolStats {
  /** Entries currently in the pool (being created or ready). */
  size: number;
  hits: number;
  misses: number;
  /** Clients successfully created. */
  creations: number;
  /** Entries removed from the pool, by reason. */
  evictions: { lru: number; idle: number; closed: number };
  /** Callbacks running now (across all entries, evicted ones included). */
  inFlight: number;
  /** Evicted entries waiting for their in-flight work before being closed. */
  pendingClose: number;
}

export interface KeyedPoolOptions<V> {
  maxSize: number;
  idleTimeoutMs: number;
  destroy: (value: V) => Promise<void>;
  now?: () => number;
}

interface Entry<V> {
  key: string;
  ready: Promise<V>;
  inFlight: number;
  lastUsed: number;
  evicted: boolean;
}

/**
 * A bounded map of shared resources: one creation per key however many callers arrive at once,
 * least-recently-used eviction beyond `maxSize`, eviction after `idleTimeoutMs` without use, and
 * evicted resources destroyed only once their in-flight callbacks have finished.
 */
export class KeyedPool<V> {
  private readonly entries = new Map<string, Entry<V>>(); // iteration order = least recently used first
  private readonly closing = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private inFlight = 0;
  private pendingClose = 0;
  private hits = 0;
  private misses = 0;
  private creations = 0;
  private readonly evictions = { lru: 0, idle: 0, closed: 0 };
  private closed: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(private readonly options: KeyedPoolOptions<V>) {
    if (!Number.isInteger(options.maxSize) || options.maxSize < 1)
      throw new TypeError("maxClients must be >= 1");
    if (!(options.idleTimeoutMs > 0)) throw new TypeError("idleTimeoutMs must be > 0");
    this.now = options.now ?? Date.now;
    const period = Math.min(Math.max(options.idleTimeoutMs / 4, 10), 30_000);
    this.sweeper = setInterval(() => this.sweepIdle(), period);
    this.sweeper.unref();
  }

  get isClosed(): boolean {
    return this.closed !== undefined;
  }

  /** Runs `fn` with the resource for `key`, creating it with `create` if the pool has none. */
  async use<T>(key: string, create: () => Promise<V>, fn: (value: V) => Promise<T>): Promise<T> {
    if (this.closed) throw new DatabaseError("POOL_CLOSED", "The ClickHouse client pool is closed");
    let entry = this.entries.get(key);
    if (entry) {
      this.hits += 1;
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      this.misses += 1;
      entry = this.createEntry(key, create);
    }
    entry.inFlight += 1;
    this.inFlight += 1;
    try {
      return await fn(await entry.ready);
    } finally {
      entry.inFlight -= 1;
      this.inFlight -= 1;
      entry.lastUsed = this.now();
      if (entry.evicted && entry.inFlight === 0) this.destroy(entry);
      if (this.inFlight === 0) this.drained?.();
    }
  }

  stats(): PoolStats {
    return {
      size: this.entries.size,
      hits: this.hits,
      misses: this.misses,
      creations: this.creations,
      evictions: { ...this.evictions },
      inFlight: this.inFlight,
      pendingClose: this.pendingClose,
    };
  }

  /** Refuses new work, waits for running callbacks, then destroys every resource. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.drainAndClose();
    return this.closed;
  }

  private async drainAndClose(): Promise<void> {
    clearInterval(this.sweeper);
    for (const entry of [...this.entries.values()]) this.evict(entry, "closed");
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    await Promise.all(this.closing);
  }

  private createEntry(key: string, create: () => Promise<V>): Entry<V> {
    const entry = { key, inFlight: 0, lastUsed: this.now(), evicted: false } as Entry<V>;
    this.entries.set(key, entry); // before create() runs, so that a synchronous failure can remove it
    entry.ready = (async () => {
      try {
        const value = await create();
        this.creations += 1;
        return value;
      } catch (error) {
        // Failed creations are not cached: the next call tries again.
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw error;
      }
    })();
    // Callers observe the rejection through `use`; this only keeps an unobserved one quiet.
    entry.ready.catch(() => {});
    while (this.entries.size > this.options.maxSize) {
      const oldest = this.entries.values().next().value!;
      this.evict(oldest, "lru");
    }
    return entry;
  }

  private sweepIdle(): void {
    const now = this.now();
    for (const entry of [...this.entries.values()]) {
      if (entry.inFlight === 0 && now - entry.lastUsed >= this.options.idleTimeoutMs)
        this.evict(entry, "idle");
    }
  }

  private evict(entry: Entry<V>, reason: keyof PoolStats["evictions"]): void {
    if (entry.evicted) return;
    entry.evicted = true;
    this.entries.delete(entry.key);
    this.evictions[reason] += 1;
    this.pendingClose += 1;
    if (entry.inFlight === 0) this.destroy(entry);
  }

  private destroy(entry: Entry<V>): void {
    const done = entry.ready
      .then(
        (value) => this.options.destroy(value),
        () => {},
      )
      .catch(() => {}) // a failing close leaves nothing to clean up that we could still reach
      .finally(() => {
        this.pendingClose -= 1;
        this.closing.delete(done);
      });
    this.closing.add(done);
  }
}
