export interface RowLimits {
  maxRows?: number;
  maxBytes?: number;
}

export interface ColumnInfo {
  name: string;
  type: string;
}

/**
 * The byte cap of a result collected without `maxBytes`: no caller asked for a bound, but a host
 * that streams without end (or one row of gigabytes) must not take the process's memory. 256 MiB
 * is also the native driver's limit on one value.
 */
export const UNCAPPED_MAX_BYTES = 256 * 1024 * 1024;

/** The bytes a row counts against `maxBytes`: its values as one compact JSON array, plus a newline. */
export function rowBytes(values: readonly unknown[]): number {
  return Buffer.byteLength(JSON.stringify(values), "utf8") + 1;
}

/**
 * Collects a result's rows and cuts them exactly at the row or byte cap. Both drivers push the
 * same JSON values, so a cap cuts a result at the same row whichever protocol carried it. The
 * drivers also ask `remainingBytes` while a row is still arriving, and call `cutOversizeRow` when
 * the row cannot fit before it is complete: no row is buffered far beyond the cap.
 */
export class RowCollector {
  columns: ColumnInfo[] = [];
  readonly rows: Record<string, unknown>[] = [];
  bytes = 0;
  truncated: { reason: "rows" | "bytes"; limit: number } | undefined;
  private readonly maxBytes: number;

  constructor(private readonly limits: RowLimits) {
    this.maxBytes = limits.maxBytes ?? UNCAPPED_MAX_BYTES;
  }

  setColumns(columns: ColumnInfo[]): void {
    this.columns = columns;
  }

  /** How many bytes (as `rowBytes` counts them) the rows still to come may take in all. */
  get remainingBytes(): number {
    return this.maxBytes - this.bytes;
  }

  /** Adds one row (values in column order); returns true when the cap is reached and reading should stop. */
  push(values: readonly unknown[]): boolean {
    const { maxRows } = this.limits;
    if (maxRows !== undefined && this.rows.length >= maxRows) {
      this.truncated = { reason: "rows", limit: maxRows };
      return true;
    }
    const size = rowBytes(values);
    if (this.bytes + size > this.maxBytes) {
      this.truncated = { reason: "bytes", limit: this.maxBytes };
      return true;
    }
    this.bytes += size;
    const { columns } = this;
    // fromEntries defines own properties, so a column named "__proto__" stays data.
    this.rows.push(Object.fromEntries(values.map((value, i) => [columns[i]?.name ?? String(i), value])));
    return false;
  }

  /**
   * The next row is known to exceed `remainingBytes` before it has fully arrived: cut the result
   * there, with the reason `push` would give for that row. Returns true (stop reading).
   */
  cutOversizeRow(): true {
    const { maxRows } = this.limits;
    this.truncated =
      maxRows !== undefined && this.rows.length >= maxRows
        ? { reason: "rows", limit: maxRows }
        : { reason: "bytes", limit: this.maxBytes };
    return true;
  }
}
