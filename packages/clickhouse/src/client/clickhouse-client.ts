import { randomUUID } from "node:crypto";
import type { NormalizedConnection } from "../connection/normalize.js";
import type { Driver, DriverResponse, SettingValue } from "../drivers/driver.js";
import { DatabaseError } from "../errors/database-error.js";
import { HttpDriver } from "../drivers/http/http-driver.js";
import type { ErrorContext } from "../errors/map-error.js";
import { NativeDriver } from "../drivers/native/native-driver.js";
import { RowCollector } from "./row-collector.js";
import { analyzeStatement, checkReadOnlyStatement } from "./sql/statement.js";
import { loadTlsMaterial, type TlsFileReader } from "../connection/tls-files.js";

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
  /** Refuse queries longer than this many UTF-8 bytes, before any network access. */
  maxQueryLength?: number;
  /** Aborting cancels the HTTP request and kills the query on the server. */
  signal?: AbortSignal;
  /** Default: a random UUID. */
  queryId?: string;
  /** Extra ClickHouse settings; every name must be in `allowedSettings`. */
  settings?: Record<string, string | number | boolean>;
  /**
   * Setting names the caller may pass in `settings`, and that a read-only query's own SETTINGS
   * clause may name. Default: none.
   */
  allowedSettings?: readonly string[];
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

export interface TableInfo {
  database: string;
  name: string;
  engine: string;
  /** UInt64 as a decimal string; null when the engine does not know. */
  totalRows: string | null;
  totalBytes: string | null;
  comment: string;
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
  /** `SELECT 1`: checks reachability and credentials (ClickHouse's /ping checks neither). */
  ping(): Promise<void>;
}

export interface ClientSettings {
  maxSockets: number;
  requestTimeoutMs: number;
  readOnlyLevel: 1 | 2;
  application: string;
}

// The server's own max_execution_time normally fires first; the client deadline is the backstop
// for queries whose SETTINGS clause lifted it (possible for writes and with readonly=2).
const DEADLINE_GRACE_MS = 1_000;
// ClickHouse counts result bytes in memory, where a value can be several times larger than its
// JSON (a zero Int256 is 32 bytes vs `"0",`). A generous multiple keeps the server from stopping
// before the exact client-side byte cut.
const SERVER_BYTES_FACTOR = 8;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

interface RunOptions {
  query: string;
  kind: "read" | "write";
  readOnly: boolean;
  maxRows?: number;
  maxBytes?: number;
  maxExecutionTime?: number;
  maxMemoryUsage?: number;
  signal?: AbortSignal;
  queryId: string;
  settings?: Record<string, SettingValue>;
  params?: Record<string, unknown>;
}

type AbortReason = "cancelled" | "timeout";

export class ClickHouseConnection implements PooledClient {
  readonly key: string;
  /** The `readonly` level of the user's own profile, learnt on the first refusal of a setting. */
  private profileReadonly: 0 | 1 | 2 | undefined;
  /** The probe in progress, shared by every call that is refused before the level is known. */
  private profileProbe: Promise<0 | 1 | 2 | undefined> | undefined;
  private closed = false;

  private constructor(
    key: string,
    private readonly driver: Driver,
    private readonly options: ClientSettings,
  ) {
    this.key = key;
  }

  /** Reads the TLS files (once, for the life of this client) and opens the protocol's driver. */
  static async create(
    connection: NormalizedConnection,
    options: ClientSettings,
    tlsFiles: TlsFileReader,
  ): Promise<ClickHouseConnection> {
    const tls = connection.tls && (await loadTlsMaterial(connection.tls, tlsFiles));
    const context: ErrorContext = {
      host: connection.host.host,
      port: connection.port,
      username: connection.username,
      password: connection.password,
      tls: connection.tls !== undefined,
    };
    const driver =
      connection.protocol === "tcp"
        ? new NativeDriver(
            connection,
            { maxConnections: options.maxSockets, application: options.application },
            tls,
            context,
          )
        : new HttpDriver(connection, options, tls, context);
    return new ClickHouseConnection(connection.key, driver, options);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.driver.close();
  }

  /** A client kept past its `withClient` callback must not quietly reopen connections. */
  private checkOpen(): void {
    if (this.closed) {
      throw new DatabaseError(
        "POOL_CLOSED",
        "This client was closed by the pool (evicted or pool closed); acquire one with withClient",
      );
    }
  }

  async ping(): Promise<void> {
    this.checkOpen();
    // No settings at all (profile level 1), so that it works for every user.
    await this.attempt({ query: "SELECT 1", kind: "read", readOnly: false, queryId: randomUUID() }, 1);
  }

  async executeQuery(sql: string, options: QueryOptions): Promise<QueryResult> {
    this.checkOpen();
    checkQueryOptions(options);
    if (options.signal?.aborted) throw cancelledError();
    if (options.maxQueryLength !== undefined && Buffer.byteLength(sql, "utf8") > options.maxQueryLength) {
      throw new DatabaseError(
        "QUERY_TOO_LARGE",
        `The query is longer than the limit of ${options.maxQueryLength} bytes`,
      );
    }
    const analysis = analyzeStatement(sql);
    if (analysis.statementCount > 1) {
      throw new DatabaseError(
        options.readOnly ? "READ_ONLY_VIOLATION" : "INVALID_QUERY",
        "Only one statement per query is allowed",
      );
    }
    if (options.readOnly && analysis.kind !== "read") {
      throw new DatabaseError(
        "READ_ONLY_VIOLATION",
        `Read-only mode allows only SELECT, WITH … SELECT, SHOW, DESCRIBE, EXISTS and EXPLAIN (got ${analysis.keyword})`,
      );
    }
    // Before anything is sent, and whatever the user's profile: ClickHouse's own readonly=1 lets
    // DESCRIBE run a table function's schema inference, and users whose profile is readonly=2
    // get no `readonly` setting from us at all (see settingsFor).
    if (options.readOnly) {
      checkReadOnlyStatement(analysis.statement, {
        ...(options.allowedSettings && { allowedSettings: options.allowedSettings }),
      });
    }
    for (const name of Object.keys(options.settings ?? {})) {
      if (!options.allowedSettings?.includes(name)) {
        throw new DatabaseError("SETTING_NOT_ALLOWED", `The setting "${name}" is not allowed`);
      }
    }
    return this.run({
      query: analysis.statement,
      kind: analysis.kind,
      readOnly: options.readOnly,
      queryId: options.queryId ?? randomUUID(),
      ...pick(options, ["maxRows", "maxBytes", "maxExecutionTime", "maxMemoryUsage", "signal", "settings"]),
    });
  }

  async listDatabases(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const result = await this.metadataQuery(
      "SELECT name FROM system.databases ORDER BY name",
      {},
      options.signal,
    );
    return result.rows.map((row) => String(row.name));
  }

  async listTables(
    database: string,
    options: ListTablesOptions = {},
  ): Promise<{ tables: TableInfo[]; nextCursor?: string }> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new DatabaseError(
        "INVALID_ARGUMENT",
        `pageSize must be an integer between 1 and ${MAX_PAGE_SIZE}`,
      );
    }
    const like = options.like === undefined || options.like === "" ? undefined : options.like;
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, database, like);
    const result = await this.metadataQuery(
      `SELECT database, name, engine, total_rows, total_bytes, comment FROM system.tables
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
      }),
    );
    const last = tables.at(-1);
    return result.rows.length > pageSize && last
      ? { tables, nextCursor: encodeCursor(database, like, last.name) }
      : { tables };
  }

  async describeTable(
    database: string,
    table: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<TableDescription> {
    const params = { database, table };
    const found = await this.metadataQuery(
      "SELECT database, name, engine, comment FROM system.tables WHERE database = {database:String} AND name = {table:String}",
      params,
      options.signal,
    );
    const info = found.rows[0];
    if (!info) {
      // Let the server say why (unknown database or table, or not enough privileges).
      await this.metadataQuery(
        "DESCRIBE TABLE {database:Identifier}.{table:Identifier}",
        params,
        options.signal,
      );
      throw new DatabaseError("QUERY_FAILED", `Table ${database}.${table} is not listed in system.tables`);
    }
    const columns = await this.metadataQuery(
      `SELECT name, type, default_kind, default_expression, comment,
              is_in_primary_key, is_in_sorting_key, is_in_partition_key
       FROM system.columns WHERE database = {database:String} AND table = {table:String} ORDER BY position`,
      params,
      options.signal,
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

  private metadataQuery(
    sql: string,
    params: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<QueryResult> {
    this.checkOpen();
    if (signal?.aborted) return Promise.reject(cancelledError());
    return this.run({
      query: sql,
      kind: "read",
      readOnly: true,
      queryId: randomUUID(),
      params,
      ...(signal && { signal }),
    });
  }

  private async run(options: RunOptions): Promise<QueryResult> {
    const level = this.profileReadonly ?? 0;
    try {
      return await this.attempt(options, level);
    } catch (error) {
      // Users whose profile has readonly=1 refuse every setting, readonly=2 refuses `readonly`.
      // Learn which once per client, then run them with what their profile allows. Concurrent
      // first calls all fail this way: each is retried, including those refused after another
      // call has already learnt the level.
      if (
        error instanceof DatabaseError &&
        error.clickhouseCode === 164 &&
        /Cannot modify '[^']+' setting in readonly mode/.test(error.message)
      ) {
        const learnt = await this.learnProfileReadonly();
        if (learnt !== undefined && learnt !== level) return this.attempt(options, learnt);
      }
      throw error;
    }
  }

  private learnProfileReadonly(): Promise<0 | 1 | 2 | undefined> {
    if (this.profileReadonly !== undefined) return Promise.resolve(this.profileReadonly);
    this.profileProbe ??= this.probeProfileReadonly().then((level) => {
      // A failed probe is not remembered: the next refusal asks again.
      if (level !== undefined) this.profileReadonly = level;
      this.profileProbe = undefined;
      return level;
    });
    return this.profileProbe;
  }

  private async probeProfileReadonly(): Promise<0 | 1 | 2 | undefined> {
    try {
      const result = await this.attempt(
        {
          query: "SELECT getSetting('readonly') AS level",
          kind: "read",
          readOnly: false,
          queryId: randomUUID(),
        },
        1,
      );
      const level = Number(result.rows[0]?.level);
      return level === 1 || level === 2 ? level : 0;
    } catch {
      return undefined;
    }
  }

  /** The settings a query carries, or undefined for users who may not be sent any. */
  private settingsFor(
    options: RunOptions,
    profileLevel: 0 | 1 | 2,
  ): Record<string, SettingValue> | undefined {
    if (profileLevel === 1) return undefined;
    const settings: Record<string, SettingValue> = { ...options.settings };
    if (options.maxExecutionTime !== undefined) settings.max_execution_time = options.maxExecutionTime;
    if (options.maxMemoryUsage !== undefined) settings.max_memory_usage = options.maxMemoryUsage;
    if (options.kind === "read") {
      if (options.maxRows !== undefined) {
        // One more than the cap, so that a result of exactly maxRows is not reported as cut.
        settings.max_result_rows = options.maxRows + 1;
        settings.result_overflow_mode = "break";
      }
      if (options.maxBytes !== undefined) {
        settings.max_result_bytes = options.maxBytes * SERVER_BYTES_FACTOR;
        settings.result_overflow_mode = "break";
      }
    }
    if (options.readOnly && profileLevel === 0) settings.readonly = this.options.readOnlyLevel;
    return settings;
  }

  private async attempt(options: RunOptions, profileLevel: 0 | 1 | 2): Promise<QueryResult> {
    const started = performance.now();
    const controller = new AbortController();
    let aborted: AbortReason | undefined;
    const abort = (reason: AbortReason) => {
      aborted ??= reason;
      controller.abort();
    };
    const onSignal = () => abort("cancelled");
    options.signal?.addEventListener("abort", onSignal, { once: true });
    const deadline =
      options.maxExecutionTime === undefined
        ? undefined
        : setTimeout(() => abort("timeout"), options.maxExecutionTime * 1000 + DEADLINE_GRACE_MS);
    const rows = new RowCollector({
      ...(options.maxRows !== undefined && { maxRows: options.maxRows }),
      ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
    });
    let cutShort = false;
    try {
      let response: DriverResponse;
      try {
        response = await this.driver.execute({
          query: options.query,
          kind: options.kind,
          queryId: options.queryId,
          settings: this.settingsFor(options, profileLevel),
          signal: controller.signal,
          rows,
          ...(options.params && { params: options.params }),
        });
      } catch (error) {
        if (aborted) {
          cutShort = true;
          throw abortError(aborted, options);
        }
        throw error;
      }
      cutShort = response.cutShort;
      const statistics = {
        elapsedMs: Math.round(performance.now() - started),
        rowsRead: response.rowsRead,
        bytesRead: response.bytesRead,
      };
      if (response.rawOutput !== undefined) {
        return {
          queryId: options.queryId,
          columns: [{ name: "output", type: "String" }],
          rows: [{ output: response.rawOutput }],
          rowCount: 1,
          statistics,
        };
      }
      return {
        queryId: options.queryId,
        columns: rows.columns,
        rows: rows.rows,
        rowCount: rows.rows.length,
        ...(rows.truncated && { truncated: rows.truncated }),
        statistics,
      };
    } finally {
      clearTimeout(deadline);
      options.signal?.removeEventListener("abort", onSignal);
      if (cutShort) await this.driver.kill(options.queryId);
    }
  }
}

function cancelledError(): DatabaseError {
  return new DatabaseError("QUERY_CANCELLED", "The query was cancelled");
}

function abortError(reason: AbortReason, options: RunOptions): DatabaseError {
  if (reason === "timeout") {
    return new DatabaseError(
      "QUERY_TIMEOUT",
      `The query exceeded its time limit of ${options.maxExecutionTime} s and was stopped`,
    );
  }
  return cancelledError();
}

function checkQueryOptions(options: QueryOptions): void {
  const positiveInteger = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new TypeError(`${name} must be a positive integer`);
    }
  };
  positiveInteger("maxRows", options.maxRows);
  positiveInteger("maxBytes", options.maxBytes);
  positiveInteger("maxQueryLength", options.maxQueryLength);
  positiveInteger("maxMemoryUsage", options.maxMemoryUsage);
  if (options.maxExecutionTime !== undefined && !(options.maxExecutionTime > 0)) {
    throw new TypeError("maxExecutionTime must be a positive number of seconds");
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

function encodeCursor(database: string, like: string | undefined, after: string): string {
  return Buffer.from(JSON.stringify({ d: database, l: like ?? null, a: after }), "utf8").toString(
    "base64url",
  );
}

function decodeCursor(cursor: string, database: string, like: string | undefined): string {
  const invalid = () => new DatabaseError("INVALID_ARGUMENT", "The cursor is not valid for this listing");
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const { d, l, a } = (value ?? {}) as { d?: unknown; l?: unknown; a?: unknown };
  if (d !== database || l !== (like ?? null) || typeof a !== "string") throw invalid();
  return a;
}
