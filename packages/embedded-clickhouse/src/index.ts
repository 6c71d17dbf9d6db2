export type { EmbeddedUser } from "./config.js";
export { DEMO_DATABASE, loadDemoDataset } from "./demo.js";
export { ENGINE_PACKAGE, ENGINE_PACKAGE_VERSION, FFI_PACKAGE, FFI_PACKAGE_VERSION } from "./engine.js";
export { EmbeddedClickHouseError, type EmbeddedClickHouseErrorCode } from "./errors.js";
export type { QueryTarget } from "./http-query.js";
export { ADMIN_USER, type EmbeddedClickHouse, type StartOptions, start } from "./start.js";
