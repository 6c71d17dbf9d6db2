export interface RowLimits {
  maxRows?: number;
  maxBytes?: number;
}

export interface ColumnInfo {
  name: string;
  type: string;
}

/** The bytes a row counts against `maxBytes`: its values as one compact JSON array, plus a newline. */
export function rowBytes(values: readonly unknown[]): number {
  return Buffer.byteLength(JSON.stringify(values), "utf8") + 1;
}

/**
 * Collects a result's rows and cuts them exactly at the row or byte cap. Both drivers push the
 * same JSON values, so a cap cuts a result at the same row whichever protocol carried it.
 */
export class RowCollector {
  columns: ColumnInfo[] = [];
  readonly rows: Record<string, unknown>[] = [];
  bytes = 0;
  truncated: { reason: "rows" | "bytes"; limit: number } | undefined;

  constructor(private readonly limits: RowLimits) {}

  setColumns(columns: ColumnInfo[]): void {
    this.columns = columns;
  }

  /** Adds one row (values in column order); returns true when the cap is reached and reading should stop. */
  push(values: readonly unknown[]): boolean {
    const { maxRows, maxBytes } = this.limits;
    if (maxRows !== undefined && this.rows.length >= maxRows) {
      this.truncated = { reason: "rows", limit: maxRows };
      return true;
    }
    if (maxBytes !== undefined) {
      const size = rowBytes(values);
      if (this.bytes + size > maxBytes) {
        this.truncated = { reason: "bytes", limit: maxBytes };
        return true;
      }
      this.bytes += size;
    }
    const { columns } = this;
    // fromEntries defines own properties, so a column named "__proto__" stays data.
    this.rows.push(Object.fromEntries(values.map((value, i) => [columns[i]?.name ?? String(i), value])));
    return false;
  }
}
