import { DatabaseError } from "../errors/database-error.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import type { ListTablesOptions, QueryResult, TableDescription, TableInfo } from "./types.js";

// The metadata the MCP tools list: databases, tables (paged) and a table's columns. Names and
// patterns only ever travel as query parameters; the same SQL runs over either protocol.

/** Runs one read-only metadata query (no caps, no user settings). */
export type MetadataQuery = (
  sql: string,
  params: Record<string, unknown>,
  signal?: AbortSignal,
) => Promise<QueryResult>;

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export async function listDatabases(query: MetadataQuery, signal?: AbortSignal): Promise<string[]> {
  const result = await query("SELECT name FROM system.databases ORDER BY name", {}, signal);
  return result.rows.map((row) => String(row.name));
}

export async function listTables(
  query: MetadataQuery,
  database: string,
  options: ListTablesOptions,
): Promise<{ tables: TableInfo[]; nextCursor?: string }> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new DatabaseError("INVALID_ARGUMENT", `pageSize must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  }
  const like = options.like === undefined || options.like === "" ? undefined : options.like;
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, database, like);
  const result = await query(
    `SELECT database, name, engine, total_rows, total_bytes, comment, sorting_key, partition_key FROM system.tables
       WHERE database = {database:String}${like === undefined ? "" : " AND name LIKE {like:String}"}${
         after === undefined ? "" : " AND name > {after:String}"
       }
       ORDER BY name LIMIT {limit:UInt32}`,
    {
      database,
      limit: pageSize + 1,
      ...(like !== undefined && { like }),
      ...(after !== undefined && { after }),
    },
    options.signal,
  );
  const tables = result.rows.slice(0, pageSize).map(
    (row): TableInfo => ({
      database: String(row.database),
      name: String(row.name),
      engine: String(row.engine),
      totalRows: row.total_rows === null ? null : String(row.total_rows),
      totalBytes: row.total_bytes === null ? null : String(row.total_bytes),
      comment: String(row.comment ?? ""),
      sortingKey: String(row.sorting_key ?? ""),
      partitionKey: String(row.partition_key ?? ""),
    }),
  );
  const last = tables.at(-1);
  return result.rows.length > pageSize && last
    ? { tables, nextCursor: encodeCursor(database, like, last.name) }
    : { tables };
}

export async function describeTable(
  query: MetadataQuery,
  database: string,
  table: string,
  signal?: AbortSignal,
): Promise<TableDescription> {
  const params = { database, table };
  const found = await query(
    "SELECT database, name, engine, comment FROM system.tables WHERE database = {database:String} AND name = {table:String}",
    params,
    signal,
  );
  const info = found.rows[0];
  if (!info) {
    // Let the server say why (unknown database or table, or not enough privileges).
    await query("DESCRIBE TABLE {database:Identifier}.{table:Identifier}", params, signal);
    throw new DatabaseError("QUERY_FAILED", `Table ${database}.${table} is not listed in system.tables`);
  }
  const columns = await query(
    `SELECT name, type, default_kind, default_expression, comment,
              is_in_primary_key, is_in_sorting_key, is_in_partition_key
       FROM system.columns WHERE database = {database:String} AND table = {table:String} ORDER BY position`,
    params,
    signal,
  );
  return {
    database: String(info.database),
    name: String(info.name),
    engine: String(info.engine),
    comment: String(info.comment ?? ""),
    columns: columns.rows.map((row) => ({
      name: String(row.name),
      type: String(row.type),
      defaultKind: String(row.default_kind ?? ""),
      defaultExpression: String(row.default_expression ?? ""),
      comment: String(row.comment ?? ""),
      inPrimaryKey: Number(row.is_in_primary_key) === 1,
      inSortingKey: Number(row.is_in_sorting_key) === 1,
      inPartitionKey: Number(row.is_in_partition_key) === 1,
    })),
  };
}
