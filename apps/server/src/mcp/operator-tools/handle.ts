import type { AnyToolDefinition } from "../tool-definition.js";

/** What one MCP server (or another surface) of a connection gets from the operator's configuration. */
export interface OperatorToolsHandle {
  /** The discovered tools, under the connection's limits (no insert tool when it is read-only). */
  tools: AnyToolDefinition[];
  /** Built-in tools the configuration leaves out (`server.tools` without an entry naming them). */
  hiddenBuiltIns: ReadonlySet<string>;
  /** Whether the tool list can change while a client is connected (discovery rules exist). */
  listChanged: boolean;
  /** How long a client may cache the tool list, when it can change. */
  toolsTtlMs?: number;
  /**
   * For a server that lives as long as its client (legacy SSE session, stdio): calls `onChange`
   * with the connection's new list when discovery finds a change. Returns the unsubscribe.
   */
  watch?(onChange: (tools: AnyToolDefinition[]) => void): () => void;
}
