// The public surface of @mcp/clickhouse.

export {
  MAX_QUERY_PARAM_NAME_LENGTH,
  MAX_QUERY_PARAMS,
  MAX_QUERY_PARAMS_BYTES,
  QUERY_PARAM_NAME,
  type QueryParamValue,
} from "./client/query-params.js";
export type { ReadOnlyCheckOptions } from "./client/sql/read-only-check.js";
export { READ_ONLY_TABLE_FUNCTIONS } from "./client/sql/table-functions.js";
export type {
  ColumnDescription,
  ColumnOfTable,
  ListTablesOptions,
  PooledClient,
  QueryEstimate,
  QueryOptions,
  QueryProgress,
  QueryResult,
  SchemaHit,
  SchemaMatch,
  SchemaSearchOptions,
  SchemaSearchPage,
  TableDescription,
  TableEstimate,
  TableInfo,
  TableRef,
  ViewInfo,
  WritableTableInfo,
} from "./client/types.js";
export type { ConnectionClaims } from "./connection/claims.js";
export {
  type ConnectionPolicyOptions,
  createConnectionPolicy,
} from "./connection/connection-policy.js";
export type { ConnectionDefaults } from "./connection/normalize.js";
export {
  defaultPort,
  HTTP_PORT,
  HTTPS_PORT,
  NATIVE_PORT,
  NATIVE_TLS_PORT,
  type Protocol,
  STANDARD_CLICKHOUSE_PORTS,
} from "./connection/ports.js";
export {
  DATABASE_ERROR_CODES,
  DatabaseError,
  type DatabaseErrorCode,
  type DatabaseErrorDetails,
  isDatabaseError,
} from "./errors/database-error.js";
export {
  type ClickHousePool,
  createClickHousePool,
  POOL_DEFAULTS,
  type PoolOptions,
} from "./pool/clickhouse-pool.js";
export type { PoolStats } from "./pool/keyed-pool.js";
