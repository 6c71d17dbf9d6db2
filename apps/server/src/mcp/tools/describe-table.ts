import { z } from "zod";
import { identifier, READ_ONLY_TOOL, tableDescriptionShape } from "../schemas.js";
import { defineTool, structured } from "../tool-definition.js";

type TableDescription = z.infer<typeof tableDescriptionShape>;

/** The table's header line, then one line per column: name, type, default, key membership, comment. */
export function describeText(description: TableDescription): string {
  const lines = [
    `${description.database}.${description.name} (${description.engine})${description.comment ? ` -- ${description.comment}` : ""}`,
  ];
  for (const c of description.columns) {
    const keys = [
      c.inPrimaryKey && "primary key",
      c.inSortingKey && "sorting key",
      c.inPartitionKey && "partition key",
    ]
      .filter(Boolean)
      .join(", ");
    const dflt = c.defaultKind ? ` ${c.defaultKind} ${c.defaultExpression}` : "";
    lines.push(
      `${c.name} ${c.type}${dflt}${keys ? ` [${keys}]` : ""}${c.comment ? ` -- ${c.comment.replace(/\s+/g, " ")}` : ""}`,
    );
  }
  return lines.join("\n");
}

/** `describe_table`: a table's engine, comment and columns. */
export function describeTableTool() {
  return defineTool({
    name: "describe_table",
    title: "Describe a table",
    description: "Returns a table's engine, comment and columns (type, default, comment, key membership).",
    inputSchema: z.object({ database: identifier("Database"), table: identifier("Table") }).strict(),
    outputSchema: tableDescriptionShape,
    annotations: READ_ONLY_TOOL,
    async run(client, { database, table }, { signal }) {
      const description = await client.describeTable(database, table, { signal });
      return structured({ ...description }, describeText(description));
    },
  });
}
