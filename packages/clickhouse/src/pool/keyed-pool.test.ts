import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KeyedPool } from "./keyed-pool.js";

class FakeClient {
  static created: FakeClient[] = [];
  closed = false;
  constructor(readonly key: string) {
    FakeClient.created.push(this);
  }
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function makePool(options: { maxSize?: number; idleTimeoutMs?: number } = {}) {
  const destroyed: string[] = [];
  const pool = new KeyedPool<FakeClient>({
    maxSize: options.maxSize ?? 10,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    destroy: async (client) => {
      client.closed = true;
      destroyed.push(client.key);
    },
  });
  const create = (key: string) => async () => new FakeClient(key);
  const use = <T>(key: string, fn: (c: FakeClient) => Promise<T> = async (c) => c as T) =>
    pool.use(key, create(key), fn);
  return { pool, destroyed, use };
}

beforeEach(() => {
  FakeClient.created = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe("KeyedPool", () => {
  it("reuses one resource per key and counts hits and misses", async () => {
    const { pool, use } = makePool();
    const a1 = await use("a");
    const a2 = await use("a");
    const b = await use("b");
    expect(a1).toBe(a2);
    expect(b).not.toBe(a1);
    expect(pool.stats()).toMatchObject({ size: 2, hits: 1, misses: 2, creations: 2, inFlight: 0 });
    await pool.close();
  });

  it("creates once for 50 concurrent first calls (single flight)", async () => {
    const { pool } = makePool();
    const gate = deferred();
    let calls = 0;
    const create = async () => {
      calls += 1;
      await gate.promise;
      return new FakeClient("a");
    };
    const all = Promise.all(Array.from({ length: 50 }, () => pool.use("a", create, async (c) => c)));
    gate.resolve();
    const clients = await all;
    expect(calls).toBe(1);
    expect(new Set(clients).size).toBe(1);
    expect(pool.stats()).toMatchObject({ misses: 1, hits: 49, creations: 1 });
    await pool.close();
  });

  it("shares a failed creation with the waiting callers and retries on the next call", async () => {
    const { pool } = makePool();
    let attempt = 0;
    const create = async () => {
      attempt += 1;
      if (attempt === 1) throw new Error("boom");
      return new FakeClient("a");
    };
    const results = await Promise.allSettled([1, 2, 3].map(() => pool.use("a", create, async (c) => c)));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(pool.stats().size).toBe(0);
    await expect(pool.use("a", create, async (c) => c.key)).resolves.toBe("a");
    expect(attempt).toBe(2);
    await pool.close();
  });

  it("does not cache a creation that throws synchronously", async () => {
    const { pool } = makePool();
    const create = () => {
      throw new Error("sync");
    };
    await expect(pool.use("a", create, async () => 1)).rejects.toThrow("sync");
    expect(pool.stats().size).toBe(0);
    await pool.close();
  });

  it("evicts the least recently used entry beyond maxSize and destroys it", async () => {
    const { pool, destroyed, use } = makePool({ maxSize: 2 });
    await use("a");
    await use("b");
    await use("a"); // a is now more recent than b
    await use("c");
    await vi.waitFor(() => expect(destroyed).toEqual(["b"]));
    expect(pool.stats()).toMatchObject({ size: 2, evictions: { lru: 1, idle: 0, closed: 0 } });
    await use("a");
    expect(pool.stats().hits).toBe(2);
    await pool.close();
  });

  it("destroys an evicted entry only after its in-flight callbacks finish", async () => {
    const { pool, destroyed, use } = makePool({ maxSize: 1 });
    const gate = deferred<string>();
    const running = use("a", async (c) => {
      await gate.promise;
      return c.closed ? "closed while running" : "still open";
    });
    await vi.waitFor(() => expect(pool.stats().inFlight).toBe(1));
    await use("b"); // evicts a while its callback is still running
    expect(pool.stats()).toMatchObject({ evictions: { lru: 1 }, pendingClose: 1 });
    expect(destroyed).toEqual([]);
    gate.resolve("go");
    await expect(running).resolves.toBe("still open");
    await vi.waitFor(() => expect(destroyed).toEqual(["a"]));
    expect(pool.stats().pendingClose).toBe(0);
    await pool.close();
  });

  it("evicts entries idle for idleTimeoutMs, but not busy ones", async () => {
    vi.useFakeTimers();
    const { pool, destroyed, use } = makePool({ idleTimeoutMs: 1000 });
    await use("idle");
    const gate = deferred();
    const busy = use("busy", () => gate.promise);
    await vi.advanceTimersByTimeAsync(999);
    expect(pool.stats().size).toBe(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(destroyed).toEqual(["idle"]);
    expect(pool.stats()).toMatchObject({ size: 1, evictions: { idle: 1 } });
    gate.resolve();
    await busy;
    await vi.advanceTimersByTimeAsync(1500);
    expect(destroyed).toEqual(["idle", "busy"]);
    expect(pool.stats().evictions.idle).toBe(2);
    await pool.close();
  });

  it("counts use as activity: an entry used again stays", async () => {
    vi.useFakeTimers();
    const { pool, destroyed, use } = makePool({ idleTimeoutMs: 1000 });
    for (let i = 0; i < 5; i += 1) {
      await use("a");
      await vi.advanceTimersByTimeAsync(700);
    }
    expect(destroyed).toEqual([]);
    expect(pool.stats().creations).toBe(1);
    await pool.close();
  });

  it("close() waits for in-flight work, destroys everything and refuses new work", async () => {
    const { pool, destroyed, use } = makePool();
    await use("a");
    const gate = deferred();
    let finished = false;
    const running = use("b", async () => {
      await gate.promise;
      finished = true;
    });
    await vi.waitFor(() => expect(pool.stats().inFlight).toBe(1));
    const closing = pool.close();
    await expect(use("c")).rejects.toMatchObject({ code: "POOL_CLOSED" });
    await vi.waitFor(() => expect(destroyed).toEqual(["a"]));
    gate.resolve();
    await closing;
    expect(finished).toBe(true);
    expect(destroyed.sort()).toEqual(["a", "b"]);
    await running;
    expect(pool.stats()).toMatchObject({ size: 0, inFlight: 0, pendingClose: 0, evictions: { closed: 2 } });
    expect(pool.close()).toBe(closing);
  });

  it("close() also waits for an evicted entry that is still busy", async () => {
    const { pool, destroyed, use } = makePool({ maxSize: 1 });
    const gate = deferred();
    const running = use("a", () => gate.promise);
    await vi.waitFor(() => expect(pool.stats().inFlight).toBe(1));
    await use("b");
    const closing = pool.close();
    let closed = false;
    void closing.then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    gate.resolve();
    await running;
    await closing;
    expect(destroyed.sort()).toEqual(["a", "b"]);
  });

  it("destroys nothing twice and nothing that failed to create", async () => {
    const { pool, destroyed } = makePool({ maxSize: 1 });
    await expect(
      pool.use(
        "bad",
        async () => {
          throw new Error("no");
        },
        async () => 1,
      ),
    ).rejects.toThrow("no");
    await pool.use(
      "a",
      async () => new FakeClient("a"),
      async () => 1,
    );
    await pool.close();
    await pool.close();
    expect(destroyed).toEqual(["a"]);
  });
});
