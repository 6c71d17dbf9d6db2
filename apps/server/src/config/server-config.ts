import type { OperatorToolsConfig } from "../mcp/operator-tools/config.js";
import type { OptionValueOf } from "./flags.js";

/**
 * The server's whole configuration, after flags, environment, config file and defaults have
 * been merged and validated (see load-config.ts). Everything else in the server reads this
 * object and nothing else: no module outside config/ looks at process.env or argv.
 *
 * Defaults, flags, variables and units are stated once, in the table of flags.ts (and in the
 * README table generated from it); the comments here say only what the table cannot.
 */
export type Transport = OptionValueOf<"transport">[number];
export type LogLevel = OptionValueOf<"log-level">;

/** The operator's ClickHouse: used when JWE is off (and, only if opted in, to fill gaps in tokens). */
export interface DefaultClickHouseConfig {
  host: string;
  /** Unless given, follows the protocol and TLS (as for a token's claims). */
  port: number;
  database: string;
  username: string;
  password: string;
  protocol: OptionValueOf<"clickhouse-protocol">;
  tlsEnabled: boolean;
  tlsCaCert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  tlsInsecureSkipVerify: boolean;
  /** true when any --clickhouse-* / CLICKHOUSE_* value was given: then no embedded ClickHouse is started. */
  configured: boolean;
}

export interface LimitsConfig {
  readOnly: boolean;
  /** Seconds. */
  maxExecutionTime: number;
  maxResultRows: number;
  maxResultBytes: number;
  /** Bytes; 0 leaves it to ClickHouse's own limit. */
  maxMemoryUsage: number;
  maxQueryLength: number;
  /** The read budget of a read; 0: none. */
  maxRowsToRead: number;
  /** Bytes (uncompressed); 0: none. */
  maxBytesToRead: number;
}

export interface JweConfig {
  allow: boolean;
  /** current secret first, then previous ones (rotation). Empty when JWE is off. */
  jweSecretKeys: string[];
  jwtSecretKey?: string;
  clockToleranceSeconds: number;
  maxTokenBytes: number;
  /** A later exp is refused, never minted. */
  maxTokenLifetimeSeconds: number;
  /** Operator opt-in: fill a token's missing connection fields from the default ClickHouse. */
  fillFromDefault: boolean;
}

export interface PoolConfig {
  maxClients: number;
  idleTimeoutMs: number;
  allowedHosts?: string[]; // undefined = allow all
  allowedTlsDirs?: string[]; // undefined = allow all
}

export interface GeneratorConfig {
  /** Only meaningful with JWE on. Off a loopback address it requires operatorKey. */
  enabled: boolean;
  operatorKey?: string; // when set, POST /jwe-token-generator requires Authorization: Bearer <key>
}

export interface HttpConfig {
  transports: Transport[]; // stdio alone, or one or both HTTP transports
  address: string;
  port: number;
  corsOrigin?: string; // undefined = no CORS headers
  allowedHosts?: string[]; // Host header allow-list (DNS rebinding); undefined = loopback only on a loopback address, else any
  allowedOrigins?: string[]; // Origin allow-list; undefined = loopback only on a loopback address, else any
  maxBodyBytes: number; // -> 413 above
  maxSseSessions: number; // total open SSE sessions
  maxSseSessionsPerToken: number; // open SSE sessions per token (JWE) -> 429 above
  maxConcurrentCallsPerToken: number; // MCP requests running at once per token (JWE) -> 429 above
  sseKeepAliveMs: number;
  shutdownGraceMs: number;
  requestTimeoutMs: number; // headers and body must arrive within this
  tls?: { certFile: string; keyFile: string; caCertFile?: string }; // --server-tls*
  openapi?: "http" | "https"; // --openapi; undefined = off (404)
}

export interface ServerConfig {
  http: HttpConfig;
  jwe: JweConfig;
  clickhouse: DefaultClickHouseConfig;
  limits: LimitsConfig;
  pool: PoolConfig;
  generator: GeneratorConfig;
  logLevel: LogLevel;
  /** Operator-defined tools (`server.tools`): discovery rules and the TTL; absent = none. */
  operatorTools?: OperatorToolsConfig;
}
