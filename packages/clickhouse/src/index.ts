export {
  type ClickHousePool,
  createClickHousePool,
  POOL_DEFAULTS,
  type PoolOptions,
} from "./clickhouse-pool.js";
export {
  type ConnectionDefaults,
  HTTP_PORT,
  HTTPS_PORT,
  NATIVE_PORT,
  NATIVE_TLS_PORT,
  type Protocol,
} from "./connection-key.js";
export {
  type ConnectionPolicyOptions,
  createConnectionPolicy,
} from "./connection-policy.js";
export {
  DATABASE_ERROR_CODES,
  DatabaseError,
  type DatabaseErrorCode,
  type DatabaseErrorDetails,
  isDatabaseError,
} from "./errors.js";
export { STANDARD_CLICKHOUSE_PORTS } from "./host-allow-list.js";
export type { PoolStats } from "./keyed-pool.js";
export type {
  ColumnDescription,
  ListTablesOptions,
  PooledClient,
  QueryOptions,
  QueryResult,
  TableDescription,
  TableInfo,
} from "./pooled-client.js";
export {
  classifyStatement,
  READ_ONLY_TABLE_FUNCTIONS,
  type ReadOnlyCheckOptions,
} from "./sql-statement.js";
