import { z } from "zod";
import { plural } from "../result-text.js";
import { READ_ONLY_TOOL } from "../schemas.js";
import { defineTool, structured } from "../tool-definition.js";

/** `list_databases`: the databases this connection can see. */
export function listDatabasesTool() {
  return defineTool({
    name: "list_databases",
    title: "List databases",
    description: "Lists the databases this connection can see.",
    inputSchema: z.object({}).strict(),
    outputSchema: z.object({ databases: z.array(z.string()) }),
    annotations: READ_ONLY_TOOL,
    async run(client, _args, { signal }) {
      const databases = await client.listDatabases({ signal });
      return structured({ databases }, [`${plural(databases.length, "database")}:`, ...databases].join("\n"));
    },
  });
}
