// The client's public types: what `executeQuery` takes and returns, the catalog's answers, and
// the PooledClient interface a `withClient` callback receives.

import type { QueryParamValue } from "./query-params.js";

export interface QueryOptions {
  /**
   * Only SELECT / WITH / SHOW / DESCRIBE / EXISTS / EXPLAIN, with no table function outside
   * READ_ONLY_TABLE_FUNCTIONS and no SETTINGS clause naming a setting outside `allowedSettings`
   * (nor a limit); and ClickHouse's `readonly` setting on where the user's profile allows it.
   */
  readOnly: boolean;
  /** Row cap: at most this many rows are returned; more set `truncated`. */
  maxRows?: number;
  /** Byte cap on the rows returned, counted as the UTF-8 bytes of each row's JSON line (values only). */
  maxBytes?: number;
  /** Time limit in seconds: sent as `max_execution_time` and enforced by a client-side deadline. */
  maxExecutionTime?: number;
  /** Memory limit in bytes for the query on the server: sent as `max_memory_usage`. */
  maxMemoryUsage?: number;
  /**
   * The read budget of a read (rows read from tables, not rows returned): sent as
   * `max_rows_to_read` with `read_overflow_mode = 'throw'`; a query over it fails with
   * READ_BUDGET_EXCEEDED. For users who cannot be sent settings (profile readonly=1) it is held on
   * the client side from the query's progress. Writes are not limited by it.
   */
  maxRowsToRead?: number;
  /** The read budget in bytes (uncompressed, as ClickHouse counts them): `max_bytes_to_read`. */
  maxBytesToRead?: number;
  /** Refuse queries longer than this many UTF-8 bytes, before any network access. */
  maxQueryLength?: number;
  /** Aborting cancels the HTTP request and kills the query on the server. */
  signal?: AbortSignal;
  /** Default: a random UUID. */
  queryId?: string;
  /**
   * Values for the query's `{name:Type}` placeholders, bound as ClickHouse query parameters (never
   * spliced into the SQL): strings, numbers, bigints, booleans, null and arrays of them. Names match
   * `[A-Za-z_][A-Za-z0-9_]*`; at most 100 parameters and 128 KiB of names and values. A missing or
   * ill-typed value is ClickHouse's error (QUERY_FAILED, UNKNOWN_QUERY_PARAMETER or
   * BAD_QUERY_PARAMETER); a bad name or value shape is INVALID_ARGUMENT, before anything is sent.
   */
  params?: Readonly<Record<string, QueryParamValue>>;
  /** Extra ClickHouse settings; every name must be in `allowedSettings`. */
  settings?: Record<string, string | number | boolean>;
  /**
   * Setting names the caller may pass in `settings`, and that a read-only query's own SETTINGS
   * clause may name. Default: none.
   */
  allowedSettings?: readonly string[];
  /**
   * Called while the query runs with its progress so far: at most about four times a second,
   * only when more rows have been read than at the previous call, never after the returned
   * promise settles, maybe never (a short query, or, over HTTP, a user who may not read
   * `system.processes`). What it throws is ignored. See QueryProgress.
   */
  onProgress?: (progress: QueryProgress) => void;
  /**
   * Views a read-only query may call with arguments (`db.view(name = value, …)`, a parameterized
   * view), which the read-only check would otherwise refuse as table functions. Compared with the
   * unquoted database and view names exactly. Default: none.
   */
  callableViews?: readonly TableRef[];
}

/**
 * A running query's progress, cumulative since it started. Over the native protocol it comes
 * from the server's Progress packets; over HTTP from polling `system.processes` on another
 * pooled connection.
 */
export interface QueryProgress {
  rowsRead: number;
  bytesRead: number;
  /** ClickHouse's estimate of the rows the query will read, when it has one; it may grow. */
  totalRowsToRead?: number;
  /** Since `executeQuery` was called. */
  elapsedMs: number;
}

export interface QueryResult {
  queryId: string;
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated?: { reason: "rows" | "bytes"; limit: number };
  statistics: {
    elapsedMs: number;
    /** As reported by ClickHouse when the response began; partial for results that stream for long. */
    rowsRead: number;
    bytesRead: number;
  };
}

/** What one table would give a query, by ClickHouse's `EXPLAIN ESTIMATE` (MergeTree tables only). */
export interface TableEstimate {
  database: string;
  table: string;
  /** Data parts, rows and marks (index granules) left after the primary key and partition pruning. */
  parts: number;
  rows: number;
  marks: number;
  /**
   * Approximate uncompressed bytes: the table's uncompressed size times its share of rows. An
   * upper bound (the query reads only the columns it needs); null when ClickHouse does not know.
   */
  bytes: number | null;
}

/** What a SELECT would read (see `estimateQuery`). */
export interface QueryEstimate {
  /** The id of the `EXPLAIN ESTIMATE` query. */
  queryId: string;
  /** One entry per MergeTree table the query reads; other engines and table functions are absent. */
  tables: TableEstimate[];
  totalRows: number;
  totalParts: number;
  totalMarks: number;
  /** Null when a table's bytes are unknown. */
  totalBytes: number | null;
  statistics: QueryResult["statistics"];
}

export interface TableInfo {
  database: string;
  name: string;
  engine: string;
  /** UInt64 as a decimal string; null when the engine does not know. */
  totalRows: string | null;
  totalBytes: string | null;
  comment: string;
  /** The sorting key expression (ORDER BY of a MergeTree); empty when the engine has none. */
  sortingKey: string;
  /** The partition key expression; empty when the table is not partitioned. */
  partitionKey: string;
}

export interface ColumnDescription {
  name: string;
  type: string;
  /** `DEFAULT`, `MATERIALIZED`, `ALIAS`, `EPHEMERAL` or "". */
  defaultKind: string;
  defaultExpression: string;
  comment: string;
  inPrimaryKey: boolean;
  inSortingKey: boolean;
  inPartitionKey: boolean;
}

export interface TableDescription {
  database: string;
  name: string;
  engine: string;
  comment: string;
  columns: ColumnDescription[];
}

/** A table or view by database and name. */
export interface TableRef {
  database: string;
  name: string;
}

/** A view the user can see (see listViews). */
export interface ViewInfo {
  database: string;
  name: string;
  createTableQuery: string;
  /** The view's SELECT, as ClickHouse normalised it. */
  asSelect: string;
  comment: string;
  /**
   * The `{name:Type}` parameters of a parameterized view, as ClickHouse lists them; absent when
   * this ClickHouse does not expose them (read them from `asSelect` then).
   */
  parameters?: { name: string; type: string }[];
}

/** A table rows can be inserted into. */
export interface WritableTableInfo {
  database: string;
  name: string;
  engine: string;
  comment: string;
}

/** A column of one of several tables (see listColumnsOf). */
export interface ColumnOfTable {
  database: string;
  table: string;
  name: string;
  type: string;
  /** `DEFAULT`, `MATERIALIZED`, `ALIAS`, `EPHEMERAL` or "". */
  defaultKind: string;
  comment: string;
}

/** Why a schema search hit matched, best first. */
export type SchemaMatch = "exact_name" | "name_prefix" | "name_substring" | "comment";

/** A table or column found by `searchSchema`. */
export interface SchemaHit {
  kind: "table" | "column";
  database: string;
  table: string;
  /** The column's name; null for a table. */
  column: string | null;
  /** The column's type, or the table's engine. */
  type: string;
  comment: string;
  match: SchemaMatch;
}

export interface SchemaSearchOptions {
  /** Only this database. Default: every database the user can see but `system` and `INFORMATION_SCHEMA`. */
  database?: string;
  /** The `nextCursor` of the previous page (valid only for the same text and database). */
  cursor?: string;
  /** Default 50, at most 500. */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface SchemaSearchPage {
  hits: SchemaHit[];
  nextCursor?: string;
}

export interface ListTablesOptions {
  /** A LIKE pattern on the table name. */
  like?: string;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** Default 100, at most 1000. */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface PooledClient {
  /** The canonical pool key (password only as a keyed digest). For debugging; not a metric label. */
  readonly key: string;
  executeQuery(sql: string, options: QueryOptions): Promise<QueryResult>;
  /**
   * What a SELECT would read, without running it: `EXPLAIN ESTIMATE` under the same checks as
   * `executeQuery` (read-only, parameters, allowed settings, deadline), but never held to the read
   * budget. INVALID_ARGUMENT for statements other than SELECT / WITH … SELECT.
   */
  estimateQuery(sql: string, options: QueryOptions): Promise<QueryEstimate>;
  listDatabases(options?: { signal?: AbortSignal }): Promise<string[]>;
  listTables(
    database: string,
    options?: ListTablesOptions,
  ): Promise<{ tables: TableInfo[]; nextCursor?: string }>;
  describeTable(
    database: string,
    table: string,
    options?: { signal?: AbortSignal },
  ): Promise<TableDescription>;
  /** The views the user can see, outside the system databases, with their parameters. */
  listViews(options?: { signal?: AbortSignal }): Promise<ViewInfo[]>;
  /** The tables the user can see that rows can be inserted into, outside the system databases. */
  listWritableTables(options?: { signal?: AbortSignal }): Promise<WritableTableInfo[]>;
  /** The columns of these tables, in one query. */
  listColumnsOf(tables: readonly TableRef[], options?: { signal?: AbortSignal }): Promise<ColumnOfTable[]>;
  /**
   * Tables and columns whose name or comment contains `text` (1–256 characters, case-insensitive,
   * no wildcards), ranked: exact name, name prefix, name substring, comment; tables before columns
   * on ties. Grants apply (ClickHouse's system tables show only what the user may see).
   */
  searchSchema(text: string, options?: SchemaSearchOptions): Promise<SchemaSearchPage>;
  /** `SELECT 1`: checks reachability and credentials (ClickHouse's /ping checks neither). */
  ping(): Promise<void>;
}
