import type { Logger } from "pino";
import type { Discovery, DiscoveryNote, ToolSpec } from "./discovery.js";

// The discovered tools of each connection, kept for a TTL. A request finds them fresh (no query),
// stale (answered with what is known while one refresh runs), or unknown (it waits for the first
// discovery, up to a bound). Concurrent requests share one discovery. A connection somebody
// listens on (an SSE session, a subscription stream) is looked up again every TTL even without
// requests, so a view added or dropped reaches its listeners. When a pass finds a different set,
// `onChange` says so. A failed pass keeps what was known and is retried after a short pause.

export interface ToolCacheOptions<C> {
  ttlMs: number;
  /** Most connections kept; the least recently used one nobody listens on goes first. Default 1000. */
  maxEntries?: number;
  /** Longest a request waits for a connection's first discovery. Default 10 s. */
  firstWaitMs?: number;
  /** Pause after a failed pass before the next one. Default min(ttlMs, 5 s). */
  retryMs?: number;
  discover(connection: C, signal: AbortSignal): Promise<Discovery>;
  onChange(key: string): void;
  logger: Logger;
  now?: () => number;
}

interface Entry<C> {
  connection: C;
  tools: ToolSpec[];
  fingerprint: string;
  /** When the last pass succeeded; undefined before any did. */
  fetchedAt?: number;
  failedAt?: number;
  notesFingerprint?: string;
  inflight?: Promise<void>;
  timer?: ReturnType<typeof setInterval>;
}

/** How long one discovery pass may take. */
const DISCOVERY_TIMEOUT_MS = 30_000;

export class ToolCache<C> {
  private readonly entries = new Map<string, Entry<C>>();
  private readonly watched = new Set<string>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: ToolCacheOptions<C>) {
    this.now = options.now ?? Date.now;
  }

  /** The connection's tools: cached, or after a discovery (which a stale entry does not wait for). */
  async get(key: string, connection: C): Promise<ToolSpec[]> {
    let entry = this.entries.get(key);
    if (entry) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      entry = { connection, tools: [], fingerprint: "[]" };
      this.entries.set(key, entry);
      this.evict(key);
      if (this.watched.has(key)) this.startTimer(key, entry);
    }
    if (this.isFresh(entry)) return entry.tools;
    const pass = this.refresh(key);
    if (entry.fetchedAt !== undefined) return entry.tools;
    // Never discovered: wait for it, within a bound.
    const firstWaitMs = this.options.firstWaitMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([pass, new Promise((resolve) => (timer = setTimeout(resolve, firstWaitMs)))]);
    clearTimeout(timer);
    return entry.tools;
  }

  private isFresh(entry: Entry<C>): boolean {
    const now = this.now();
    if (entry.fetchedAt !== undefined && now - entry.fetchedAt < this.options.ttlMs) return true;
    const retryMs = this.options.retryMs ?? Math.min(this.options.ttlMs, 5_000);
    return entry.failedAt !== undefined && now - entry.failedAt < retryMs;
  }

  /** Runs one pass now (or joins the one running); never rejects. */
  refresh(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry || this.closed) return Promise.resolve();
    entry.inflight ??= this.pass(key, entry).finally(() => {
      entry.inflight = undefined;
    });
    return entry.inflight;
  }

  private async pass(key: string, entry: Entry<C>): Promise<void> {
    const { logger } = this.options;
    let discovery: Discovery;
    try {
      discovery = await this.options.discover(entry.connection, AbortSignal.timeout(DISCOVERY_TIMEOUT_MS));
    } catch (error) {
      entry.failedAt = this.now();
      const { name, code, message } = error as { name?: string; code?: string; message?: string };
      // Messages of the ClickHouse package are safe to show (scrubbed); others are cut to their class.
      logger.warn(
        { errName: name, ...(code && { code, err: message }) },
        "operator tools: discovery failed; the built-in tools are served meanwhile",
      );
      return;
    }
    const first = entry.fetchedAt === undefined;
    entry.fetchedAt = this.now();
    entry.failedAt = undefined;
    this.logNotes(entry, discovery.notes);
    const fingerprint = JSON.stringify(discovery.tools);
    if (fingerprint === entry.fingerprint) return;
    entry.tools = discovery.tools;
    entry.fingerprint = fingerprint;
    logger.info(
      { tools: discovery.tools.map((t) => t.name), skipped: discovery.notes.length },
      "operator tools discovered",
    );
    // A first pass changes nothing anybody saw, unless a listener came while it was slow or failing.
    if (!first || this.watched.has(key)) this.options.onChange(key);
  }

  /** Each note once while it stays the same: a view that cannot be mapped is not logged every TTL. */
  private logNotes(entry: Entry<C>, notes: readonly DiscoveryNote[]): void {
    const fingerprint = JSON.stringify(notes);
    if (fingerprint === entry.notesFingerprint) return;
    entry.notesFingerprint = fingerprint;
    for (const note of notes)
      this.options.logger.warn(
        { object: note.object, reason: note.reason },
        "operator tools: skipped or renamed",
      );
  }

  /** Looks the connection up every TTL while it has listeners. */
  watch(key: string, listening: boolean): void {
    if (listening) {
      this.watched.add(key);
      const entry = this.entries.get(key);
      if (entry) this.startTimer(key, entry);
    } else {
      this.watched.delete(key);
      const entry = this.entries.get(key);
      if (entry?.timer) {
        clearInterval(entry.timer);
        entry.timer = undefined;
      }
    }
  }

  private startTimer(key: string, entry: Entry<C>): void {
    if (entry.timer || this.closed) return;
    entry.timer = setInterval(() => void this.refresh(key), this.options.ttlMs);
    entry.timer.unref();
  }

  /** Least recently used first, never the entry just added nor a watched one. */
  private evict(added: string): void {
    const max = this.options.maxEntries ?? 1000;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= max) return;
      if (key === added || this.watched.has(key)) continue;
      clearInterval(entry.timer);
      this.entries.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) clearInterval(entry.timer);
    this.entries.clear();
    this.watched.clear();
  }
}
