import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { identifier, READ_ONLY_TOOL, tableDescriptionShape } from "../schemas.js";
import { structured, type ToolDeps } from "../tool-runner.js";

/** `describe_table`: a table's engine, comment and columns. */
export function registerDescribeTable(server: McpServer, { run }: ToolDeps): void {
  server.registerTool(
    "describe_table",
    {
      title: "Describe a table",
      description: "Returns a table's engine, comment and columns (type, default, comment, key membership).",
      inputSchema: z.object({ database: identifier("Database"), table: identifier("Table") }).strict(),
      outputSchema: tableDescriptionShape,
      annotations: READ_ONLY_TOOL,
    },
    async ({ database, table }, extra) =>
      run("describe_table", extra.signal, async (client, signal) =>
        structured({ ...(await client.describeTable(database, table, { signal })) }),
      ),
  );
}
