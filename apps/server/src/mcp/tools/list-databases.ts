import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { plural } from "../result-text.js";
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
    async (_args, ctx) =>
      run("list_databases", ctx, async (client, { signal }) => {
        const databases = await client.listDatabases({ signal });
        return structured(
          { databases },
          [`${plural(databases.length, "database")}:`, ...databases].join("\n"),
        );
      }),
  );
}
