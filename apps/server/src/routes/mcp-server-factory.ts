import type { McpServer } from "@modelcontextprotocol/server";
import type { Logger } from "pino";
import type { RequestAuth } from "../auth/authenticate.js";

/**
 * Builds the MCP server for one authenticated request or session (asynchronously: a connection's
 * operator-defined tools may have to be discovered first). `live` marks a server that lives as
 * long as its client (an SSE session), which follows changes of its tool list.
 */
export type McpServerFactory = (
  auth: RequestAuth,
  options: { logger: Logger; signal?: AbortSignal; live?: boolean },
) => McpServer | Promise<McpServer>;
