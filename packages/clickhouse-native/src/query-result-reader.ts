import type { BlockBudget, RowBudget } from "./budget.js";
import type { JsonValue } from "./columns.js";
import { exceptionError, NativeError } from "./errors.js";
import type { Block, ColumnInfo, ProfileInfo, Progress, ServerMessage } from "./protocol.js";
import { blockRow, type NativeQueryResult } from "./query-result.js";
import { columnType } from "./server-packets.js";
import { unsupportedParts } from "./types.js";

/**
 * What a result needs from its connection: the narrow interface between the two, so that the
 * result does not depend on the connection class (and the connection keeps these private).
 */
export interface QueryChannel {
  /** The next packet from the server. */
  readMessage(): Promise<ServerMessage>;
  sendCancel(): void;
  /** The server has ended the query: the connection is free again. */
  finished(): void;
  /** Drops the connection (after a timeout or a broken stream). */
  destroy(error: NativeError): void;
  /** Pings inside a query that just failed; a connection that does not answer is dropped. */
  checkAlive(): Promise<void>;
}

export interface QueryResultOptions {
  signal?: AbortSignal;
  /** Sends the empty Data block that ends INSERT data. */
  endInsertData: () => void;
  onProgress?: (progress: Progress, totals: Readonly<Progress>) => void;
  cancelTimeoutMs: number;
  /** See NativeQueryOptions.byteBudget. */
  byteBudget?: () => number;
}

/** Blocks of a query being cancelled are read past: their rows are not wanted. */
const SKIP_ALL: BlockBudget = Object.freeze({ limit: 0 });

/** Totals of the Progress packets received so far. */
function emptyProgress(): Progress {
  return { readRows: 0, readBytes: 0, totalRowsToRead: 0, writtenRows: 0, writtenBytes: 0, elapsedNs: 0 };
}

/**
 * The NativeQueryResult a connection hands out: reads the query's packets through its channel.
 * Besides the public interface, the connection uses `readHeader`, `unsupportedColumns`,
 * `blockBudget` and `abandon`.
 */
export class QueryResultReader implements NativeQueryResult {
  /** The result's columns (empty for statements without a result). */
  columns: ColumnInfo[] = [];
  /** Progress totals so far (sums of the server's increments). */
  readonly progress: Progress = emptyProgress();
  profileInfo: ProfileInfo | undefined;
  /** The WITH TOTALS row, when the query has one. */
  totals: Block | undefined;
  /** Minimums and maximums, when the query ran with `extremes = 1`. */
  extremes: Block | undefined;

  private finished = false;
  private cancelRequested = false;
  private cancelledBySignal = false;
  private reading: Promise<Block | undefined> | undefined;
  private cancelling: Promise<void> | undefined;
  private headerTypes: string[] = [];
  private awaitingInsertData = false;
  private early: Block | undefined;
  private cancelSent = false;
  /** The block found not to fit in the byte budget, until it has been handed out. */
  private cut: RowBudget | undefined;
  private cutDelivered = false;
  private cutTimer: NodeJS.Timeout | undefined;
  private cutTimedOut = false;
  private readonly onAbort = () => {
    this.cancelledBySignal = true;
    void this.cancel().catch(() => {});
  };
  /**
   * A block's rows do not all fit in the byte budget: the rest of the answer is not wanted.
   * Cancel now, so that the server stops after the block it is sending, which is read past
   * (never buffered) to keep the connection usable. Reading past a huge block takes as long as
   * receiving it; if that, and the rest of the answer, takes longer than `cancelTimeoutMs`, the
   * connection is dropped instead (the result still ends with the rows that fit).
   */
  private readonly onCut = (budget: RowBudget) => {
    if (this.cut !== undefined || this.finished) return;
    this.cut = budget;
    this.sendCancel();
    this.cutTimer = setTimeout(() => {
      this.cutTimedOut = true;
      this.channel.destroy(
        new NativeError(
          "TIMEOUT",
          `Query ${this.queryId} did not end within the cancel timeout after its result was cut`,
        ),
      );
    }, this.options.cancelTimeoutMs);
  };

  constructor(
    private readonly channel: QueryChannel,
    /** The query id the server ran the query under. */
    readonly queryId: string,
    private readonly options: QueryResultOptions,
  ) {
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** True once the server has ended the query (EndOfStream, an exception or cancellation). */
  get done(): boolean {
    return this.finished;
  }

  /** Columns of the header whose types cannot be decoded. */
  get unsupportedColumns(): ColumnInfo[] {
    return this.columns.filter((_, i) => unsupportedParts(columnType(this.headerTypes[i]!)).length > 0);
  }

  /** Waits for the header block (or the end of a statement without a result). */
  async readHeader(): Promise<void> {
    // Servers send a 0-row header first; should rows come first, they are kept for the reader.
    this.early = await this.read(true);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.cutTimer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.channel.finished();
  }

  private sendCancel(): void {
    if (this.cancelSent) return;
    this.cancelSent = true;
    this.channel.sendCancel();
  }

  /** How the next Data (or Totals, Extremes) packet's rows may be read. */
  blockBudget(packet: "data" | "totals" | "extremes"): BlockBudget | undefined {
    if (this.cancelRequested || this.finished) return SKIP_ALL;
    const { byteBudget } = this.options;
    if (byteBudget === undefined) return undefined;
    const limit = byteBudget();
    return packet === "data" && this.cut === undefined ? { limit, onCut: this.onCut } : { limit };
  }

  private cancelledError(): NativeError {
    const reason = this.options.signal?.reason;
    const detail = reason instanceof Error && reason.name === "TimeoutError" ? " (timed out)" : "";
    return new NativeError("QUERY_CANCELLED", `Query ${this.queryId} was cancelled${detail}`);
  }

  /** Reads packets until a block with rows (returned), or the end (undefined). One read at a time. */
  private read(header = false): Promise<Block | undefined> {
    if (this.reading) return this.reading;
    this.reading = this.readNext(header).finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readNext(header: boolean): Promise<Block | undefined> {
    if (this.finished) {
      if (this.cancelledBySignal) throw this.cancelledError();
      return undefined;
    }
    for (;;) {
      let message: ServerMessage;
      try {
        message = await this.channel.readMessage();
      } catch (error) {
        this.finish();
        if (this.cancelledBySignal) throw this.cancelledError();
        if (this.cutTimedOut && !this.cutDelivered && this.cut?.keep === 0) {
          // Dropped while reading past a block none of whose rows fit: the answer is complete.
          this.cutDelivered = true;
          return { columns: this.columns, rowCount: 0, values: this.columns.map(() => []), overBudget: true };
        }
        throw error;
      }
      switch (message.type) {
        case "data":
          if (this.awaitingInsertData) {
            // An INSERT without inline data: the server sent the table's structure and waits
            // for rows. None come from this client, so the INSERT inserts nothing.
            this.awaitingInsertData = false;
            this.options.endInsertData();
            break;
          }
          if (
            header &&
            this.headerTypes.length === 0 &&
            message.block.rowCount === 0 &&
            !message.block.overBudget
          ) {
            this.columns = message.block.columns;
            this.headerTypes = message.block.columns.map((column) => column.type);
            return undefined;
          }
          if ((message.block.rowCount > 0 || message.block.overBudget) && !this.cancelRequested) {
            if (this.headerTypes.length === 0) {
              this.columns = message.block.columns;
              this.headerTypes = message.block.columns.map((column) => column.type);
            }
            if (message.block.overBudget) this.cutDelivered = true;
            return message.block;
          }
          break;
        case "totals":
          this.totals = message.block;
          break;
        case "extremes":
          this.extremes = message.block;
          break;
        case "progress":
          for (const key of Object.keys(this.progress) as (keyof Progress)[]) {
            this.progress[key] += message.progress[key];
          }
          this.options.onProgress?.(message.progress, { ...this.progress });
          break;
        case "profile-info":
          this.profileInfo = message.profileInfo;
          break;
        case "table-columns":
          if (header) this.awaitingInsertData = true;
          break;
        case "log":
        case "profile-events":
          break;
        case "end-of-stream":
          this.finish();
          if (this.cancelledBySignal) throw this.cancelledError();
          return undefined;
        case "exception":
          // The server drops the connection after some errors in a query's settings, right
          // after this packet: make sure the connection still answers before lending it again.
          if (header && !this.cancelRequested) await this.channel.checkAlive();
          this.finish();
          if (this.cancelRequested) {
            if (this.cancelledBySignal) throw this.cancelledError();
            return undefined;
          }
          throw exceptionError(message.exceptions);
        default:
          this.channel.destroy(
            new NativeError("PROTOCOL_ERROR", `Unexpected ${message.type} packet in a query`),
          );
          this.finish();
          throw new NativeError("PROTOCOL_ERROR", `Unexpected ${message.type} packet in a query`);
      }
    }
  }

  /** The connection leaves the socket mid-answer: this result just ends. */
  abandon(): void {
    this.finished = true;
    clearTimeout(this.cutTimer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
  }

  /**
   * Asks the server to stop and reads the rest of its answer; resolves when the connection is
   * free again. Drops the connection if the server has not ended the query within
   * `cancelTimeoutMs`. Does nothing once the query has ended.
   */
  cancel(): Promise<void> {
    if (this.finished) return Promise.resolve();
    this.cancelling ??= (async () => {
      this.cancelRequested = true;
      this.sendCancel();
      const timer = setTimeout(() => {
        this.channel.destroy(
          new NativeError(
            "TIMEOUT",
            `The server did not end query ${this.queryId} within the cancel timeout`,
          ),
        );
      }, this.options.cancelTimeoutMs);
      try {
        while (!this.finished) await this.read().catch(() => {});
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.cancelling;
  }

  /**
   * The result's blocks, in order. Leaving the loop early cancels the query. A block marked
   * `overBudget` is the last one (the query is cancelled after it).
   */
  async *blocks(): AsyncGenerator<Block, void, undefined> {
    try {
      const early = this.early;
      this.early = undefined;
      if (early) {
        yield early;
        if (early.overBudget) return;
      }
      for (;;) {
        const block = await this.read();
        if (block === undefined) return;
        yield block;
        if (block.overBudget) return;
      }
    } finally {
      if (!this.finished) await this.cancel();
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<Block, void, undefined> {
    return this.blocks();
  }

  /** The result's rows as arrays of values in column order. Leaving the loop early cancels the query. */
  async *rows(): AsyncGenerator<JsonValue[], void, undefined> {
    for await (const block of this.blocks()) {
      for (let row = 0; row < block.rowCount; row++) yield blockRow(block, row);
    }
  }

  /** Reads the whole result into memory. */
  async collect(): Promise<{ columns: ColumnInfo[]; rows: JsonValue[][] }> {
    const rows: JsonValue[][] = [];
    for await (const row of this.rows()) rows.push(row);
    return { columns: this.columns, rows };
  }
}
