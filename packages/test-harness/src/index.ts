export { adminClient, harness, type TestDatabase, useTestDatabase } from "./harness.js";
export {
  BIG_TABLE_ROWS,
  type Cred,
  FIXTURE_TABLES,
  FIXTURES_DATABASE,
  type HarnessInfo,
  type HarnessUsers,
} from "./info.js";
export { startTlsProxy, type TlsProxy, type TlsProxyOptions } from "./tls-proxy.js";
