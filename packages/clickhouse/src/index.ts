export {
  type ClickHousePool,
  createClickHousePool,
  POOL_DEFAULTS,
  type PoolOptions,
} from "./pool/clickhouse-pool.js";
export {
  type ConnectionDefaults,
  HTTP_PORT,
  HTTPS_PORT,
  NATIVE_PORT,
  NATIVE_TLS_PORT,
  type Protocol,
} from "./connection/normalize.js";
export {
  type ConnectionPolicyOptions,
  createConnectionPolicy,
} from "./connection/connection-policy.js";
export {
  DATABASE_ERROR_CODES,
  DatabaseError,
  type DatabaseErrorCode,
  type DatabaseErrorDetails,
  isDatabaseError,
} from "./errors/database-error.js";
export { STANDARD_CLICKHOUSE_PORTS } from "./connection/host-policy.js";
export type { PoolStats } from "./pool/keyed-pool.js";
export type {
  ColumnDescription,
  ListTablesOptions,
  PooledClient,
  QueryOptions,
  QueryResult,
  TableDescription,
  TableInfo,
} from "./client/clickhouse-client.js";
export {
  classifyStatement,
  READ_ONLY_TABLE_FUNCTIONS,
  type ReadOnlyCheckOptions,
} from "./client/sql/statement.js";
