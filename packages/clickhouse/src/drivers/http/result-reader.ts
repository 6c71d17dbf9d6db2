import type { RowCollector } from "../../client/row-collector.js";
import { DatabaseError } from "../../errors/database-error.js";
import { type Converter, converterFor } from "../column-types.js";
import { parseJsonLossless } from "../lossless-json.js";

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const MINUS = 0x2d;
// Enough for any ClickHouse exception text, small enough to never matter for memory.
const MAX_ERROR_TEXT = 64 * 1024;
/** The column names line and the types line: far beyond any real header (65536 long names). */
export const MAX_HEADER_LINE_BYTES = 16 * 1024 * 1024;

/**
 * A lower bound of the compact JSON size (as `rowBytes` counts it, without the newline) of
 * whatever line these bytes start. ClickHouse's JSON text is never shorter than the compact JSON
 * of the values parsed from it, except where it escapes `/` as `\/` (2 bytes for 1) and U+2028 /
 * U+2029 as `\u2028` (6 for 3), separates top-level values with `", "`, and prints negative zero
 * as `-0`. So a backslash counts -2, a space or a minus 0, any other byte 1; whatever follows
 * these bytes in the line adds at least 0 (an escape cut in two counts no more than it is worth).
 * Independently, no byte of ClickHouse's text stands for less than half a byte of compact JSON.
 */
function compactJsonAtLeast(bytes: number, weight: number): number {
  return Math.max(weight, Math.ceil(bytes / 2));
}

function jsonWeight(piece: Buffer): number {
  let weight = piece.length;
  for (let i = 0; i < piece.length; i++) {
    const byte = piece[i];
    if (byte === BACKSLASH) weight -= 3;
    else if (byte === SPACE || byte === MINUS) weight -= 1;
  }
  return weight;
}

/**
 * Consumes a JSONCompactEachRowWithNamesAndTypes body chunk by chunk and hands each row's values
 * to a RowCollector, which cuts it exactly at the row or byte cap. Anything that is not a JSON
 * array is the start of an exception ClickHouse wrote into the stream after it had begun
 * answering; the rest of the body is then kept as `errorText`.
 *
 * Nothing is buffered beyond a bound: a row still arriving is cut (`truncated: bytes`) as soon as
 * its bytes prove that it cannot fit in the collector's remaining byte budget (the cut is the
 * one the collector would make: exact, not early); the header lines are bounded by
 * MAX_HEADER_LINE_BYTES (`failure`), exception text by 64 KiB.
 */
export class ResultReader {
  names: string[] | undefined;
  types: string[] | undefined;
  errorText: string | undefined;
  /** Set when reading stopped because the body is not a ClickHouse answer (a header line beyond its bound). */
  failure: DatabaseError | undefined;
  /** The most bytes of one unfinished line held at once (what a hostile body can make this buffer). */
  maxPartialBytes = 0;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private partialWeight = 0;
  private stopped = false;
  private converters: (Converter | undefined)[] = [];

  /** `failed`: the body is an error answer, to be kept as `errorText` from the first byte. */
  constructor(
    private readonly rows: RowCollector,
    failed = false,
  ) {
    if (failed) this.errorText = "";
  }

  /** Returns true when no more input is wanted (a cap fired, a bound was hit, or the error text is long enough). */
  push(chunk: Buffer): boolean {
    if (this.stopped) return true;
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) break;
      const piece = chunk.subarray(start, end);
      start = end + 1;
      let line = piece;
      if (this.partial.length > 0) {
        this.keep(piece);
        if (this.overflow()) return true;
        line = Buffer.concat(this.partial, this.partialBytes);
        this.clearPartial();
      }
      if (this.line(line)) return this.stop();
    }
    if (start < chunk.length) {
      this.keep(chunk.subarray(start));
      if (this.overflow()) return true;
    }
    return this.errorText !== undefined && this.errorText.length >= MAX_ERROR_TEXT;
  }

  /** Call at the end of the body. */
  finish(): void {
    if (this.stopped || this.partial.length === 0) return;
    const rest = Buffer.concat(this.partial, this.partialBytes);
    this.clearPartial();
    this.line(rest);
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    this.partial.push(piece);
    this.partialBytes += piece.length;
    this.partialWeight += jsonWeight(piece);
    if (this.partialBytes > this.maxPartialBytes) this.maxPartialBytes = this.partialBytes;
  }

  private clearPartial(): void {
    this.partial = [];
    this.partialBytes = 0;
    this.partialWeight = 0;
  }

  private stop(): true {
    this.stopped = true;
    this.clearPartial();
    return true;
  }

  /** Stops reading (returns true) when the unfinished line has outgrown what it may be. */
  private overflow(): boolean {
    const bytes = this.partialBytes;
    // Rows and header lines are JSON arrays; anything else is exception text.
    if (this.errorText !== undefined || this.partial[0]?.[0] !== OPEN_BRACKET) {
      const room = MAX_ERROR_TEXT - (this.errorText?.length ?? 0);
      if (bytes <= room) return false;
      const text = Buffer.concat(this.partial, bytes).toString("utf8", 0, Math.max(0, room));
      this.errorText = (this.errorText ?? "") + text;
      return this.stop();
    }
    if (this.types === undefined) {
      if (bytes <= MAX_HEADER_LINE_BYTES) return false;
      this.failure = new DatabaseError(
        "QUERY_FAILED",
        `The result's header line is longer than ${MAX_HEADER_LINE_BYTES} bytes: not an answer ClickHouse gives`,
      );
      return this.stop();
    }
    if (compactJsonAtLeast(bytes, this.partialWeight) <= this.rows.remainingBytes) return false;
    this.rows.cutOversizeRow();
    return this.stop();
  }

  private appendError(text: string): boolean {
    const room = MAX_ERROR_TEXT - (this.errorText?.length ?? 0);
    this.errorText = (this.errorText ?? "") + (text.length > room ? text.slice(0, Math.max(0, room)) : text);
    return this.errorText.length >= MAX_ERROR_TEXT;
  }

  private line(line: Buffer): boolean {
    if (this.errorText !== undefined) return this.appendError(`${line.toString("utf8")}\n`);
    // Since 25.11 an exception block starts with "\r\n"; rows never hold a raw CR (JSON escapes it).
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) {
      this.appendError(`${line.toString("utf8")}\n`);
      return false;
    }
    const text = line.toString("utf8");
    if (text.length === 0) return false;
    let value: unknown;
    try {
      value = parseJsonLossless(text);
    } catch {
      this.appendError(`${text}\n`);
      return false;
    }
    if (!Array.isArray(value)) {
      const exception = (value as { exception?: unknown } | null)?.exception;
      this.appendError(typeof exception === "string" ? exception : text);
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
