import type { PooledClient, TableInfo } from "@mcp/clickhouse";
import {
  completable,
  type GetPromptResult,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { completeDatabase } from "./completions.js";
import { callSignal, type McpContext } from "./mcp-context.js";
import { tableResourceUri } from "./resources.js";
import { formatBytes } from "./result-text.js";
import { toolErrorResult } from "./tool-errors.js";
import { describeText } from "./tools/describe-table.js";

/** Tables listed in an overview; a larger database is summarised by its largest ones. */
const OVERVIEW_MAX_TABLES = 200;
/** Tables whose full description a query prompt embeds. */
const QUERY_PROMPT_MAX_TABLES = 5;

/** What a model should know about ClickHouse SQL that other dialects do not prepare it for. */
export const CLICKHOUSE_SQL_HINTS = [
  "ClickHouse SQL hints:",
  "- Filter on the sorting key (ORDER BY columns) and the partition key first: they let ClickHouse skip data.",
  "- Aggregate in the database (count(), uniq(), quantile(0.9)(x), sumIf(x, cond), countIf(cond), argMax(x, t)) rather than fetching rows.",
  "- Dates: toDate(t), toStartOfHour(t), toStartOfDay(t), toStartOfMonth(t), now(), today(), INTERVAL 7 DAY; dateDiff('day', a, b).",
  "- Always add LIMIT when looking at rows; use ORDER BY ... LIMIT n for top-n.",
  "- Strings: ILIKE for case-insensitive matching, positionCaseInsensitive(), match() for regular expressions.",
  "- Arrays and maps: arrayJoin(), has(arr, x), mapKeys(); JSON columns: col.path or JSONExtractString(col, 'key').",
  "- FINAL on ReplacingMergeTree/CollapsingMergeTree tables when exact deduplicated results matter (slower).",
  "- Identifiers with special characters go in backticks; string literals in single quotes.",
].join("\n");

function tableLine(t: TableInfo): string {
  const facts = [
    t.engine,
    t.totalRows !== null && `${t.totalRows} rows`,
    t.totalBytes !== null && formatBytes(Number(t.totalBytes)),
    t.sortingKey && `ORDER BY ${t.sortingKey}`,
    t.partitionKey && `PARTITION BY ${t.partitionKey}`,
  ].filter(Boolean);
  return `- ${t.name} (${facts.join(", ")})${t.comment ? ` -- ${t.comment.replace(/\s+/g, " ")}` : ""}`;
}

/** The tables of `database`, refusing a database the connection cannot see (by name, to the model). */
async function tablesOf(client: PooledClient, database: string, signal: AbortSignal): Promise<TableInfo[]> {
  const databases = await client.listDatabases({ signal });
  if (!databases.includes(database)) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Database ${JSON.stringify(database)} does not exist or this connection cannot see it; list_databases shows those it can.`,
    );
  }
  const tables: TableInfo[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTables(database, { pageSize: 1000, signal, ...(cursor && { cursor }) });
    tables.push(...page.tables);
    cursor = page.nextCursor;
  } while (cursor && tables.length < 10 * OVERVIEW_MAX_TABLES);
  return tables;
}

function bySizeDescending(a: TableInfo, b: TableInfo): number {
  return Number(b.totalBytes ?? 0) - Number(a.totalBytes ?? 0);
}

/** Runs a prompt's catalog work on a pooled client, with the same error texts as the tools. */
async function withCatalog<T>(
  ctx: McpContext,
  request: ServerContext,
  fn: (client: PooledClient, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const signal = callSignal(ctx, request.mcpReq.signal);
  try {
    return await ctx.pool.withClient(ctx.connection, (client) => fn(client, signal));
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    const mapped = toolErrorResult(error, signal);
    ctx.logger.info({ outcome: mapped.outcome, ...mapped.log }, "prompt");
    throw new ProtocolError(ProtocolErrorCode.InternalError, mapped.text);
  }
}

const databaseArgument = (ctx: McpContext) =>
  completable(
    z.string().min(1).max(256).describe("Database name, exactly as ClickHouse spells it"),
    (value) => completeDatabase(ctx, value),
  );

/** Words of a question worth matching against table names and comments. */
function keywords(question: string): string[] {
  return [...new Set(question.toLowerCase().match(/[\p{L}\p{N}_]{3,}/gu) ?? [])];
}

/** The tables most likely to answer `question`: matches on name and comment, else the largest. */
export function relevantTables(tables: TableInfo[], question: string, max: number): TableInfo[] {
  const words = keywords(question);
  const scored = tables
    .map((t) => {
      const name = t.name.toLowerCase();
      const comment = t.comment.toLowerCase();
      const score = words.reduce(
        (sum, w) => sum + (name.includes(w) || w.includes(name) ? 3 : 0) + (comment.includes(w) ? 1 : 0),
        0,
      );
      return { t, score };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || bySizeDescending(a.t, b.t));
  const chosen = scored.slice(0, max).map((s) => s.t);
  return chosen.length > 0 ? chosen : [...tables].sort(bySizeDescending).slice(0, max);
}

/**
 * Prompts built from the live schema: `explore_database` (an overview of a database's tables,
 * sizes, keys and comments) and `write_query_for_question` (the relevant tables' descriptions
 * embedded as resources, plus ClickHouse dialect hints).
 */
export function registerPrompts(server: McpServer, ctx: McpContext): void {
  server.registerPrompt(
    "explore_database",
    {
      title: "Explore a database",
      description:
        "An overview of one database: its tables with engines, sizes, sorting and partition keys and comments, " +
        "and how to go on exploring it.",
      argsSchema: z.object({ database: databaseArgument(ctx) }),
    },
    async ({ database }, request): Promise<GetPromptResult> => {
      const tables = await withCatalog(ctx, request, (client, signal) => tablesOf(client, database, signal));
      const shown = [...tables].sort(bySizeDescending).slice(0, OVERVIEW_MAX_TABLES);
      const lines = [
        `Explore the ClickHouse database ${database}. It has ${tables.length} table(s)` +
          (shown.length < tables.length ? `; the ${shown.length} largest are listed` : "") +
          ":",
        ...shown.map(tableLine),
        "",
        "Describe what this data is about and how the tables relate. Use describe_table for a table's columns, " +
          "and execute_query for small samples (SELECT * FROM t LIMIT 5) or aggregates, filtering on sorting keys.",
      ];
      return {
        description: `Overview of ${database}`,
        messages: [{ role: "user", content: { type: "text", text: lines.join("\n") } }],
      };
    },
  );

  server.registerPrompt(
    "write_query_for_question",
    {
      title: "Write a query for a question",
      description:
        "Writes a ClickHouse SQL query that answers a question about one database: the relevant tables' " +
        "descriptions are embedded, with ClickHouse SQL hints.",
      argsSchema: z.object({
        question: z.string().min(1).max(4000).describe("The question to answer with data"),
        database: databaseArgument(ctx),
      }),
    },
    async ({ question, database }, request): Promise<GetPromptResult> => {
      const descriptions = await withCatalog(ctx, request, async (client, signal) => {
        const tables = relevantTables(
          await tablesOf(client, database, signal),
          question,
          QUERY_PROMPT_MAX_TABLES,
        );
        return Promise.all(tables.map((t) => client.describeTable(database, t.name, { signal })));
      });
      const intro = [
        `Write one ClickHouse SQL query against the database ${database} that answers: ${question}`,
        descriptions.length > 0
          ? `The tables most likely to help are attached (${descriptions.map((d) => d.name).join(", ")}); ` +
            "list_tables and describe_table show the others."
          : "The database has no tables this connection can see.",
        "Run it with execute_query, check the result makes sense, and answer the question from it.",
        "",
        CLICKHOUSE_SQL_HINTS,
      ].join("\n");
      return {
        description: `Query ${database} for: ${question.slice(0, 100)}`,
        messages: [
          { role: "user", content: { type: "text", text: intro } },
          ...descriptions.map((d) => ({
            role: "user" as const,
            content: {
              type: "resource" as const,
              resource: {
                uri: tableResourceUri(d.database, d.name),
                mimeType: "text/plain",
                text: describeText(d),
              },
            },
          })),
        ],
      };
    },
  );
}
