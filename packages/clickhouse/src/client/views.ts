import { isDatabaseError } from "../errors/database-error.js";
import type { MetadataQuery } from "./catalog.js";
import type { ColumnOfTable, TableRef, ViewInfo, WritableTableInfo } from "./types.js";

// The catalog of operator-defined tools: the views a user may read (with the parameters of a
// parameterized view) and the tables it may insert into, with their columns. Only what the
// user's grants show; names only ever travel as query parameters.

/** Databases that hold no operator objects. */
const SYSTEM_DATABASES = ["system", "INFORMATION_SCHEMA", "information_schema"];

/** ClickHouse's UNKNOWN_IDENTIFIER: a column this version of system.tables does not have. */
const UNKNOWN_IDENTIFIER = 47;

const VIEWS_SQL = (withParameters: boolean) =>
  `SELECT database, name, create_table_query, as_select, comment${
    withParameters ? ", parameterized_view_parameters" : ""
  }
     FROM system.tables
     WHERE engine = 'View' AND NOT is_temporary AND database NOT IN {system:Array(String)}
     ORDER BY database, name`;

/**
 * Every view the user can see, outside the system databases. The parameters of a parameterized
 * view are ClickHouse's own (`system.tables.parameterized_view_parameters`) where this version
 * has that column; otherwise `parameters` is absent and the caller reads them from `asSelect`.
 */
export async function listViews(query: MetadataQuery, signal?: AbortSignal): Promise<ViewInfo[]> {
  const params = { system: SYSTEM_DATABASES };
  let withParameters = true;
  let result: Awaited<ReturnType<MetadataQuery>>;
  try {
    result = await query(VIEWS_SQL(true), params, signal);
  } catch (error) {
    if (!isDatabaseError(error) || error.clickhouseCode !== UNKNOWN_IDENTIFIER) throw error;
    withParameters = false;
    result = await query(VIEWS_SQL(false), params, signal);
  }
  return result.rows.map((row): ViewInfo => {
    const view: ViewInfo = {
      database: String(row.database),
      name: String(row.name),
      createTableQuery: String(row.create_table_query ?? ""),
      asSelect: String(row.as_select ?? ""),
      comment: String(row.comment ?? ""),
    };
    if (withParameters) view.parameters = parameterList(row.parameterized_view_parameters);
    return view;
  });
}

/** `Array(Tuple(name String, type String))` as either driver returns it: tuples as arrays or objects. */
function parameterList(value: unknown): { name: string; type: string }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (Array.isArray(item) && item.length === 2) return [{ name: String(item[0]), type: String(item[1]) }];
    if (typeof item === "object" && item !== null && "name" in item && "type" in item) {
      const { name, type } = item as { name: unknown; type: unknown };
      return [{ name: String(name), type: String(type) }];
    }
    return [];
  });
}

/**
 * Every table the user can see that rows can be inserted into: not a view, materialized view,
 * alias or dictionary, outside the system databases.
 */
export async function listWritableTables(
  query: MetadataQuery,
  signal?: AbortSignal,
): Promise<WritableTableInfo[]> {
  const result = await query(
    `SELECT database, name, engine, comment FROM system.tables
       WHERE engine NOT IN ('View', 'MaterializedView', 'LiveView', 'WindowView', 'Alias', 'Dictionary')
         AND NOT is_temporary AND database NOT IN {system:Array(String)}
       ORDER BY database, name`,
    { system: SYSTEM_DATABASES },
    signal,
  );
  return result.rows.map((row) => ({
    database: String(row.database),
    name: String(row.name),
    engine: String(row.engine),
    comment: String(row.comment ?? ""),
  }));
}

/** The columns of these tables in one query, in table order, each table's in column order. */
export async function listColumnsOf(
  query: MetadataQuery,
  tables: readonly TableRef[],
  signal?: AbortSignal,
): Promise<ColumnOfTable[]> {
  if (tables.length === 0) return [];
  const wanted = new Set(tables.map((t) => JSON.stringify([t.database, t.name])));
  const result = await query(
    `SELECT database, table, name, type, default_kind, comment FROM system.columns
       WHERE database IN {databases:Array(String)} AND table IN {tables:Array(String)}
       ORDER BY database, table, position`,
    {
      databases: [...new Set(tables.map((t) => t.database))],
      tables: [...new Set(tables.map((t) => t.name))],
    },
    signal,
  );
  return result.rows
    .map((row) => ({
      database: String(row.database),
      table: String(row.table),
      name: String(row.name),
      type: String(row.type),
      defaultKind: String(row.default_kind ?? ""),
      comment: String(row.comment ?? ""),
    }))
    .filter((column) => wanted.has(JSON.stringify([column.database, column.table])));
}
