import type { JsonValue } from "./columns.js";
import type { Block, ColumnInfo, ProfileInfo, Progress } from "./protocol.js";

/**
 * A running query's answer. Read it once, with `blocks()`, `rows()` or `collect()`; leaving a
 * loop early (break, throw) cancels the query and drains the answer, so the connection is
 * usable again when the loop has exited.
 */
export interface NativeQueryResult extends AsyncIterable<Block> {
  /** The query id the server ran the query under. */
  readonly queryId: string;
  /** The result's columns (empty for statements without a result). */
  readonly columns: ColumnInfo[];
  /** Progress totals so far (sums of the server's increments). */
  readonly progress: Progress;
  readonly profileInfo: ProfileInfo | undefined;
  /** The WITH TOTALS row, when the query has one. */
  readonly totals: Block | undefined;
  /** Minimums and maximums, when the query ran with `extremes = 1`. */
  readonly extremes: Block | undefined;
  /** True once the server has ended the query (EndOfStream, an exception or cancellation). */
  readonly done: boolean;
  /**
   * Asks the server to stop and reads the rest of its answer; resolves when the connection is
   * free again. Drops the connection if the server has not ended the query within
   * `cancelTimeoutMs`. Does nothing once the query has ended.
   */
  cancel(): Promise<void>;
  /**
   * The result's blocks, in order. Leaving the loop early cancels the query. A block marked
   * `overBudget` is the last one (the query is cancelled after it).
   */
  blocks(): AsyncGenerator<Block, void, undefined>;
  /** The result's rows as arrays of values in column order. Leaving the loop early cancels the query. */
  rows(): AsyncGenerator<JsonValue[], void, undefined>;
  /** Reads the whole result into memory. */
  collect(): Promise<{ columns: ColumnInfo[]; rows: JsonValue[][] }>;
}

/** One row of a block, values in column order. */
export function blockRow(block: Block, row: number): JsonValue[] {
  return block.values.map((column) => column[row]!);
}

/** One row of a block as an object keyed by column name (a later duplicate name wins). */
export function blockRowObject(block: Block, row: number): Record<string, JsonValue> {
  return Object.fromEntries(block.columns.map((column, i) => [column.name, block.values[i]![row]!]));
}
