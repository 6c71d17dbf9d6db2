import { z } from "zod";
import { formatBytes, plural } from "../result-text.js";
import { identifier, READ_ONLY_TOOL, tableInfoShape } from "../schemas.js";
import { defineTool, structured } from "../tool-definition.js";

type TableInfo = z.infer<typeof tableInfoShape>;

/** One line per table: name, engine, size, comment; then how to get the next page. */
function tablesText(database: string, tables: TableInfo[], nextCursor: string | undefined): string {
  const lines = [
    `${plural(tables.length, "table")} in ${database}${nextCursor ? " (more pages follow)" : ""}:`,
  ];
  for (const t of tables) {
    const size = [
      t.totalRows !== null && `${t.totalRows} rows`,
      t.totalBytes !== null && formatBytes(Number(t.totalBytes)),
      t.sortingKey && `ORDER BY ${t.sortingKey}`,
      t.partitionKey && `PARTITION BY ${t.partitionKey}`,
    ].filter(Boolean);
    lines.push(
      `${t.name} (${[t.engine, ...size].join(", ")})${t.comment ? ` -- ${t.comment.replace(/\s+/g, " ")}` : ""}`,
    );
  }
  if (nextCursor) lines.push(`Next page: call list_tables again with cursor "${nextCursor}".`);
  return lines.join("\n");
}

/** `list_tables`: one database's tables, a page at a time, optionally filtered by a LIKE pattern. */
export function listTablesTool() {
  return defineTool({
    name: "list_tables",
    title: "List tables",
    description:
      "Lists the tables of a database with engine, row and byte counts and comment, 100 per page " +
      "(or `limit`). " +
      "Pass `like` (a SQL LIKE pattern on the table name) to filter, and `cursor` (the previous page's " +
      "nextCursor) to get the next page.",
    inputSchema: z
      .object({
        database: identifier("Database"),
        like: z.string().max(256).optional().describe("SQL LIKE pattern on the table name, e.g. 'events_%'"),
        cursor: z.string().max(2048).optional().describe("nextCursor from the previous page"),
        limit: z.number().int().min(1).max(1000).optional().describe("Tables per page, default 100"),
      })
      .strict(),
    outputSchema: z.object({ tables: z.array(tableInfoShape), nextCursor: z.string().optional() }),
    annotations: READ_ONLY_TOOL,
    async run(client, { database, like, cursor, limit }, { signal }) {
      const page = await client.listTables(database, {
        ...(like !== undefined && { like }),
        ...(cursor !== undefined && { cursor }),
        ...(limit !== undefined && { pageSize: limit }),
        signal,
      });
      return structured(
        page.nextCursor ? { tables: page.tables, nextCursor: page.nextCursor } : { tables: page.tables },
        tablesText(database, page.tables, page.nextCursor),
      );
    },
  });
}
