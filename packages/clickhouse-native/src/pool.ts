import { type Connection, connect } from "./connection.js";
import { NativeError } from "./errors.js";
import type { ConnectionOptions } from "./options.js";

export interface NativePoolOptions extends Omit<ConnectionOptions, "signal"> {
  /** Most connections open at once (idle and in use). Default: 4. */
  maxConnections?: number;
  /** Idle connections are closed after this long. Default: 60000 ms. */
  idleTimeoutMs?: number;
  /** A connection idle for longer than this is pinged before it is lent out. Default: 10000 ms. */
  pingAfterIdleMs?: number;
  /** Injected connect function (tests). Default: `connect`. */
  connect?: (options: ConnectionOptions) => Promise<Connection>;
  /** Clock (tests). Default: `Date.now`. */
  now?: () => number;
}

export interface NativePoolStats {
  /** Connections open or being opened. */
  open: number;
  idle: number;
  inUse: number;
  /** Callers waiting for a connection. */
  waiting: number;
}

interface Waiter {
  wake: () => void;
}

/**
 * A small pool of connections to one server as one user: one query per connection at a
 * time, broken connections dropped and never lent out again, connections idle for a while
 * pinged before reuse and closed after `idleTimeoutMs`.
 */
export class Pool implements AsyncDisposable {
  private readonly idle: Connection[] = [];
  private readonly inUse = new Set<Connection>();
  private opening = 0;
  private readonly waiters: Waiter[] = [];
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  private readonly maxConnections: number;
  private readonly idleTimeoutMs: number;
  private readonly pingAfterIdleMs: number;
  private readonly connectFn: (options: ConnectionOptions) => Promise<Connection>;
  private readonly now: () => number;
  private readonly connectionOptions: ConnectionOptions;

  constructor(options: NativePoolOptions) {
    const {
      maxConnections,
      idleTimeoutMs,
      pingAfterIdleMs,
      connect: connectFn,
      now,
      ...connection
    } = options;
    this.maxConnections = maxConnections ?? 4;
    this.idleTimeoutMs = idleTimeoutMs ?? 60_000;
    this.pingAfterIdleMs = pingAfterIdleMs ?? 10_000;
    if (!Number.isInteger(this.maxConnections) || this.maxConnections < 1) {
      throw new TypeError("createPool: maxConnections must be a positive integer");
    }
    if (!(this.idleTimeoutMs > 0)) throw new TypeError("createPool: idleTimeoutMs must be positive");
    if (!(this.pingAfterIdleMs >= 0)) throw new TypeError("createPool: pingAfterIdleMs must not be negative");
    this.connectFn = connectFn ?? connect;
    this.now = now ?? Date.now;
    this.connectionOptions = connection;
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(this.idleTimeoutMs / 4, 10), 30_000));
    this.sweeper.unref();
  }

  get stats(): NativePoolStats {
    return {
      open: this.idle.length + this.inUse.size + this.opening,
      idle: this.idle.length,
      inUse: this.inUse.size,
      waiting: this.waiters.length,
    };
  }

  private wakeOne(): void {
    this.waiters.shift()?.wake();
  }

  private sweep(): void {
    const cutoff = this.now() - this.idleTimeoutMs;
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const connection = this.idle[i]!;
      if (!connection.isOpen || connection.lastUsedAt < cutoff) {
        this.idle.splice(i, 1);
        void connection.close();
      }
    }
  }

  /**
   * Lends out a connection, waiting for one to be released when `maxConnections` are in use.
   * Give it back with `release` (or use `withConnection`).
   */
  async acquire(options: { signal?: AbortSignal } = {}): Promise<Connection> {
    const { signal } = options;
    for (;;) {
      if (this.closed) throw new NativeError("POOL_CLOSED", "The connection pool is closed");
      if (signal?.aborted) throw new NativeError("QUERY_CANCELLED", "Waiting for a connection was aborted");
      const connection = this.idle.pop();
      if (connection) {
        if (!connection.isOpen) continue;
        this.inUse.add(connection);
        if (this.now() - connection.lastUsedAt > this.pingAfterIdleMs) {
          try {
            await connection.ping(signal ? { signal } : {});
          } catch {
            this.inUse.delete(connection);
            void connection.close();
            this.wakeOne();
            continue;
          }
        }
        return connection;
      }
      if (this.stats.open < this.maxConnections) {
        this.opening++;
        let opened: Connection;
        try {
          opened = await this.connectFn({ ...this.connectionOptions, ...(signal ? { signal } : {}) });
        } catch (error) {
          this.wakeOne();
          throw error;
        } finally {
          this.opening--;
        }
        if (this.closed) {
          void opened.close();
          throw new NativeError("POOL_CLOSED", "The connection pool is closed");
        }
        this.inUse.add(opened);
        return opened;
      }
      await this.waitForRelease(signal);
    }
  }

  private waitForRelease(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new NativeError("QUERY_CANCELLED", "Waiting for a connection was aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Takes a connection back. A query still running on it is cancelled (and drained) first; a
   * closed or broken connection is dropped.
   */
  async release(connection: Connection): Promise<void> {
    if (!this.inUse.has(connection)) return;
    if (connection.isOpen && connection.isBusy) await connection.cancelRunning();
    this.inUse.delete(connection);
    if (this.closed || !connection.isOpen || connection.isBusy) void connection.close();
    else this.idle.push(connection);
    this.wakeOne();
  }

  /** Runs `fn` with a connection of the pool and releases it afterwards, whatever happens. */
  async withConnection<T>(
    fn: (connection: Connection) => Promise<T>,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const connection = await this.acquire(options);
    try {
      return await fn(connection);
    } finally {
      await this.release(connection);
    }
  }

  /** Pings the server with a pooled connection. */
  ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.withConnection((connection) => connection.ping(options), options);
  }

  /** Closes idle connections now and the others as they are released; waiting callers get POOL_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const waiter of this.waiters.splice(0)) waiter.wake();
    await Promise.all(this.idle.splice(0).map((connection) => connection.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export function createPool(options: NativePoolOptions): Pool {
  return new Pool(options);
}
