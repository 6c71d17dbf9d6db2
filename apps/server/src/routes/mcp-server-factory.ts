import type { McpServer } from "@modelcontextprotocol/server";
import type { Logger } from "pino";
import type { RequestAuth } from "../auth/authenticate.js";

/** Builds the MCP server for one authenticated request or session. */
export type McpServerFactory = (
  auth: RequestAuth,
  options: { logger: Logger; signal?: AbortSignal },
) => McpServer;
