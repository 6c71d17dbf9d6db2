import type { RowCollector } from "../client/row-collector.js";

export type SettingValue = string | number | boolean;

/** One statement for a driver to run; the client has already checked and limited it. */
export interface DriverRequest {
  /** One statement, without a FORMAT clause. */
  query: string;
  kind: "read" | "write";
  queryId: string;
  /**
   * The settings to send, or undefined when the user may not be sent any (a profile with
   * readonly=1): then the driver adds none of its own either.
   */
  settings: Record<string, SettingValue> | undefined;
  params?: Record<string, unknown>;
  /** Aborted by the caller or by the client-side deadline: the driver stops and rejects. */
  signal: AbortSignal;
  /** Receives the columns, then each row's values; asks the driver to stop at a cap. */
  rows: RowCollector;
  /**
   * Only when the caller wants progress: takes the query's totals so far, as often as the driver
   * learns them, until `execute` settles. Never throws.
   */
  onProgress?: (totals: ProgressTotals) => void;
}

/** What a running query has read so far, as the driver knows it (not increments). */
export interface ProgressTotals {
  rowsRead: number;
  bytesRead: number;
  /** ClickHouse's estimate; 0 when it has none. */
  totalRowsToRead: number;
}

export interface DriverResponse {
  /** True when the driver stopped reading before the end (a cap): the query is killed by id. */
  cutShort: boolean;
  rowsRead: number;
  bytesRead: number;
  /** A write's output in a form the driver could not parse into rows (HTTP, readonly=1 users). */
  rawOutput?: string;
}

/**
 * What differs between the HTTP interface and the native protocol. Everything else (checks,
 * limits, read-only, deadlines, metadata SQL) lives in the client, once. Drivers throw
 * DatabaseError.
 */
export interface Driver {
  execute(request: DriverRequest): Promise<DriverResponse>;
  /** Best effort `KILL QUERY … SYNC`: gone from system.processes when it resolves. Never throws. */
  kill(queryId: string): Promise<void>;
  close(): Promise<void>;
}

/** Settings that make JSON text (the HTTP output, or native `toJSONString` casts) exact. */
export const JSON_SETTINGS: Readonly<Record<string, SettingValue>> = {
  output_format_json_quote_64bit_integers: 1,
  output_format_json_quote_decimals: 1,
  output_format_json_quote_denormals: 1,
};

export const KILL_TIMEOUT_MS = 3_000;
export const KILL_SQL = "KILL QUERY WHERE query_id = {id:String} AND user = currentUser() SYNC";
