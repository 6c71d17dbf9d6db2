import type { Lane } from "./budget.js";
import { protocolError } from "./errors.js";
import type { Parse, ReadLimits, Source } from "./reader.js";

// What every column decoder is, and what they share.

/**
 * A value as ClickHouse's JSON output formats print it, once parsed: numbers up to 32 bits and
 * floats as numbers (NaN and infinities as null), wider integers and Decimals as strings, dates
 * and times as text in the column's time zone, named tuples and maps as objects.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Reads one column of a block: the prefix (state for LowCardinality), then `rows` values. */
export interface ColumnDecoder {
  /** Values of one width, whose least JSON size is known without reading them. */
  readonly fixedWidth?: boolean;
  prefix(src: Source): Parse<void>;
  /**
   * Reads `rows` values. With a lane, each value is charged a lower bound of its JSON size to
   * its row (see budget.ts), and only the values of rows that may still fit are kept: the
   * result then holds the leading values up to the first one left out (it may be shorter than
   * `rows`), and the others are read past as they arrive, never buffered.
   */
  data(src: Source, rows: number, lane?: Lane): Parse<JsonValue[]>;
}

// Fixed-width values, offsets and null maps are read in slices of this many bytes when a budget
// applies, so that a block of millions of rows is never buffered whole.
export const SLICE_BYTES = 64 * 1024;
// A LowCardinality dictionary may hold this multiple of the row budget (plus a little for the
// default and NULL keys) before its later keys are left out.
export const DICTIONARY_FACTOR = 2;
export const DICTIONARY_SLACK = 1024;
// Arrays of values are allocated this long at first (they grow past it as values are kept).
export const PREALLOCATE = 65_536;

export interface DecoderContext {
  /** Time zone for DateTime/DateTime64 columns without one: the session's, else the server's. */
  timezone: string;
  limits: ReadLimits;
  /**
   * NaN and infinities: `null` (default, as JSON formats print them by default) or `"text"`:
   * `"nan"`, `"inf"`, `"-inf"`, as they print them with `output_format_json_quote_denormals=1`.
   */
  nonFiniteFloats?: "null" | "text";
}

export const noPrefix = function* (): Parse<void> {};

export function* readIndexes(
  src: Source,
  count: number,
  width: number,
  max: number,
  what: string,
): Parse<number[]> {
  yield* src.fill(count * width);
  const buf = src.queue.take(count * width);
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    let value: number;
    if (width === 8) {
      const high = buf.readUInt32LE(i * 8 + 4);
      value = buf.readUInt32LE(i * 8) + high * 0x1_0000_0000;
      if (high >= 0x20_0000) value = Number.POSITIVE_INFINITY;
    } else if (width === 4) value = buf.readUInt32LE(i * 4);
    else if (width === 2) value = buf.readUInt16LE(i * 2);
    else value = buf[i]!;
    if (value > max) throw protocolError(`${what} ${value} exceeds the limit of ${max}`);
    out[i] = value;
  }
  return out;
}

export function* readCount(src: Source, max: number, what: string): Parse<number> {
  return (yield* readIndexes(src, 1, 8, max, what))[0]!;
}

/**
 * Strings. Their JSON takes at least their length plus the quotes; for `jsonText` columns (JSON
 * text that the reader parses, see `NativeQueryOptions.jsonTextColumns`) at least half their length: the
 * text of ClickHouse's JSON is at most twice as long as the compact JSON of what it holds.
 */
