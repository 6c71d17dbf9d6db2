/**
 * Budgeted block decoding: how a block is read when its reader will keep at most `limit` more
 * bytes of rows, a row counted as its values' compact JSON plus a newline (what
 * `JSON.stringify(values).length + 1` gives in UTF-8).
 *
 * Blocks are columnar: row 0 is complete only once the last column has been read. So every
 * value read is charged a lower bound of its JSON size to its (top-level) row, and a row stops
 * being kept as soon as the rows up to it provably exceed the limit: the sum of their bounds is
 * above it. Its values, and those of every later row, are then skipped as they arrive, never
 * buffered; the block ends with the rows before it (`keep`). A reader that counts rows exactly
 * (RowCollector in @mcp/clickhouse) cuts at that very row, so the cut stays exact.
 */

/** How a block may be read: at most `limit` bytes of rows (see above) are wanted. */
export interface BlockBudget {
  limit: number;
  /** Called when the block is first found to have rows beyond what fits. */
  onCut?: (budget: RowBudget) => void;
}

/** The rows of one block and the bytes charged to them so far. */
export class RowBudget {
  /** Rows [0, keep) may still fit; later ones certainly do not. Only ever decreases. */
  keep: number;
  /** What every row costs so far: brackets, commas and newline, and values charged to all rows alike. */
  base: number;
  /** Bytes charged to each row beyond `base` (grown as rows are charged). */
  extra: Float64Array;

  constructor(
    readonly rows: number,
    /** What every row costs before its values: brackets, commas between values and the newline. */
    base: number,
    readonly limit: number,
    private readonly onCut?: (budget: RowBudget) => void,
  ) {
    this.base = base;
    this.keep = rows;
    this.extra = new Float64Array(Math.min(rows, 1024));
    this.fitBase();
  }

  /** Row `row` and all later ones do not fit. */
  cut(row: number): void {
    if (row >= this.keep) return;
    const first = this.keep === this.rows;
    this.keep = row;
    if (first) this.onCut?.(this);
  }

  /** Charges `bytes` to every row (a fixed-width column's values): no row is visited. */
  chargeEvery(bytes: number): void {
    this.base += bytes;
    this.fitBase();
  }

  private fitBase(): void {
    if (this.limit < 0) this.cut(0);
    else if (this.base > 0) this.cut(Math.floor(this.limit / this.base));
  }

  /**
   * Once every column has been read: charges made to all rows (`chargeEvery`) after those
   * made row by row did not look at the rows' totals; this finds the exact first row beyond.
   */
  settle(): void {
    const { base, limit, extra } = this;
    let total = 0;
    for (let row = 0; row < this.keep; row++) {
      total += base + (row < extra.length ? extra[row]! : 0);
      if (total > limit) {
        this.cut(row);
        return;
      }
    }
  }

  /** Adds to a row's charge; returns its new total beyond `base`. */
  add(row: number, bytes: number): number {
    let { extra } = this;
    if (row >= extra.length) {
      let size = Math.max(extra.length * 2, 1024);
      while (size <= row) size *= 2;
      const grown = new Float64Array(Math.min(size, this.keep));
      grown.set(extra);
      this.extra = extra = grown;
    }
    extra[row]! += bytes;
    return extra[row]!;
  }
}

/**
 * Where a decoder's values belong. A block's column has one value per row; the values inside
 * an Array or Map column (and deeper) have their own numbering, mapped to rows by `ends`.
 */
export interface Lane {
  readonly budget: RowBudget;
  /**
   * `ends[r]`: the index after the last value of top-level row r, for the rows below
   * `budget.keep` when the lane was made. Undefined: value i is row i's.
   */
  readonly ends: readonly number[] | undefined;
  /** Values flagged non-zero are NULL (the inner values of a Nullable): not charged, not kept. */
  readonly nulls?: Uint8Array | undefined;
  /** Values may be NULL, unflagged: fixed-width values charge at most `NULL_BYTES` each. */
  readonly nullable?: boolean;
}

export function topLane(budget: RowBudget): Lane {
  return { budget, ends: undefined };
}

/** JSON `null`. */
export const NULL_BYTES = 4;

/**
 * One pass of a decoder over a lane's values, in order. Charges values to their rows; rows are
 * visited in order, so a running sum gives each row's prefix total.
 */
export class LaneCursor {
  private readonly budget: RowBudget;
  private readonly ends: readonly number[] | undefined;
  /** The row the pass is at, and the sum of `extra` over the rows before it. */
  private row = 0;
  private before = 0;
  /** The row of the value last asked for (rowOf). */
  private scan = 0;

  constructor(lane: Lane) {
    this.budget = lane.budget;
    this.ends = lane.ends;
  }

  /** The index after the last value that may still be kept. */
  get end(): number {
    const { keep } = this.budget;
    const { ends } = this;
    if (ends === undefined) return keep;
    return keep === 0 ? 0 : ends[keep - 1]!;
  }

  /** The row of value i (values are asked for in increasing order). */
  rowOf(i: number): number {
    const { ends } = this;
    if (ends === undefined) return i;
    let row = this.scan;
    while (row < ends.length && ends[row]! <= i) row++;
    this.scan = row;
    return row;
  }

  /**
   * Charges `bytes` to the row of value i. Returns false when that row does not fit (it and all
   * later rows are then cut): nothing of the value is to be kept.
   */
  charge(i: number, bytes: number): boolean {
    return this.chargeRow(this.rowOf(i), bytes);
  }

  chargeRow(row: number, bytes: number): boolean {
    const budget = this.budget;
    if (row >= budget.keep) return false;
    const { base, limit } = budget;
    if (this.row < row) {
      const { extra } = budget;
      let before = this.before;
      let at = this.row;
      while (at < row) {
        before += at < extra.length ? extra[at]! : 0;
        at++;
        // A row passed over in this pass may still have grown in an earlier one.
        if (at * base + before > limit) {
          this.row = at;
          this.before = before;
          budget.cut(at - 1);
          return false;
        }
      }
      this.row = at;
      this.before = before;
    }
    const total = budget.add(row, bytes);
    if ((row + 1) * base + this.before + total > limit) {
      budget.cut(row);
      return false;
    }
    return true;
  }

  /**
   * Charges `each` bytes to every non-NULL value in [from, to); returns the index of the first
   * value whose row does not fit (`to` when all do). On a block's own rows, without NULLs, call
   * it once for all of them: it then charges every row at once.
   */
  chargeEach(from: number, to: number, each: number, nulls?: Uint8Array): number {
    const { ends } = this;
    const { budget } = this;
    if (ends === undefined && nulls === undefined && from === 0 && to >= Math.min(budget.rows, budget.keep)) {
      budget.chargeEvery(each);
      return Math.min(to, budget.keep);
    }
    if (nulls !== undefined) {
      for (let i = from; i < to; i++) {
        if (i < nulls.length && nulls[i] !== 0) {
          if (this.rowOf(i) >= this.budget.keep) return i;
          continue;
        }
        if (!this.charge(i, each)) return i;
      }
      return to;
    }
    if (ends === undefined) {
      for (let i = from; i < to; i++) if (!this.chargeRow(i, each)) return i;
      return to;
    }
    let i = from;
    while (i < to) {
      const row = this.rowOf(i);
      if (row >= ends.length) return i;
      const rowEnd = Math.min(ends[row]!, to);
      if (!this.chargeRow(row, (rowEnd - i) * each)) return i;
      i = rowEnd;
    }
    return to;
  }

  /** Value i's row, and every later one, does not fit. */
  cutAt(i: number): void {
    this.budget.cut(this.rowOf(i));
  }
}

/** A lower bound of the compact JSON size of any decoded value. */
export function jsonBytesAtLeast(value: unknown): number {
  switch (typeof value) {
    case "string":
      return Buffer.byteLength(value, "utf8") + 2;
    case "number":
      return 1;
    case "boolean":
      return 4;
    default:
      return value === null ? NULL_BYTES : 2;
  }
}
