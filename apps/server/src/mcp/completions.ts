import type { McpContext } from "./mcp-context.js";

/** Most suggestions one completion returns (the SDK also caps `values` at 100). */
export const MAX_COMPLETIONS = 100;

/** A completion waits at most this long for the catalog: a client asks on every keystroke. */
const COMPLETION_TIMEOUT_MS = 5_000;

/** `value` as the start of a LIKE pattern: its own % and _ match themselves. */
function likePrefix(value: string): string {
  return `${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Runs one catalog lookup for a completion. Completion is a convenience: a failure (no grant, the
 * server down, too slow) suggests nothing rather than failing the client's request.
 */
async function lookup(ctx: McpContext, what: string, fn: (signal: AbortSignal) => Promise<string[]>) {
  const timeout = AbortSignal.timeout(COMPLETION_TIMEOUT_MS);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  try {
    return await fn(signal);
  } catch (error) {
    ctx.logger.debug({ err: error, completion: what }, "completion lookup failed");
    return [];
  }
}

/** Database names the connection can see that start with `value`. */
export function completeDatabase(ctx: McpContext, value: string): Promise<string[]> {
  return lookup(ctx, "database", async (signal) => {
    const names = await ctx.pool.withClient(ctx.connection, (client) => client.listDatabases({ signal }));
    return names.filter((name) => name.startsWith(value)).slice(0, MAX_COMPLETIONS);
  });
}

/** Table names of `database` the connection can see that start with `value`; none without a database. */
export function completeTable(
  ctx: McpContext,
  database: string | undefined,
  value: string,
): Promise<string[]> {
  if (!database) return Promise.resolve([]);
  return lookup(ctx, "table", async (signal) => {
    const page = await ctx.pool.withClient(ctx.connection, (client) =>
      client.listTables(database, { like: likePrefix(value), pageSize: MAX_COMPLETIONS, signal }),
    );
    return page.tables.map((t) => t.name);
  });
}
