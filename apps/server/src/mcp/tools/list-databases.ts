import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { READ_ONLY_TOOL } from "../schemas.js";
import { structured, type ToolDeps } from "../tool-runner.js";

/** `list_databases`: the databases this connection can see. */
export function registerListDatabases(server: McpServer, { run }: ToolDeps): void {
  server.registerTool(
    "list_databases",
    {
      title: "List databases",
      description: "Lists the databases this connection can see.",
      inputSchema: z.object({}).strict(),
      outputSchema: z.object({ databases: z.array(z.string()) }),
      annotations: READ_ONLY_TOOL,
    },
    async (_args, extra) =>
      run("list_databases", extra.signal, async (client, signal) =>
        structured({ databases: await client.listDatabases({ signal }) }),
      ),
  );
}
