import { createHmac, randomBytes } from "node:crypto";
import type { ClickHousePool, ConnectionClaims } from "@mcp/clickhouse";
import type { McpServer, RegisteredTool } from "@modelcontextprotocol/server";
import type { Logger } from "pino";
import type { EffectiveLimits } from "../effective-limits.js";
import type { AnyToolDefinition } from "../tool-definition.js";
import { builtInTools } from "../tools/index.js";
import { ToolCache } from "./cache.js";
import type { OperatorToolsConfig, StaticToolName } from "./config.js";
import { operatorToolDefinitions } from "./definitions.js";
import { discover } from "./discovery.js";
import { ConnectionEventBus } from "./events.js";
import type { OperatorToolsHandle } from "./handle.js";

export type { OperatorToolsConfig, ToolRule } from "./config.js";
export { ConnectionEventBus } from "./events.js";
export type { OperatorToolsHandle } from "./handle.js";

export interface OperatorToolsOptions {
  config: OperatorToolsConfig;
  /** The server is read-only (`--read-only`): no table is looked up for insert tools. */
  serverReadOnly: boolean;
  pool: ClickHousePool;
  logger: Logger;
  /** Where list changes are published; default a new in-process bus. */
  bus?: ConnectionEventBus;
}

export interface OperatorTools {
  /** Discovery rules are configured. */
  readonly enabled: boolean;
  /** The change events of `subscriptions/listen` streams and SSE sessions. */
  readonly bus: ConnectionEventBus;
  /** The scope of a connection's events and cache entry (a keyed digest, never the credentials); undefined when disabled. */
  scopeOf(connection: ConnectionClaims): string | undefined;
  /** The operator tools of one connection, discovering them when needed. Never rejects for ClickHouse's sake. */
  forConnection(
    connection: ConnectionClaims,
    limits: EffectiveLimits,
    options?: { live?: boolean },
  ): Promise<OperatorToolsHandle>;
  close(): void;
}

const STATIC_TOOLS: readonly StaticToolName[] = ["execute_query", "write_query"];

/** Every built-in tool's name: operator tools never take one. */
function builtInNames(): Set<string> {
  return new Set(builtInTools({ readOnly: false }).map((tool) => tool.name));
}

/** A keyed digest of the connection's claims (key order does not matter); the key is this process's own. */
function connectionScope(secret: Buffer, connection: ConnectionClaims): string {
  const entries = Object.entries(connection)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHmac("sha256", secret).update(JSON.stringify(entries)).digest("hex").slice(0, 32);
}

export function createOperatorTools(options: OperatorToolsOptions): OperatorTools {
  const { config, pool, logger } = options;
  const enabled = config.rules.length > 0;
  const hiddenBuiltIns: ReadonlySet<string> = new Set(
    config.staticTools === undefined
      ? []
      : STATIC_TOOLS.filter((name) => !config.staticTools!.includes(name)),
  );
  const bus = options.bus ?? new ConnectionEventBus();
  const secret = randomBytes(32);
  const reserved = builtInNames();
  const tables = !options.serverReadOnly && config.rules.some((rule) => rule.type === "write");
  const log = logger.child({ component: "operator-tools" });
  const cache = new ToolCache<ConnectionClaims>({
    ttlMs: config.discoveryTtlMs,
    logger: log,
    discover: (connection, signal) =>
      pool.withClient(connection, (client) =>
        discover(client, { rules: config.rules, tables, reserved, signal }),
      ),
    onChange: (scope) => bus.toolsChanged(scope),
  });
  const stopWatching = bus.onActivity((scope, listening) => cache.watch(scope, listening));

  return {
    enabled,
    bus,
    scopeOf: (connection) => (enabled ? connectionScope(secret, connection) : undefined),
    async forConnection(connection, limits, { live = false } = {}) {
      if (!enabled) return { tools: [], hiddenBuiltIns, listChanged: false };
      const scope = connectionScope(secret, connection);
      const definitions = async () => operatorToolDefinitions(await cache.get(scope, connection), limits);
      const handle: OperatorToolsHandle = {
        tools: await definitions(),
        hiddenBuiltIns,
        listChanged: true,
        toolsTtlMs: config.discoveryTtlMs,
      };
      if (live) {
        handle.watch = (onChange) =>
          bus.within(scope, () =>
            bus.subscribe((event) => {
              if (event.kind !== "tools_list_changed") return;
              definitions().then(onChange, (error: unknown) =>
                log.error({ errName: (error as Error)?.name }, "operator tools: could not rebuild the list"),
              );
            }),
          );
      }
      return handle;
    },
    close() {
      stopWatching();
      cache.close();
    },
  };
}

/**
 * Keeps a long-lived MCP server's operator tools in step with discovery: on a change the old
 * ones are removed and the new ones registered (each of which sends the client
 * `notifications/tools/list_changed`). Stops when the server closes.
 */
export function followOperatorTools(
  server: McpServer,
  handle: OperatorToolsHandle,
  registered: Map<string, RegisteredTool>,
  register: (tool: AnyToolDefinition) => RegisteredTool,
): void {
  if (!handle.watch) return;
  let current = handle.tools.map((tool) => tool.name);
  const stop = handle.watch((tools) => {
    for (const name of current) {
      registered.get(name)?.remove();
      registered.delete(name);
    }
    current = [];
    for (const tool of tools) {
      if (registered.has(tool.name)) continue;
      registered.set(tool.name, register(tool));
      current.push(tool.name);
    }
    // Also when only a definition changed in place, or every tool went away.
    server.sendToolListChanged();
  });
  const previous = server.server.onclose;
  server.server.onclose = () => {
    stop();
    previous?.();
  };
}

/** The built-in tools a connection keeps, and its operator tools after them. */
export function withOperatorTools(
  builtIns: readonly AnyToolDefinition[],
  handle: OperatorToolsHandle | undefined,
): AnyToolDefinition[] {
  if (!handle) return [...builtIns];
  return [...builtIns.filter((tool) => !handle.hiddenBuiltIns.has(tool.name)), ...handle.tools];
}
