import { afterEach, describe, expect, it, vi } from "vitest";
import type { Connection } from "./connection.js";
import { NativeError } from "./errors.js";
import { createPool, type NativePoolOptions } from "./pool.js";

class FakeConnection {
  isOpen = true;
  isBusy = false;
  lastUsedAt: number;
  pings = 0;
  closed = 0;
  cancelled = 0;
  pingFails = false;

  constructor(
    readonly id: number,
    now: number,
  ) {
    this.lastUsedAt = now;
  }

  async ping(): Promise<void> {
    this.pings++;
    if (this.pingFails) {
      this.isOpen = false;
      throw new NativeError("CONNECTION_CLOSED", "gone");
    }
  }

  async cancelRunning(): Promise<void> {
    this.cancelled++;
    this.isBusy = false;
  }

  async close(): Promise<void> {
    this.closed++;
    this.isOpen = false;
  }
}

function setup(options: Partial<NativePoolOptions> = {}) {
  let clock = 1_000_000;
  const made: FakeConnection[] = [];
  const connect = vi.fn(async () => {
    const connection = new FakeConnection(made.length, clock);
    made.push(connection);
    return connection as unknown as Connection;
  });
  const pool = createPool({
    host: "127.0.0.1",
    port: 9000,
    connect,
    now: () => clock,
    maxConnections: 2,
    idleTimeoutMs: 60_000,
    pingAfterIdleMs: 10_000,
    ...options,
  });
  return {
    pool,
    made,
    connect,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const fake = (connection: Connection) => connection as unknown as FakeConnection;

afterEach(() => {
  vi.useRealTimers();
});

describe("Pool", () => {
  it("reuses an idle connection", async () => {
    const { pool, connect } = setup();
    const first = await pool.withConnection(async (c) => fake(c).id);
    const second = await pool.withConnection(async (c) => fake(c).id);
    expect([first, second]).toEqual([0, 0]);
    expect(connect).toHaveBeenCalledTimes(1);
    await pool.close();
  });

  it("opens at most maxConnections and makes others wait for a release", async () => {
    const { pool, connect } = setup();
    const a = await pool.acquire();
    const b = await pool.acquire();
    let third: Connection | undefined;
    const waiting = pool.acquire().then((c) => {
      third = c;
    });
    await Promise.resolve();
    expect(pool.stats).toEqual({ open: 2, idle: 0, inUse: 2, waiting: 1 });
    expect(third).toBeUndefined();
    await pool.release(a);
    await waiting;
    expect(third).toBe(a);
    expect(connect).toHaveBeenCalledTimes(2);
    await pool.release(b);
    await pool.release(third!);
    await pool.close();
  });

  it("never lends out a broken connection again", async () => {
    const { pool, made } = setup();
    const first = await pool.acquire();
    fake(first).isOpen = false;
    await pool.release(first);
    const second = await pool.acquire();
    expect(second).not.toBe(first);
    expect(made).toHaveLength(2);
    await pool.release(second);
    await pool.close();
  });

  it("pings a connection that has been idle for a while, and replaces it when the ping fails", async () => {
    const { pool, made, advance } = setup();
    await pool.withConnection(async () => {});
    advance(5_000);
    await pool.withConnection(async () => {});
    expect(made[0]!.pings).toBe(0);
    advance(11_000);
    await pool.withConnection(async () => {});
    expect(made[0]!.pings).toBe(1);
    advance(11_000);
    made[0]!.pingFails = true;
    const id = await pool.withConnection(async (c) => fake(c).id);
    expect(id).toBe(1);
    expect(made[0]!.closed).toBe(1);
    await pool.close();
  });

  it("closes connections idle for longer than idleTimeoutMs", async () => {
    vi.useFakeTimers();
    const { pool, made, advance } = setup({ idleTimeoutMs: 1_000 });
    await pool.withConnection(async () => {});
    advance(2_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(made[0]!.closed).toBe(1);
    expect(pool.stats.idle).toBe(0);
    await pool.close();
  });

  it("cancels a query still running on a released connection before reusing it", async () => {
    const { pool } = setup();
    const connection = await pool.acquire();
    fake(connection).isBusy = true;
    await pool.release(connection);
    expect(fake(connection).cancelled).toBe(1);
    expect(pool.stats.idle).toBe(1);
    await pool.close();
  });

  it("stops waiting when the signal aborts", async () => {
    const { pool } = setup({ maxConnections: 1 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire({ signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "QUERY_CANCELLED" });
    expect(pool.stats.waiting).toBe(0);
    await pool.release(held);
    await pool.close();
  });

  it("frees the slot when connecting fails", async () => {
    const { pool, connect } = setup({ maxConnections: 1 });
    connect.mockRejectedValueOnce(new NativeError("CONNECT_FAILED", "refused"));
    await expect(pool.acquire()).rejects.toMatchObject({ code: "CONNECT_FAILED" });
    const connection = await pool.acquire();
    expect(pool.stats.open).toBe(1);
    await pool.release(connection);
    await pool.close();
  });

  it("on close: rejects waiters, closes idle connections now and busy ones when released", async () => {
    const { pool, made } = setup({ maxConnections: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    await pool.release(b);
    const held = await pool.acquire();
    const waiting = pool.acquire();
    await pool.close();
    await expect(waiting).rejects.toMatchObject({ code: "POOL_CLOSED" });
    await expect(pool.acquire()).rejects.toMatchObject({ code: "POOL_CLOSED" });
    expect(made[0]!.closed).toBe(0);
    await pool.release(a);
    await pool.release(held);
    expect(made.every((c) => c.closed === 1)).toBe(true);
  });

  it("validates its options", () => {
    expect(() => createPool({ host: "h", port: 1, maxConnections: 0 })).toThrow(TypeError);
    expect(() => createPool({ host: "h", port: 1, idleTimeoutMs: 0 })).toThrow(TypeError);
  });
});
