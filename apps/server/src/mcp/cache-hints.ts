import type { McpServerOptions } from "@modelcontextprotocol/server";

/**
 * How long a 2026-07-28 client may cache each list or read result (`ttlMs`, `cacheScope`). One
 * place, chosen from what can change:
 * - Tools, prompts, resource lists and `server/discover` are fixed for one token: they depend on
 *   the token's limits (read-only drops `write_query`, the row cap is in the descriptions) and on
 *   this server's version, so they are `private` (never shared between callers) and may be kept
 *   for a while. View-backed tools, once they exist, change with the views and must lower this.
 * - Resource reads are the live catalog: a table created or altered a moment ago must show up
 *   soon, so they are cached briefly.
 * 2025-era responses never carry these fields.
 */
const LIST_TTL_MS = 5 * 60_000;
const CATALOG_TTL_MS = 30_000;

/**
 * The hints of a server whose tool list follows discovered views and tables (operator-defined
 * tools): `tools/list` may be kept only as long as the discovery TTL.
 */
export function cacheHintsWithToolsTtl(ttlMs: number): NonNullable<McpServerOptions["cacheHints"]> {
  return Object.freeze({
    ...CACHE_HINTS,
    "tools/list": { ttlMs: Math.min(ttlMs, LIST_TTL_MS), cacheScope: "private" },
  });
}

export const CACHE_HINTS: NonNullable<McpServerOptions["cacheHints"]> = Object.freeze({
  "server/discover": { ttlMs: LIST_TTL_MS, cacheScope: "private" },
  "tools/list": { ttlMs: LIST_TTL_MS, cacheScope: "private" },
  "prompts/list": { ttlMs: LIST_TTL_MS, cacheScope: "private" },
  "resources/list": { ttlMs: LIST_TTL_MS, cacheScope: "private" },
  "resources/templates/list": { ttlMs: LIST_TTL_MS, cacheScope: "private" },
  "resources/read": { ttlMs: CATALOG_TTL_MS, cacheScope: "private" },
});
