import { type Converter, converterFor } from "./column-types.js";
import { parseJsonLossless } from "./lossless-json.js";
import type { RowCollector } from "./row-collector.js";

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
// Enough for any ClickHouse exception text, small enough to never matter for memory.
const MAX_ERROR_TEXT = 64 * 1024;

/**
 * Consumes a JSONCompactEachRowWithNamesAndTypes body chunk by chunk and hands each row's values
 * to a RowCollector, which cuts it exactly at the row or byte cap. Anything that is not a JSON
 * array is the start of an exception ClickHouse wrote into the stream after it had begun
 * answering; the rest of the body is then kept as `errorText`.
 */
export class ResultReader {
  names: string[] | undefined;
  types: string[] | undefined;
  errorText: string | undefined;
  private partial: Buffer[] = [];
  private converters: (Converter | undefined)[] = [];

  /** `failed`: the body is an error answer, to be kept as `errorText` from the first byte. */
  constructor(
    private readonly rows: RowCollector,
    failed = false,
  ) {
    if (failed) this.errorText = "";
  }

  /** Returns true when no more input is wanted (a cap fired or the error text is long enough). */
  push(chunk: Buffer): boolean {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) break;
      const piece = chunk.subarray(start, end);
      const line = this.partial.length > 0 ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      start = end + 1;
      if (this.line(line)) return true;
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start));
    return this.errorText !== undefined && this.errorText.length >= MAX_ERROR_TEXT;
  }

  /** Call at the end of the body. */
  finish(): void {
    if (this.partial.length > 0) {
      const rest = Buffer.concat(this.partial);
      this.partial = [];
      this.line(rest);
    }
  }

  private line(line: Buffer): boolean {
    if (this.errorText !== undefined) {
      this.errorText += `${line.toString("utf8")}\n`;
      return this.errorText.length >= MAX_ERROR_TEXT;
    }
    // Since 25.11 an exception block starts with "\r\n"; rows never hold a raw CR (JSON escapes it).
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) {
      this.errorText = `${line.toString("utf8")}\n`;
      return false;
    }
    const text = line.toString("utf8");
    if (text.length === 0) return false;
    let value: unknown;
    try {
      value = parseJsonLossless(text);
    } catch {
      this.errorText = `${text}\n`;
      return false;
    }
    if (!Array.isArray(value)) {
      const exception = (value as { exception?: unknown } | null)?.exception;
      this.errorText = typeof exception === "string" ? exception : text;
      return false;
    }
    if (this.names === undefined) {
      this.names = value.map(String);
      return false;
    }
    if (this.types === undefined) {
      this.types = value.map(String);
      this.converters = this.types.map(converterFor);
      const types = this.types;
      this.rows.setColumns(this.names.map((name, i) => ({ name, type: types[i] ?? "" })));
      return false;
    }
    const { converters } = this;
    return this.rows.push(value.map((cell, i) => converters[i]?.(cell) ?? cell));
  }
}
