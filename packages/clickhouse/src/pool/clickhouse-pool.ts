import { randomBytes } from "node:crypto";
import { ClickHouseClient } from "../client/clickhouse-client.js";
import type { PooledClient } from "../client/types.js";
import type { ConnectionClaims } from "../connection/claims.js";
import { compileHostAllowList } from "../connection/host-policy.js";
import { type ConnectionDefaults, normalizeConnection } from "../connection/normalize.js";
import { TlsFileReader } from "../connection/tls-files.js";
import { DatabaseError } from "../errors/database-error.js";
import { KeyedPool, type PoolStats } from "./keyed-pool.js";

export interface PoolOptions {
  /** Most clients kept at once; the least recently used is evicted beyond. Default 100. */
  maxClients?: number;
  /** A client unused for this long is closed. Default 300000 (5 min). */
  idleTimeoutMs?: number;
  /** Most open HTTP sockets, or native connections (concurrent queries), per client. Default 10. */
  maxSocketsPerClient?: number;
  /**
   * Hosts and ports tokens may connect to: exact names or IPs (`db.internal`, `10.1.2.3`),
   * `*.suffix` (names below the suffix) and CIDR ranges (`10.0.0.0/8`, `::1/128`, matching IP
   * hosts only), each optionally with `:port` or `:*` (`db.internal:18123`, `[::1]:*`); a rule
   * without a port allows only the standard ports 8123, 8443, 9000, 9440. Default: undefined,
   * every host and port.
   */
  allowedHosts?: readonly string[];
  /** Directories the TLS file claims may point into (symlinks and `..` resolved). Default: undefined, anywhere. */
  allowedTlsDirs?: readonly string[];
  /** HTTP: socket idle timeout of a request, in ms (also bounds a query that sends nothing for this long). Default 300000. */
  requestTimeoutMs?: number;
  /** Values for absent connection claims. */
  defaults?: ConnectionDefaults;
  /**
   * The `readonly` level sent with read-only queries. 1 (default) also stops a query's own
   * SETTINGS clause from lifting the limits and refuses table functions such as url() and file();
   * 2 lets queries change settings.
   */
  readOnlyLevel?: 1 | 2;
  /** Sent in the User-Agent (HTTP) and as the client name (native protocol). Default `mcp-clickhouse`. */
  application?: string;
}

export interface ClickHousePool extends AsyncDisposable {
  /** Runs fn with the pooled client for these claims; counts in-flight so eviction/close waits for it. */
  withClient<T>(claims: ConnectionClaims, fn: (client: PooledClient) => Promise<T>): Promise<T>;
  stats(): PoolStats;
  /** Refuses new work, waits for in-flight callbacks, closes every client. Idempotent. */
  close(): Promise<void>;
}

export const POOL_DEFAULTS = Object.freeze({
  maxClients: 100,
  idleTimeoutMs: 300_000,
  maxSocketsPerClient: 10,
  requestTimeoutMs: 300_000,
  readOnlyLevel: 1 as const,
  application: "mcp-clickhouse",
});

export function createClickHousePool(options: PoolOptions = {}): ClickHousePool {
  const settings = {
    maxSockets: options.maxSocketsPerClient ?? POOL_DEFAULTS.maxSocketsPerClient,
    requestTimeoutMs: options.requestTimeoutMs ?? POOL_DEFAULTS.requestTimeoutMs,
    readOnlyLevel: options.readOnlyLevel ?? POOL_DEFAULTS.readOnlyLevel,
    application: options.application ?? POOL_DEFAULTS.application,
  };
  if (!Number.isInteger(settings.maxSockets) || settings.maxSockets < 1) {
    throw new TypeError("maxSocketsPerClient must be a positive integer");
  }
  if (!(settings.requestTimeoutMs > 0)) throw new TypeError("requestTimeoutMs must be > 0");
  if (settings.readOnlyLevel !== 1 && settings.readOnlyLevel !== 2)
    throw new TypeError("readOnlyLevel must be 1 or 2");
  const defaults = { ...options.defaults };
  const checkHost = compileHostAllowList(options.allowedHosts);
  const tlsFiles = new TlsFileReader(options.allowedTlsDirs);
  const passwordKey = randomBytes(32);
  const pool = new KeyedPool<ClickHouseClient>({
    maxSize: options.maxClients ?? POOL_DEFAULTS.maxClients,
    idleTimeoutMs: options.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs,
    destroy: (client) => client.close(),
  });

  return {
    async withClient(claims, fn) {
      if (pool.isClosed) throw new DatabaseError("POOL_CLOSED", "The ClickHouse client pool is closed");
      if (typeof claims !== "object" || claims === null) throw new TypeError("claims must be an object");
      const connection = normalizeConnection(claims, defaults, passwordKey);
      checkHost(connection.host, connection.port); // before the pool: a cached client must not outlive a refusal
      return pool.use(connection.key, () => ClickHouseClient.create(connection, settings, tlsFiles), fn);
    },
    stats: () => pool.stats(),
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
}
