import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// One vitest run for the whole repo, so that one embedded ClickHouse (started by the
// harness's global setup) serves every test file. Workspace packages resolve to their
// sources, so tests never run against a stale dist/.
export default defineConfig({
  resolve: {
    alias: {
      "@mcp/argv": src("./packages/argv/src/index.ts"),
      "@mcp/jwe/defaults": src("./packages/jwe/src/defaults.ts"),
      "@mcp/jwe": src("./packages/jwe/src/index.ts"),
      "@mcp/clickhouse": src("./packages/clickhouse/src/index.ts"),
      "@mcp/clickhouse-native": src("./packages/clickhouse-native/src/index.ts"),
      "@mcp/embedded-clickhouse": src("./packages/embedded-clickhouse/src/index.ts"),
      "@mcp/test-harness": src("./packages/test-harness/src/index.ts"),
    },
  },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "apps/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "apps/*/test/**/*.test.ts",
    ],
    globalSetup: ["packages/test-harness/src/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./tools/summary-reporter.ts"],
  },
});
