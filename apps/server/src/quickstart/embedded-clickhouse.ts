import { randomBytes } from "node:crypto";
import type { DefaultClickHouseConfig } from "../config/server-config.js";

/** The embedded engine's package: ~180 MB, an optional dependency, loaded only when --quickstart needs it. */
export const EMBEDDED_PACKAGE = "@mcp/embedded-clickhouse";

type EmbeddedModule = typeof import("@mcp/embedded-clickhouse");

/** --quickstart needs the embedded ClickHouse and its package is not installed. */
export class EmbeddedClickHouseMissingError extends Error {
  override readonly name = "EmbeddedClickHouseMissingError";
  constructor(options?: ErrorOptions) {
    super(
      `--quickstart without a configured ClickHouse starts an embedded one, but its package ${EMBEDDED_PACKAGE} ` +
        "is not installed. Install it (`pnpm install` in the repository; it is an optional dependency of " +
        "@mcp/server), or point the server at a ClickHouse: --clickhouse-host=... (or CLICKHOUSE_HOST).",
      options,
    );
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

/**
 * Loads the embedded engine's package on demand, so the server runs without it unless
 * --quickstart has to start one. `load` is the import (tests replace it).
 */
export async function loadEmbeddedClickHouse(
  load: () => Promise<EmbeddedModule> = () => import("@mcp/embedded-clickhouse"),
): Promise<EmbeddedModule> {
  try {
    return await load();
  } catch (error) {
    if (isModuleNotFound(error)) throw new EmbeddedClickHouseMissingError({ cause: error });
    throw error;
  }
}

export interface QuickstartClickHouse {
  /** The default ClickHouse to use: the demo database as a read-only user. */
  clickhouse: DefaultClickHouseConfig;
  /** Passwords made up for this run (to scrub from logs). */
  secrets: string[];
  stop(): Promise<void>;
}

const DEMO_USER = "mcp_demo";

/**
 * Starts the embedded ClickHouse with the demo dataset and a read-only user, made up for this run,
 * whose credentials go into the printed token. (The embedded admin's password stays inside.)
 */
export async function startEmbeddedClickHouse(): Promise<QuickstartClickHouse> {
  const { DEMO_DATABASE, start } = await loadEmbeddedClickHouse();
  const demoPassword = randomBytes(18).toString("base64url");
  const embedded = await start({
    // readonly=2: no writes, but the per-query settings our client sends (limits) are allowed.
    users: [{ name: DEMO_USER, password: demoPassword, profile: "readonly2", databases: [DEMO_DATABASE] }],
    loadDemo: true,
  });
  return {
    clickhouse: {
      host: "127.0.0.1",
      port: embedded.httpPort,
      database: DEMO_DATABASE,
      username: DEMO_USER,
      password: demoPassword,
      protocol: "http",
      tlsEnabled: false,
      tlsInsecureSkipVerify: false,
      configured: false,
    },
    secrets: [demoPassword, embedded.admin.password],
    stop: () => embedded.stop(),
  };
}
