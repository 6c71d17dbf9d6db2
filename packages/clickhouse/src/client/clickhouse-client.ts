import { randomUUID } from "node:crypto";
import type { NormalizedConnection } from "../connection/normalize.js";
import { loadTlsMaterial, type TlsFileReader } from "../connection/tls-files.js";
import type { Driver } from "../drivers/driver.js";
import { HttpDriver } from "../drivers/http/http-driver.js";
import { NativeDriver } from "../drivers/native/native-driver.js";
import { DatabaseError } from "../errors/database-error.js";
import type { ErrorContext } from "../errors/map-error.js";
import { describeTable, listDatabases, listTables } from "./catalog.js";
import { buildEstimate, checkEstimable, explainEstimateSql } from "./estimate.js";
import { ProgressReporter } from "./progress-reporter.js";
import { checkQuery, checkQueryOptions, querySettings } from "./query-policy.js";
import {
  isSettingRefusedByProfile,
  type ProfileReadonly,
  ReadonlyProfile,
  toProfileReadonly,
} from "./readonly-profile.js";
import { cancelledError, type QueryRun, runQuery } from "./run-query.js";
import { searchSchema } from "./search-schema.js";
import type {
  ColumnOfTable,
  ListTablesOptions,
  PooledClient,
  QueryEstimate,
  QueryOptions,
  QueryResult,
  SchemaSearchOptions,
  SchemaSearchPage,
  TableDescription,
  TableInfo,
  TableRef,
  ViewInfo,
  WritableTableInfo,
} from "./types.js";
import { listColumnsOf, listViews, listWritableTables } from "./views.js";

export interface ClientSettings {
  maxSockets: number;
  requestTimeoutMs: number;
  readOnlyLevel: 1 | 2;
  application: string;
}

/**
 * The pooled client for one set of connection claims: checks each query (query-policy.ts), runs
 * it on the protocol's driver (run-query.ts), adapts to the user's readonly profile
 * (readonly-profile.ts), and answers the catalog questions (catalog.ts).
 */
export class ClickHouseClient implements PooledClient {
  readonly key: string;
  private readonly profile = new ReadonlyProfile(() => this.probeProfileReadonly());
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
  ): Promise<ClickHouseClient> {
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
    return new ClickHouseClient(connection.key, driver, options);
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
    const analysis = checkQuery(sql, options);
    // One reporter for the whole call, so that a retry (see `run`) cannot report less.
    const progress = options.onProgress && new ProgressReporter(options.onProgress);
    try {
      return await this.run({
        query: analysis.statement,
        kind: analysis.kind,
        readOnly: options.readOnly,
        queryId: options.queryId ?? randomUUID(),
        ...pick(options, [
          "maxRows",
          "maxBytes",
          "maxExecutionTime",
          "maxMemoryUsage",
          "maxRowsToRead",
          "maxBytesToRead",
          "signal",
          "settings",
          "params",
        ]),
        ...(progress && { onProgress: progress.update }),
      });
    } finally {
      progress?.stop();
    }
  }

  async estimateQuery(sql: string, options: QueryOptions): Promise<QueryEstimate> {
    this.checkOpen();
    checkQueryOptions(options);
    if (options.signal?.aborted) throw cancelledError();
    const analysis = checkQuery(sql, options);
    checkEstimable(analysis.keyword);
    // Not held to the read budget: index analysis under max_rows_to_read would refuse to estimate
    // exactly the queries whose cost the caller wants to see.
    const explained = await this.run({
      query: explainEstimateSql(analysis.statement),
      kind: "read",
      readOnly: options.readOnly,
      queryId: options.queryId ?? randomUUID(),
      ...pick(options, ["maxExecutionTime", "maxMemoryUsage", "signal", "settings", "params"]),
    });
    return buildEstimate(explained, this.metadataQuery, options.signal);
  }

  searchSchema(text: string, options: SchemaSearchOptions = {}): Promise<SchemaSearchPage> {
    return searchSchema(this.metadataQuery, text, options);
  }

  listDatabases(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return listDatabases(this.metadataQuery, options.signal);
  }

  listTables(
    database: string,
    options: ListTablesOptions = {},
  ): Promise<{ tables: TableInfo[]; nextCursor?: string }> {
    return listTables(this.metadataQuery, database, options);
  }

  describeTable(
    database: string,
    table: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<TableDescription> {
    return describeTable(this.metadataQuery, database, table, options.signal);
  }

  listViews(options: { signal?: AbortSignal } = {}): Promise<ViewInfo[]> {
    return listViews(this.metadataQuery, options.signal);
  }

  listWritableTables(options: { signal?: AbortSignal } = {}): Promise<WritableTableInfo[]> {
    return listWritableTables(this.metadataQuery, options.signal);
  }

  listColumnsOf(
    tables: readonly TableRef[],
    options: { signal?: AbortSignal } = {},
  ): Promise<ColumnOfTable[]> {
    return listColumnsOf(this.metadataQuery, tables, options.signal);
  }

  private readonly metadataQuery = (
    sql: string,
    params: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<QueryResult> => {
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
  };

  private async run(run: QueryRun): Promise<QueryResult> {
    const level = this.profile.level;
    try {
      return await this.attempt(run, level);
    } catch (error) {
      // Users whose profile has readonly=1 refuse every setting, readonly=2 refuses `readonly`.
      // Learn which once per client, then run them with what their profile allows. Concurrent
      // first calls all fail this way: each is retried, including those refused after another
      // call has already learnt the level.
      if (isSettingRefusedByProfile(error)) {
        const learnt = await this.profile.learn();
        if (learnt !== undefined && learnt !== level) return this.attempt(run, learnt);
      }
      throw error;
    }
  }

  private async probeProfileReadonly(): Promise<ProfileReadonly | undefined> {
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
      return toProfileReadonly(result.rows[0]?.level);
    } catch {
      return undefined;
    }
  }

  private attempt(run: QueryRun, profileLevel: ProfileReadonly): Promise<QueryResult> {
    return runQuery(this.driver, run, querySettings(run, profileLevel, this.options.readOnlyLevel));
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
