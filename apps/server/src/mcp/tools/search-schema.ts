import type { SchemaHit } from "@mcp/clickhouse";
import { z } from "zod";
import { identifier, READ_ONLY_TOOL } from "../schemas.js";
import { defineTool, structured } from "../tool-definition.js";

const hitShape = z.object({
  kind: z.enum(["table", "column"]),
  database: z.string(),
  table: z.string(),
  column: z.string().nullable(),
  /** The column's type, or the table's engine. */
  type: z.string(),
  comment: z.string(),
  match: z.enum(["exact_name", "name_prefix", "name_substring", "comment"]),
});

const MATCH_TEXT: Record<SchemaHit["match"], string> = {
  exact_name: "exact name",
  name_prefix: "name starts with it",
  name_substring: "name contains it",
  comment: "comment contains it",
};

/** One line per hit, best first; then how to get the next page. */
function hitsText(text: string, hits: readonly SchemaHit[], nextCursor: string | undefined): string {
  if (hits.length === 0) {
    return (
      `No table or column name or comment contains ${JSON.stringify(text)} in what this connection can see ` +
      "(the system databases are searched only when database names one)."
    );
  }
  const lines = [
    `${hits.length} ${hits.length === 1 ? "match" : "matches"} for ${JSON.stringify(text)}, best first${nextCursor ? " (more pages follow)" : ""}:`,
  ];
  for (const hit of hits) {
    const where =
      hit.kind === "table"
        ? `table ${hit.database}.${hit.table} (${hit.type})`
        : `column ${hit.database}.${hit.table}.${hit.column} ${hit.type}`;
    const comment = hit.comment ? ` -- ${hit.comment.replace(/\s+/g, " ")}` : "";
    lines.push(`${where} [${MATCH_TEXT[hit.match]}]${comment}`);
  }
  if (nextCursor) lines.push(`Next page: call search_schema again with cursor "${nextCursor}".`);
  return lines.join("\n");
}

/** `search_schema`: tables and columns by name or comment, across what the connection can see. */
export function searchSchemaTool() {
  return defineTool({
    name: "search_schema",
    title: "Search tables and columns",
    description:
      "Finds tables and columns whose name or comment contains a text (case-insensitive, no wildcards) across " +
      "every database this connection can see (system databases only when `database` names one), best first: " +
      "exact name, name prefix, name substring, then comment; tables before columns. Each hit gives database, " +
      "table, column, type (or the table's engine), comment and why it matched. 50 per page (or `limit`); pass " +
      "`cursor` (the previous page's nextCursor) for the next page. Use it on large catalogs instead of listing " +
      "every table.",
    inputSchema: z
      .object({
        query: z
          .string()
          .min(1)
          .max(256)
          .describe("Text to find in table and column names and comments, e.g. 'customer' or 'created_at'"),
        database: identifier("Only this database's").optional(),
        cursor: z
          .string()
          .max(4096)
          .optional()
          .describe("nextCursor from the previous page of the same search"),
        limit: z.number().int().min(1).max(500).optional().describe("Hits per page, default 50"),
      })
      .strict(),
    outputSchema: z.object({ hits: z.array(hitShape), nextCursor: z.string().optional() }),
    annotations: READ_ONLY_TOOL,
    async run(client, { query, database, cursor, limit }, { signal }) {
      const page = await client.searchSchema(query, {
        ...(database !== undefined && { database }),
        ...(cursor !== undefined && { cursor }),
        ...(limit !== undefined && { pageSize: limit }),
        signal,
      });
      return structured(
        page.nextCursor ? { hits: page.hits, nextCursor: page.nextCursor } : { hits: page.hits },
        hitsText(query, page.hits, page.nextCursor),
      );
    },
  });
}
