/**
 * A ClickHouse of a test's own, for tests that would harm the shared one (the embedded engine
 * exits ~1 s after a failed native-protocol login). Stop it when done (`await using`).
 */
export { type EmbeddedClickHouse, start as startPrivateClickHouse } from "@mcp/embedded-clickhouse";
export { adminClient, harness, runningQueries, type TestDatabase, useTestDatabase } from "./harness.js";
export {
  BIG_TABLE_ROWS,
  type Cred,
  FIXTURE_TABLES,
  FIXTURES_DATABASE,
  type HarnessInfo,
  type HarnessUsers,
} from "./info.js";
export { startTlsProxy, type TlsProxy, type TlsProxyOptions } from "./tls-proxy.js";
