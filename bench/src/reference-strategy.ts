import { type ClickHousePool, createClickHousePool, type PoolOptions, type PoolStats } from "@mcp/clickhouse";
import type { ConnectionClaims } from "@mcp/jwe";

/**
 * The Go reference's strategy behind our own pool's interface: every call gets a brand-new
 * client (a one-entry pool of our code), pings it, runs the work, and closes it. Dropped into
 * the server in place of the shared pool, it shows what pooling saves on the same code path.
 */
export function createReferenceStrategyPool(options: PoolOptions = {}): ClickHousePool {
  let calls = 0;
  let inFlight = 0;
  let closed = false;
  const stats = (): PoolStats => ({
    size: 0,
    hits: 0,
    misses: calls,
    creations: calls,
    evictions: { lru: 0, idle: 0, closed: calls - inFlight },
    inFlight,
    pendingClose: 0,
  });
  return {
    async withClient<T>(claims: ConnectionClaims, fn: Parameters<ClickHousePool["withClient"]>[1]) {
      if (closed) throw new Error("pool closed");
      const pool = createClickHousePool({ ...options, maxClients: 1 });
      calls++;
      inFlight++;
      try {
        return (await pool.withClient(claims, async (client) => {
          await client.ping();
          return fn(client);
        })) as T;
      } finally {
        inFlight--;
        await pool.close();
      }
    },
    stats,
    async close() {
      closed = true;
    },
    async [Symbol.asyncDispose]() {
      closed = true;
    },
  };
}
