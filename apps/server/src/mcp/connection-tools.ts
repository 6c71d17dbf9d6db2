import type { McpContext } from "./mcp-context.js";
import { withOperatorTools } from "./operator-tools/index.js";
import type { AnyToolDefinition } from "./tool-definition.js";
import { builtInTools } from "./tools/index.js";

/**
 * The tools one connection is offered: the single list every surface serves, MCP
 * (create-mcp-server.ts registers it) and OpenAPI (openapi/ documents and calls it), so a tool
 * cannot exist on one and be missing from the other. The built-in tools follow the connection's
 * limits (`write_query` only where writes are allowed); operator-defined tools join the list here.
 */
export function connectionTools(ctx: McpContext): AnyToolDefinition[] {
  return withOperatorTools(builtInTools(ctx.limits), ctx.operatorTools);
}
