import { DatabaseError } from "../errors/database-error.js";
import type { MetadataQuery } from "./catalog.js";
import type { QueryEstimate, QueryResult, TableEstimate } from "./types.js";

// What a SELECT would read, without running it: ClickHouse's `EXPLAIN ESTIMATE` (parts, rows and
// marks per MergeTree table, after the primary key and partition pruning), with bytes
// approximated from each table's uncompressed size.

/** Statements ClickHouse can estimate: a SELECT, WITH … SELECT, or either in parentheses. */
export function checkEstimable(keyword: string): void {
  if (keyword !== "SELECT" && keyword !== "WITH") {
    throw new DatabaseError(
      "INVALID_ARGUMENT",
      `Only SELECT queries (and WITH … SELECT) can be estimated (got ${keyword})`,
    );
  }
}

export function explainEstimateSql(statement: string): string {
  return `EXPLAIN ESTIMATE ${statement}`;
}

const count = (value: unknown): number => {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : 0;
};

/**
 * The estimate from the rows of `EXPLAIN ESTIMATE`, with each table's bytes approximated as its
 * share of rows times its uncompressed size: an upper bound for the query, which reads only the
 * columns it needs. Bytes are null when ClickHouse does not know the table's size (or the user
 * cannot see it in system.tables).
 */
export async function buildEstimate(
  explained: QueryResult,
  metadata: MetadataQuery,
  signal?: AbortSignal,
): Promise<QueryEstimate> {
  const rows = explained.rows.map((row) => ({
    database: String(row.database ?? ""),
    table: String(row.table ?? ""),
    parts: count(row.parts),
    rows: count(row.rows),
    marks: count(row.marks),
  }));
  const sizes = await tableSizes(metadata, rows, signal);
  const tables: TableEstimate[] = rows.map((row) => {
    const size = sizes.get(key(row.database, row.table));
    const bytes =
      size && size.totalRows > 0 && size.uncompressedBytes !== undefined
        ? Math.round((Math.min(row.rows, size.totalRows) / size.totalRows) * size.uncompressedBytes)
        : null;
    return { ...row, bytes };
  });
  const sum = (pick: (t: TableEstimate) => number) => tables.reduce((total, t) => total + pick(t), 0);
  return {
    queryId: explained.queryId,
    tables,
    totalRows: sum((t) => t.rows),
    totalParts: sum((t) => t.parts),
    totalMarks: sum((t) => t.marks),
    totalBytes: tables.every((t) => t.bytes !== null) ? sum((t) => t.bytes ?? 0) : null,
    statistics: explained.statistics,
  };
}

const key = (database: string, table: string) => JSON.stringify([database, table]);

interface TableSize {
  totalRows: number;
  uncompressedBytes: number | undefined;
}

async function tableSizes(
  metadata: MetadataQuery,
  tables: readonly { database: string; table: string }[],
  signal?: AbortSignal,
): Promise<Map<string, TableSize>> {
  const sizes = new Map<string, TableSize>();
  if (tables.length === 0) return sizes;
  try {
    const result = await metadata(
      `SELECT database, name, total_rows, total_bytes_uncompressed FROM system.tables
         WHERE has(arrayZip({databases:Array(String)}, {tables:Array(String)}), (database, name))`,
      { databases: tables.map((t) => t.database), tables: tables.map((t) => t.table) },
      signal,
    );
    for (const row of result.rows) {
      sizes.set(key(String(row.database), String(row.name)), {
        totalRows: count(row.total_rows),
        uncompressedBytes:
          row.total_bytes_uncompressed === null ? undefined : count(row.total_bytes_uncompressed),
      });
    }
  } catch (error) {
    // A ClickHouse without total_bytes_uncompressed (before 24.3): rows without bytes.
    if (signal?.aborted || !(error instanceof DatabaseError) || error.code !== "QUERY_FAILED") throw error;
  }
  return sizes;
}
