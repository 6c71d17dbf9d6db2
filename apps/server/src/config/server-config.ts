/**
 * The server's whole configuration, after flags, environment, config file and defaults have
 * been merged and validated (see load-config.ts). Everything else in the server reads this
 * object and nothing else: no module outside config/ looks at process.env or argv.
 */
export type Transport = "stdio" | "sse" | "http";
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

/** The operator's own ClickHouse: used when JWE is off (and, only if opted in, to fill gaps in tokens). */
export interface DefaultClickHouseConfig {
  host: string; // default "localhost"
  port: number; // default 8123
  database: string; // default "default"
  username: string; // default "default"
  password: string; // default ""
  protocol: "http" | "tcp"; // default "http"
  tlsEnabled: boolean;
  tlsCaCert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  tlsInsecureSkipVerify: boolean;
  /** true when any --clickhouse-* / CLICKHOUSE_* value was given: then no embedded ClickHouse is started. */
  configured: boolean;
}

export interface LimitsConfig {
  readOnly: boolean; // --read-only, CLICKHOUSE_READ_ONLY, default false
  maxExecutionTime: number; // seconds, --clickhouse-max-execution-time, default 600
  maxResultRows: number; // --clickhouse-max-result-rows, default 500
  maxResultBytes: number; // --clickhouse-max-result-bytes, default 16 MiB
  maxMemoryUsage: number; // bytes, --clickhouse-max-memory-usage, default 4 GiB, 0 = ClickHouse's own limit
  maxQueryLength: number; // --clickhouse-max-query-length, default 100_000 characters
}

export interface JweConfig {
  allow: boolean; // --allow-jwe-auth, MCP_ALLOW_JWE_AUTH
  /** current secret first, then previous ones (rotation). Empty when JWE is off. */
  jweSecretKeys: string[];
  jwtSecretKey?: string;
  clockToleranceSeconds: number; // default 30
  maxTokenBytes: number; // default 16384
  maxTokenLifetimeSeconds: number; // default 2_592_000 (30 days): a later exp is refused, never minted
  /** Operator opt-in: fill a token's missing connection fields from the default ClickHouse. Default false. */
  fillFromDefault: boolean;
}

export interface PoolConfig {
  maxClients: number; // default 100
  idleTimeoutMs: number; // default 300_000
  allowedHosts?: string[]; // undefined = allow all
  allowedTlsDirs?: string[]; // undefined = allow all
}

export interface GeneratorConfig {
  /** Default false (pnpm start: true); only meaningful with JWE on. Off a loopback address it requires operatorKey. */
  enabled: boolean;
  operatorKey?: string; // when set, POST /jwe-token-generator requires Authorization: Bearer <key>
}

export interface HttpConfig {
  transports: Transport[]; // --transport "sse,http"; stdio alone or http transports
  address: string; // --address, MCP_ADDRESS, default "127.0.0.1"
  port: number; // --port, MCP_PORT, default 8080
  corsOrigin?: string; // --cors-origin, MCP_CORS_ORIGIN; undefined = no CORS headers
  allowedHosts?: string[]; // Host header allow-list (DNS rebinding); undefined = loopback only on a loopback address, else any
  allowedOrigins?: string[]; // Origin allow-list; undefined = loopback only on a loopback address, else any
  maxBodyBytes: number; // default 1 MiB -> 413 above
  maxSseSessions: number; // total open SSE sessions, default 1000
  maxSseSessionsPerToken: number; // open SSE sessions per token (JWE), default 100 -> 429 above
  maxConcurrentCallsPerToken: number; // MCP requests running at once per token (JWE), default 8 -> 429 above
  sseKeepAliveMs: number; // default 15_000
  shutdownGraceMs: number; // default 10_000
  requestTimeoutMs: number; // headers and body must arrive within this, default 30_000
  tls?: { certFile: string; keyFile: string; caCertFile?: string }; // --server-tls*
}

export interface ServerConfig {
  http: HttpConfig;
  jwe: JweConfig;
  clickhouse: DefaultClickHouseConfig;
  limits: LimitsConfig;
  pool: PoolConfig;
  generator: GeneratorConfig;
  logLevel: LogLevel; // --log-level, LOG_LEVEL, default "info"
}
