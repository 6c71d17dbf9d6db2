import {
  type Block,
  blockRow,
  type Connection,
  createPool,
  type JsonValue,
  type Pool,
  type Progress,
  type QueryParamValue,
} from "@mcp/clickhouse-native";
import type { RowCollector } from "../../client/row-collector.js";
import type { NormalizedConnection } from "../../connection/normalize.js";
import type { TlsMaterial } from "../../connection/tls-files.js";
import { type ErrorContext, fromNativeError } from "../../errors/map-error.js";
import { type Converter, converterFor } from "../column-types.js";
import {
  type Driver,
  type DriverRequest,
  type DriverResponse,
  JSON_SETTINGS,
  KILL_SQL,
  KILL_TIMEOUT_MS,
  type ProgressTotals,
} from "../driver.js";
import { parseJsonLossless } from "../lossless-json.js";
import { queryWithCasts } from "./cast-unsupported.js";

export interface NativeDriverOptions {
  maxConnections: number;
  application: string;
}

// A cancelled query normally ends within milliseconds; one that does not costs its connection.
// Also the time a result cut at its byte cap may take to read past the rest of the block being
// received (never buffered) and end; past that the connection is dropped instead.
const CANCEL_TIMEOUT_MS = 5_000;
const KILL_ANSWER_BYTES = 64 * 1024;

/**
 * The native TCP protocol through @mcp/clickhouse-native: a small pool of connections per
 * pooled client, values decoded to the JSON values the HTTP interface prints.
 */
export class NativeDriver implements Driver {
  private readonly pool: Pool;

  constructor(
    connection: NormalizedConnection,
    options: NativeDriverOptions,
    tls: TlsMaterial | undefined,
    private readonly context: ErrorContext,
  ) {
    this.pool = createPool({
      host: connection.host.host,
      port: connection.port,
      username: connection.username,
      password: connection.password,
      database: connection.database,
      clientName: options.application,
      maxConnections: options.maxConnections,
      cancelTimeoutMs: CANCEL_TIMEOUT_MS,
      ...(tls && { tls: { ...tls.material, rejectUnauthorized: !tls.insecureSkipVerify } }),
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  async execute(request: DriverRequest): Promise<DriverResponse> {
    let connection: Connection;
    try {
      connection = await this.pool.acquire({ signal: request.signal });
    } catch (error) {
      throw fromNativeError(error, this.context);
    }
    try {
      const { result, castTypes } = await queryWithCasts(connection, request.query, {
        queryId: request.queryId,
        // toJSONString (for the columns cast below) follows the JSON settings, as HTTP output does.
        ...(request.settings && { settings: { ...request.settings, ...JSON_SETTINGS } }),
        ...(request.params && { params: request.params as Record<string, QueryParamValue> }),
        signal: request.signal,
        nonFiniteFloats: "text",
        // Rows that cannot fit in what the collector still takes are never decoded: a huge row or
        // value is read past as it arrives instead of being buffered.
        byteBudget: () => request.rows.remainingBytes,
        ...(request.onProgress && { onProgress: progressListener(request.onProgress) }),
      });
      const columns = result.columns.map((column) => ({
        name: column.name,
        type: castTypes.get(column.name) ?? column.type,
      }));
      request.rows.setColumns(columns);
      // Columns the driver cannot decode (JSON, Dynamic, ...) arrive as their JSON text.
      const fromText = columns.map((column) =>
        castTypes.has(column.name) ? jsonTextConverter(column.type) : undefined,
      );
      const convert = fromText.some(Boolean)
        ? (row: JsonValue[]) =>
            row.map((value, i) => {
              const fn = fromText[i];
              return fn ? fn(value) : value;
            })
        : (row: JsonValue[]) => row;
      let cutShort = false;
      for await (const block of result.blocks()) {
        // Leaving the loop sends Cancel and drains the answer.
        if (pushBlock(block, request.rows, convert)) {
          cutShort = true;
          break;
        }
      }
      return { cutShort, rowsRead: result.progress.readRows, bytesRead: result.progress.readBytes };
    } catch (error) {
      throw fromNativeError(error, this.context);
    } finally {
      await this.pool.release(connection);
    }
  }

  /** A cancelled query has ended when the driver returns; this also covers the server's own cleanup. */
  async kill(queryId: string): Promise<void> {
    const signal = AbortSignal.timeout(KILL_TIMEOUT_MS);
    try {
      await this.pool.withConnection(
        async (connection) => {
          // One row per query killed; whatever more a broken or hostile server sends is read past.
          const result = await connection.query(KILL_SQL, {
            params: { id: queryId },
            signal,
            byteBudget: () => KILL_ANSWER_BYTES,
          });
          await result.collect();
        },
        { signal },
      );
    } catch {
      // Best effort: the Cancel packet has already stopped the query.
    }
  }
}

/**
 * The server sends a Progress packet every `interactive_delay` (100 ms by default) while the
 * query runs: live progress without another query. The totals are per run, so a run with casts
 * (cast-unsupported.ts) starts again from zero; the client's reporter never reports less.
 */
function progressListener(
  onProgress: (totals: ProgressTotals) => void,
): (increment: Progress, totals: Readonly<Progress>) => void {
  return (_increment, totals) =>
    onProgress({
      rowsRead: totals.readRows,
      bytesRead: totals.readBytes,
      totalRowsToRead: totals.totalRowsToRead,
    });
}

/** Pushes a block's rows; true when the collector has cut the result. */
function pushBlock(block: Block, rows: RowCollector, convert: (row: JsonValue[]) => unknown[]): boolean {
  for (let i = 0; i < block.rowCount; i++) {
    if (rows.push(convert(blockRow(block, i)))) return true;
  }
  // The next row, left out unread, takes the result past its byte cap.
  return block.overBudget === true && rows.cutOversizeRow();
}

function jsonTextConverter(type: string): Converter {
  const convert = converterFor(type);
  return (value) => {
    if (typeof value !== "string") return value;
    const parsed = parseJsonLossless(value);
    return convert ? convert(parsed) : parsed;
  };
}
