import { DatabaseError } from "../errors/database-error.js";
import type { MetadataQuery } from "./catalog.js";
import type { SchemaHit, SchemaMatch, SchemaSearchOptions, SchemaSearchPage } from "./types.js";

// Tables and columns whose name or comment contains a text, ranked and paged, in one query that
// ClickHouse filters, sorts and limits itself: system.tables and system.columns already show only
// what the user's grants let it see, and only a page (plus one row) ever comes back, whatever
// the size of the catalog.

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
const MAX_TEXT_LENGTH = 256;

/** Left out unless the search names one of them in `database`. */
const SYSTEM_DATABASES = ["system", "INFORMATION_SCHEMA", "information_schema"];

/** Best first: the rank ClickHouse computes (0–3) is the index in this list. */
const MATCHES: readonly SchemaMatch[] = ["exact_name", "name_prefix", "name_substring", "comment"];
const KINDS = ["table", "column"] as const;

/** Where a page ends: the sort key of its last hit. */
type Position = [rank: number, kind: number, length: number, database: string, table: string, column: string];

function invalid(message: string): DatabaseError {
  return new DatabaseError("INVALID_ARGUMENT", message);
}

function encodeCursor(text: string, database: string | undefined, after: Position): string {
  return Buffer.from(JSON.stringify({ q: text, d: database ?? null, a: after }), "utf8").toString(
    "base64url",
  );
}

function decodeCursor(cursor: string, text: string, database: string | undefined): Position {
  const error = () => invalid("The cursor is not valid for this search");
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw error();
  }
  const { q, d, a } = (value ?? {}) as { q?: unknown; d?: unknown; a?: unknown };
  if (q !== text || d !== (database ?? null) || !Array.isArray(a) || a.length !== 6) throw error();
  const [rank, kind, length, ...names] = a as unknown[];
  const counts = [rank, kind, length];
  if (!counts.every((n) => Number.isInteger(n) && (n as number) >= 0 && (n as number) < 2 ** 32))
    throw error();
  if (!names.every((name) => typeof name === "string")) throw error();
  return a as Position;
}

// One branch per kind; `name` is what the rank is about (the table's or the column's name).
const RANK = `multiIf(
      lowerUTF8(name) = lowerUTF8({text:String}), 0,
      startsWith(lowerUTF8(name), lowerUTF8({text:String})), 1,
      positionCaseInsensitiveUTF8(name, {text:String}) > 0, 2,
      3)`;
const MATCHES_TEXT =
  "(positionCaseInsensitiveUTF8(name, {text:String}) > 0 OR positionCaseInsensitiveUTF8(comment, {text:String}) > 0)";

function searchSql(scope: string, after: boolean): string {
  return `SELECT rank, kind, name_length, db, tbl, col, type, comment FROM (
    SELECT ${RANK} AS rank, 0 AS kind, lengthUTF8(name) AS name_length, database AS db, name AS tbl,
           '' AS col, engine AS type, comment
      FROM system.tables WHERE ${MATCHES_TEXT} AND ${scope} AND NOT is_temporary
    UNION ALL
    SELECT ${RANK} AS rank, 1 AS kind, lengthUTF8(name) AS name_length, database AS db, table AS tbl,
           name AS col, type, comment
      FROM system.columns WHERE ${MATCHES_TEXT} AND ${scope}
  )${
    after
      ? " WHERE (rank, kind, name_length, db, tbl, col) > ({r:UInt8}, {k:UInt8}, {l:UInt32}, {d:String}, {t:String}, {c:String})"
      : ""
  }
  ORDER BY rank, kind, name_length, db, tbl, col
  LIMIT {limit:UInt32}`;
}

/**
 * Tables and columns whose name or comment contains `text` (case-insensitive, taken literally),
 * best first: exact name, then name prefix, name substring, comment; tables before columns on
 * ties, then shorter names, then by database, table and column.
 */
export async function searchSchema(
  query: MetadataQuery,
  text: string,
  options: SchemaSearchOptions,
): Promise<SchemaSearchPage> {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_TEXT_LENGTH) {
    throw invalid(`The search text must be 1 to ${MAX_TEXT_LENGTH} characters`);
  }
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw invalid(`pageSize must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  }
  const database = options.database === "" ? undefined : options.database;
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, text, database);
  const scope =
    database === undefined ? "database NOT IN {system:Array(String)}" : "database = {database:String}";
  const result = await query(
    searchSql(scope, after !== undefined),
    {
      text,
      limit: pageSize + 1,
      ...(database === undefined ? { system: SYSTEM_DATABASES } : { database }),
      ...(after && { r: after[0], k: after[1], l: after[2], d: after[3], t: after[4], c: after[5] }),
    },
    options.signal,
  );
  const rows = result.rows.slice(0, pageSize);
  const hits = rows.map((row): SchemaHit => {
    const kind = KINDS[Number(row.kind)] ?? "column";
    return {
      kind,
      database: String(row.db),
      table: String(row.tbl),
      column: kind === "column" ? String(row.col) : null,
      type: String(row.type ?? ""),
      comment: String(row.comment ?? ""),
      match: MATCHES[Number(row.rank)] ?? "comment",
    };
  });
  const last = rows.at(-1);
  if (result.rows.length <= pageSize || !last) return { hits };
  const position: Position = [
    Number(last.rank),
    Number(last.kind),
    Number(last.name_length),
    String(last.db),
    String(last.tbl),
    String(last.col),
  ];
  return { hits, nextCursor: encodeCursor(text, database, position) };
}
