// The public surface of @mcp/clickhouse-native.
export type { JsonValue } from "./columns.js";
export { type Connection, connect } from "./connection.js";
export {
  isNativeError,
  NATIVE_ERROR_CODES,
  NativeError,
  type NativeErrorCode,
  type ServerExceptionInfo,
} from "./errors.js";
export {
  isNetworkErrorCode,
  isTlsErrorCode,
  NETWORK_ERROR_CODES,
  TLS_ERROR_CODES,
} from "./network-errors.js";
export type { ConnectionOptions, NativeQueryOptions, TlsOptions } from "./options.js";
export { formatQueryParam, type NativeSettingValue, type QueryParamValue } from "./params.js";
export { createPool, type NativePoolOptions, type NativePoolStats, type Pool } from "./pool.js";
export {
  type Block,
  CLIENT_REVISION,
  type ColumnInfo,
  MIN_SERVER_REVISION,
  type ProfileInfo,
  type Progress,
  type ServerHello,
} from "./protocol.js";
export { blockRow, blockRowObject, type NativeQueryResult } from "./query-result.js";
export { DEFAULT_READ_LIMITS, type ReadLimits } from "./reader.js";
