import type { ServerEvent } from "@modelcontextprotocol/server";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { ToolCache } from "./cache.js";
import type { Discovery, ToolSpec } from "./discovery.js";
import { ConnectionEventBus } from "./events.js";

const logger = pino({ level: "silent" });

const spec = (name: string): ToolSpec => ({
  kind: "read",
  name,
  title: name,
  description: "",
  database: "d",
  view: name,
  params: [],
  openWorldHint: false,
});

function fakeDiscovery() {
  let tools: ToolSpec[] = [spec("a")];
  let fail = false;
  let calls = 0;
  let gate: Promise<void> | undefined;
  return {
    set tools(value: ToolSpec[]) {
      tools = value;
    },
    set fail(value: boolean) {
      fail = value;
    },
    set gate(value: Promise<void> | undefined) {
      gate = value;
    },
    get calls() {
      return calls;
    },
    async discover(): Promise<Discovery> {
      calls += 1;
      await gate;
      if (fail) throw Object.assign(new Error("Could not connect"), { code: "CONNECT_FAILED" });
      return { tools, notes: [] };
    },
  };
}

describe("ToolCache", () => {
  it("discovers once, serves fresh entries from memory and stale ones while refreshing", async () => {
    let now = 0;
    const fake = fakeDiscovery();
    const changes: string[] = [];
    const cache = new ToolCache<string>({
      ttlMs: 1000,
      now: () => now,
      logger,
      discover: () => fake.discover(),
      onChange: (key) => changes.push(key),
    });
    const [first, second] = await Promise.all([cache.get("k", "conn"), cache.get("k", "conn")]);
    expect(first.map((t) => t.name)).toEqual(["a"]);
    expect(second).toBe(first);
    expect(fake.calls).toBe(1);
    expect(changes).toEqual([]); // nobody saw a list before

    now = 500;
    await cache.get("k", "conn");
    expect(fake.calls).toBe(1);

    now = 1500;
    fake.tools = [spec("a"), spec("b")];
    const stale = await cache.get("k", "conn");
    expect(stale.map((t) => t.name)).toEqual(["a"]); // answered at once
    await cache.refresh("k"); // joins the pass that get() started
    expect(fake.calls).toBe(2);
    expect((await cache.get("k", "conn")).map((t) => t.name)).toEqual(["a", "b"]);
    expect(changes).toEqual(["k"]);
    cache.close();
  });

  it("keeps what it knew when a pass fails, and retries after a pause", async () => {
    let now = 0;
    const fake = fakeDiscovery();
    const cache = new ToolCache<string>({
      ttlMs: 1000,
      retryMs: 100,
      now: () => now,
      logger,
      discover: () => fake.discover(),
      onChange: () => {},
    });
    fake.fail = true;
    expect(await cache.get("k", "c")).toEqual([]);
    expect(await cache.get("k", "c")).toEqual([]);
    expect(fake.calls).toBe(1); // within the pause
    now = 200;
    fake.fail = false;
    await cache.get("k", "c");
    await cache.refresh("k");
    expect((await cache.get("k", "c")).map((t) => t.name)).toEqual(["a"]);
    cache.close();
  });

  it("does not make a request wait longer than the first-wait bound", async () => {
    const fake = fakeDiscovery();
    let open!: () => void;
    fake.gate = new Promise((resolve) => (open = resolve));
    const cache = new ToolCache<string>({
      ttlMs: 1000,
      firstWaitMs: 20,
      logger,
      discover: () => fake.discover(),
      onChange: () => {},
    });
    expect(await cache.get("k", "c")).toEqual([]);
    open();
    await cache.refresh("k");
    expect((await cache.get("k", "c")).map((t) => t.name)).toEqual(["a"]);
    cache.close();
  });

  it("looks a watched connection up every TTL and reports changes; evicts unwatched ones beyond the bound", async () => {
    vi.useFakeTimers();
    try {
      const fake = fakeDiscovery();
      const changes: string[] = [];
      const cache = new ToolCache<string>({
        ttlMs: 1000,
        maxEntries: 1,
        logger,
        discover: () => fake.discover(),
        onChange: (key) => changes.push(key),
      });
      await cache.get("watched", "c");
      cache.watch("watched", true);
      fake.tools = [spec("b")];
      await vi.advanceTimersByTimeAsync(1000);
      expect(changes).toEqual(["watched"]);
      await cache.get("other", "c");
      expect(cache.size).toBe(2); // the watched one stays
      await cache.get("third", "c");
      expect(cache.size).toBe(2); // "other" went
      cache.watch("watched", false);
      const calls = fake.calls;
      await vi.advanceTimersByTimeAsync(5000);
      expect(fake.calls).toBe(calls);
      cache.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("ConnectionEventBus", () => {
  it("delivers a connection's event to its listeners only, without the scope key", () => {
    const bus = new ConnectionEventBus();
    const seen: Record<string, ServerEvent[]> = { a: [], b: [], none: [] };
    const activity: string[] = [];
    bus.onActivity((scope, listening) => activity.push(`${scope}:${listening}`));
    const stopA = bus.within("a", () => bus.subscribe((e) => seen.a!.push(e)));
    bus.within("b", () => bus.subscribe((e) => seen.b!.push(e)));
    bus.subscribe((e) => seen.none!.push(e));
    expect(bus.listenerCount("a")).toBe(1);

    bus.toolsChanged("a");
    expect(seen.a).toEqual([{ kind: "tools_list_changed" }]);
    expect(seen.b).toEqual([]);
    expect(seen.none).toEqual([{ kind: "tools_list_changed" }]);

    bus.publish({ kind: "prompts_list_changed" });
    expect(seen.b).toEqual([{ kind: "prompts_list_changed" }]);

    stopA();
    stopA();
    expect(bus.listenerCount("a")).toBe(0);
    expect(activity).toEqual(["a:true", "b:true", "a:false"]);
  });
});
