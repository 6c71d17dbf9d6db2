import { AsyncLocalStorage } from "node:async_hooks";
import { InMemoryServerEventBus, type ServerEvent, type ServerEventBus } from "@modelcontextprotocol/server";

// Change events scoped to a connection, behind the SDK's ServerEventBus seam. The SDK's listen
// router subscribes one listener per open `subscriptions/listen` stream and delivers whatever is
// published to every stream that opted in; it knows nothing of tokens. This bus learns which
// connection a listener belongs to from the request being served when it subscribes (the HTTP
// route runs the SDK's handler `within` the request's scope), and delivers an event published
// for one connection only to that connection's listeners. The scope travels inside the event (a
// private `_meta` key, removed before delivery), so a bus of another process (a later pub/sub
// backend) carries it unchanged; unscoped events (the SDK's own `notify` sugar) reach everyone.

const SCOPE_META_KEY = "io.altinity.mcp/connection";

type Listener = (event: ServerEvent) => void;

/** The connection an event was published for, if any. */
function scopeOf(event: ServerEvent): string | undefined {
  const meta = event.params?._meta as Record<string, unknown> | undefined;
  const scope = meta?.[SCOPE_META_KEY];
  return typeof scope === "string" ? scope : undefined;
}

/** The event without the scope key (and without emptied `_meta` / `params`). */
function withoutScope(event: ServerEvent): ServerEvent {
  const params = event.params;
  const meta = params?._meta as Record<string, unknown> | undefined;
  if (!params || !meta || !(SCOPE_META_KEY in meta)) return event;
  const { [SCOPE_META_KEY]: _scope, ...restMeta } = meta;
  const { _meta: _old, ...restParams } = params;
  const nextParams = Object.keys(restMeta).length > 0 ? { ...restParams, _meta: restMeta } : restParams;
  const next = { ...event } as ServerEvent;
  if (Object.keys(nextParams).length > 0) next.params = nextParams;
  else delete next.params;
  return next;
}

export class ConnectionEventBus implements ServerEventBus {
  private readonly scope = new AsyncLocalStorage<string>();
  private readonly listening = new Map<string, number>();
  private readonly activity = new Set<(scope: string, listening: boolean) => void>();

  constructor(private readonly inner: ServerEventBus = new InMemoryServerEventBus()) {}

  /** Runs `fn` (and what it starts) as the connection `scope`: listeners it subscribes belong to it. */
  within<T>(scope: string | undefined, fn: () => T): T {
    return scope === undefined ? fn() : this.scope.run(scope, fn);
  }

  /** An event for every listener. */
  publish(event: ServerEvent): void {
    this.inner.publish(event);
  }

  /** `notifications/tools/list_changed` for the listeners of one connection. */
  toolsChanged(scope: string): void {
    this.inner.publish({ kind: "tools_list_changed", params: { _meta: { [SCOPE_META_KEY]: scope } } });
  }

  subscribe(listener: Listener): () => void {
    const scope = this.scope.getStore();
    const unsubscribe = this.inner.subscribe((event) => {
      const target = scopeOf(event);
      if (target !== undefined && scope !== undefined && target !== scope) return;
      listener(withoutScope(event));
    });
    if (scope === undefined) return unsubscribe;
    this.count(scope, 1);
    let live = true;
    return () => {
      if (!live) return;
      live = false;
      unsubscribe();
      this.count(scope, -1);
    };
  }

  /** Listeners subscribed as this connection, on this process. */
  listenerCount(scope: string): number {
    return this.listening.get(scope) ?? 0;
  }

  /** Called when a connection gets its first listener (true) or loses its last (false). */
  onActivity(callback: (scope: string, listening: boolean) => void): () => void {
    this.activity.add(callback);
    return () => this.activity.delete(callback);
  }

  private count(scope: string, delta: number): void {
    const before = this.listening.get(scope) ?? 0;
    const after = before + delta;
    if (after > 0) this.listening.set(scope, after);
    else this.listening.delete(scope);
    if ((before === 0) !== (after === 0)) {
      for (const callback of this.activity) callback(scope, after > 0);
    }
  }
}
