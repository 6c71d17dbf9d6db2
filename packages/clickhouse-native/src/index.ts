export type { JsonValue } from "./columns.js";
export {
  type Connection,
  type ConnectionOptions,
  connect,
  type QueryOptions,
  type TlsOptions,
} from "./connection.js";
export {
  isNativeError,
  NATIVE_ERROR_CODES,
  NativeError,
  type NativeErrorCode,
  type ServerExceptionInfo,
} from "./errors.js";
export { formatQueryParam, type QueryParamValue, type SettingValue } from "./params.js";
export { createPool, type Pool, type PoolOptions, type PoolStats } from "./pool.js";
export {
  type Block,
  CLIENT_REVISION,
  type ColumnInfo,
  MIN_SERVER_REVISION,
  type ProfileInfo,
  type Progress,
  type ServerHello,
} from "./protocol.js";
export { blockRow, blockRowObject, type QueryResult } from "./query-result.js";
export { DEFAULT_READ_LIMITS, type ReadLimits } from "./reader.js";
