/**
 * The text block of a tool result, written for a model reading it on its own. Clients such as
 * LangChain forward both the text and `structuredContent` to the model; repeating the JSON would
 * double what it reads, so the text is the compact form: rows as tab-separated lines under a
 * header, lists one item per line, and a line of statistics.
 */

/** One cell as TSV text: ClickHouse's own escaping for tabs, newlines and backslashes; NULL as \N. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** Rows as TSV with a header line of column names, in column order. */
export function rowsAsTsv(
  columns: readonly { name: string }[],
  rows: readonly Record<string, unknown>[],
): string {
  const names = columns.map((c) => c.name);
  const lines = [names.map(cell).join("\t")];
  for (const row of rows) lines.push(names.map((name) => cell(row[name])).join("\t"));
  return lines.join("\n");
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** A byte count for people: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** "1 row" / "2 rows". */
export function plural(count: number | string, noun: string): string {
  return `${count} ${noun}${Number(count) === 1 ? "" : "s"}`;
}

/** What ClickHouse read for a statement, and how long it took. */
export function statisticsLine(statistics: {
  elapsedMs: number;
  rowsRead: number;
  bytesRead: number;
}): string {
  return `ClickHouse read ${plural(statistics.rowsRead, "row")} (${formatBytes(statistics.bytesRead)}) in ${Math.round(statistics.elapsedMs)} ms.`;
}
