import { jsonBytesAtLeast, type Lane, LaneCursor, NULL_BYTES, RowBudget, topLane } from "./budget.js";
import { NativeError, protocolError } from "./errors.js";
import { discard, type Parse, type ReadLimits, readLength, type Source } from "./reader.js";
import {
  formatDate,
  formatDecimal,
  formatIPv4,
  formatIPv6,
  formatUuid,
  shortestFloat32,
  TimeZoneFormatter,
} from "./text.js";
import type { TypeNode } from "./types.js";

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
const SLICE_BYTES = 64 * 1024;
// A LowCardinality dictionary may hold this multiple of the row budget (plus a little for the
// default and NULL keys) before its later keys are left out.
const DICTIONARY_FACTOR = 2;
const DICTIONARY_SLACK = 1024;
// Arrays of values are allocated this long at first (they grow past it as values are kept).
const PREALLOCATE = 65_536;

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

const noPrefix = function* (): Parse<void> {};

/**
 * Values of `width` bytes each, whose JSON takes at least `json` bytes (e.g. 1 for a number, 3
 * for a quoted integer, 12 for a quoted date).
 */
function fixed(width: number, json: number, convert: (buf: Buffer, at: number) => JsonValue): ColumnDecoder {
  return {
    prefix: noPrefix,
    fixedWidth: true,
    *data(src, rows, lane) {
      if (lane === undefined) {
        const size = rows * width;
        yield* src.fill(size);
        const buf = src.queue.take(size);
        const out: JsonValue[] = new Array(rows);
        for (let i = 0; i < rows; i++) out[i] = convert(buf, i * width);
        return out;
      }
      const cursor = new LaneCursor(lane);
      const slice = Math.max(1, Math.floor(SLICE_BYTES / width));
      // A NULL is `null`: the least of the two is charged whatever the value.
      const least = lane.nullable ? Math.min(json, NULL_BYTES) : json;
      let i = 0;
      if (lane.ends === undefined && lane.nulls === undefined) {
        // A block's own column: every row is charged alike, at once.
        const n = cursor.chargeEach(0, rows, least);
        const out: JsonValue[] = new Array(n);
        while (i < n) {
          const end = Math.min(n, i + slice);
          const size = (end - i) * width;
          if (src.queue.available < size) yield* src.fill(size);
          const buf = src.queue.take(size);
          for (let k = 0; i < end; k++, i++) out[i] = convert(buf, k * width);
        }
        yield* discard(src, (rows - i) * width);
        return out;
      }
      const out: JsonValue[] = [];
      while (i < rows) {
        const end = Math.min(rows, cursor.end, i + slice);
        if (i >= end) break;
        const fit = cursor.chargeEach(i, end, least, lane.nulls);
        if (fit > i) {
          const n = fit - i;
          if (src.queue.available < n * width) yield* src.fill(n * width);
          const buf = src.queue.take(n * width);
          for (let k = 0; k < n; k++) out.push(convert(buf, k * width));
          i = fit;
        }
        if (fit < end) break;
      }
      yield* discard(src, (rows - i) * width);
      return out;
    },
  };
}

/** Reads `count` unsigned integers of `width` bytes (a LowCardinality index or an Array offset) as numbers. */
function* readIndexes(src: Source, count: number, width: number, max: number, what: string): Parse<number[]> {
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

function* readCount(src: Source, max: number, what: string): Parse<number> {
  return (yield* readIndexes(src, 1, 8, max, what))[0]!;
}

/**
 * Strings. Their JSON takes at least their length plus the quotes; for `jsonText` columns (JSON
 * text that the reader parses, see `NativeQueryOptions.jsonTextColumns`) at least half their length: the
 * text of ClickHouse's JSON is at most twice as long as the compact JSON of what it holds.
 */
const stringDecoder = (limits: ReadLimits, jsonText = false): ColumnDecoder => ({
  prefix: noPrefix,
  *data(src, rows, lane) {
    const queue = src.queue;
    if (lane === undefined) {
      const out: JsonValue[] = new Array(rows);
      for (let i = 0; i < rows; i++) {
        let bytes = queue.tryBytes(limits.maxStringBytes, "A string");
        while (bytes === undefined) {
          yield* src.fill(queue.wanted);
          bytes = queue.tryBytes(limits.maxStringBytes, "A string");
        }
        out[i] = bytes.toString("utf8");
      }
      return out;
    }
    const cursor = new LaneCursor(lane);
    const out: JsonValue[] = new Array(Math.min(rows, cursor.end, PREALLOCATE));
    let kept = 0;
    const { nulls } = lane;
    for (let i = 0; i < rows; i++) {
      let length = queue.tryVarUInt();
      if (length < 0) length = yield* readLength(src);
      if (i < cursor.end) {
        if (nulls !== undefined && i < nulls.length && nulls[i] !== 0) {
          out[kept++] = null;
        } else if (cursor.charge(i, jsonText ? Math.ceil(length / 2) : length + 2)) {
          if (length > limits.maxStringBytes) {
            throw protocolError(`A string of ${length} bytes exceeds the limit of ${limits.maxStringBytes}`);
          }
          if (queue.available < length) yield* src.fill(length);
          out[kept++] = queue.take(length).toString("utf8");
          continue;
        }
      }
      // A value that cannot be kept is dropped as it arrives, however long it says it is.
      if (length > 0) yield* discard(src, length);
    }
    out.length = kept;
    return out;
  },
});

/** A String column holding JSON text that its reader parses (`NativeQueryOptions.jsonTextColumns`). */
export function jsonTextDecoder(limits: ReadLimits): ColumnDecoder {
  return stringDecoder(limits, true);
}

function float(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function floatText(value: number): number | string {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
}

// The least JSON of some values: a number's digit, a quoted number's `"0"`, a date's `"1970-01-01"`.
const NUMBER_BYTES = 1;
const QUOTED_NUMBER_BYTES = 3;

function intDecoder(bytes: number, signed: boolean): ColumnDecoder {
  switch (bytes) {
    case 1:
      return fixed(1, NUMBER_BYTES, signed ? (b, at) => b.readInt8(at) : (b, at) => b[at]!);
    case 2:
      return fixed(2, NUMBER_BYTES, signed ? (b, at) => b.readInt16LE(at) : (b, at) => b.readUInt16LE(at));
    case 4:
      return fixed(4, NUMBER_BYTES, signed ? (b, at) => b.readInt32LE(at) : (b, at) => b.readUInt32LE(at));
    case 8:
      return fixed(
        8,
        QUOTED_NUMBER_BYTES,
        signed ? (b, at) => b.readBigInt64LE(at).toString() : (b, at) => b.readBigUInt64LE(at).toString(),
      );
    default:
      return fixed(bytes, QUOTED_NUMBER_BYTES, (b, at) => readWideInt(b, at, bytes, signed).toString());
  }
}

/** A little-endian 128- or 256-bit integer. */
function readWideInt(buf: Buffer, at: number, bytes: number, signed: boolean): bigint {
  let value = 0n;
  for (let i = bytes - 8; i >= 0; i -= 8) {
    const limb = i === bytes - 8 && signed ? buf.readBigInt64LE(at + i) : buf.readBigUInt64LE(at + i);
    value = (value << 64n) + limb;
  }
  return value;
}

function decimalDecoder(bytes: number, scale: number): ColumnDecoder {
  switch (bytes) {
    case 4:
      return fixed(4, QUOTED_NUMBER_BYTES, (b, at) => formatDecimal(BigInt(b.readInt32LE(at)), scale));
    case 8:
      return fixed(8, QUOTED_NUMBER_BYTES, (b, at) => formatDecimal(b.readBigInt64LE(at), scale));
    default:
      return fixed(bytes, QUOTED_NUMBER_BYTES, (b, at) =>
        formatDecimal(readWideInt(b, at, bytes, true), scale),
      );
  }
}

function timeZone(name: string | undefined, context: DecoderContext, zones: Map<string, TimeZoneFormatter>) {
  const zone = name ?? context.timezone;
  let formatter = zones.get(zone);
  if (!formatter) {
    try {
      formatter = new TimeZoneFormatter(zone);
    } catch {
      throw new NativeError("UNSUPPORTED_TYPE", `Unknown time zone ${JSON.stringify(zone)}`);
    }
    zones.set(zone, formatter);
  }
  return formatter;
}

// `"1970-01-01"`, `"1970-01-01 00:00:00"`.
const DATE_BYTES = 12;
const DATE_TIME_BYTES = 21;

function dateTime64Decoder(precision: number, zone: TimeZoneFormatter): ColumnDecoder {
  const scale = 10n ** BigInt(precision);
  return fixed(8, DATE_TIME_BYTES + (precision > 0 ? precision + 1 : 0), (b, at) => {
    const ticks = b.readBigInt64LE(at);
    let seconds = ticks / scale;
    let fraction = ticks % scale;
    if (fraction < 0n) {
      fraction += scale;
      seconds -= 1n;
    }
    const text = zone.format(Number(seconds));
    return precision === 0 ? text : `${text}.${fraction.toString().padStart(precision, "0")}`;
  });
}

function nullableDecoder(inner: ColumnDecoder): ColumnDecoder {
  return {
    prefix: (src) => inner.prefix(src),
    *data(src, rows, lane) {
      if (lane === undefined) {
        yield* src.fill(rows);
        const nulls = src.queue.take(rows);
        const values = yield* inner.data(src, rows);
        for (let i = 0; i < rows; i++) if (nulls[i] !== 0) values[i] = null;
        return values;
      }
      const cursor = new LaneCursor(lane);
      const nulls = new Uint8Array(Math.min(rows, cursor.end));
      if (inner.fixedWidth) {
        // Fixed-width values charge the least of their size and `null` themselves, all alike.
        let i = 0;
        while (i < nulls.length) {
          const end = Math.min(nulls.length, i + SLICE_BYTES);
          if (src.queue.available < end - i) yield* src.fill(end - i);
          nulls.set(src.queue.take(end - i), i);
          i = end;
        }
        yield* discard(src, rows - i);
        const values = yield* inner.data(src, rows, { budget: lane.budget, ends: lane.ends, nullable: true });
        const n = Math.min(values.length, nulls.length);
        for (let k = 0; k < n; k++) if (nulls[k] !== 0) values[k] = null;
        return values;
      }
      // NULLs are charged here; the inner decoder charges (and keeps) only the other values.
      let i = 0;
      while (i < rows) {
        const end = Math.min(rows, cursor.end, i + SLICE_BYTES);
        if (i >= end) break;
        yield* src.fill(end - i);
        const map = src.queue.take(end - i);
        let fits = true;
        for (let k = 0; k < map.length; k++) {
          if (map[k] === 0) continue;
          if (!cursor.charge(i + k, NULL_BYTES)) {
            fits = false;
            break;
          }
          nulls[i + k] = 1;
        }
        i = end;
        if (!fits) break;
      }
      yield* discard(src, rows - i);
      const values = yield* inner.data(src, rows, { budget: lane.budget, ends: lane.ends, nulls });
      const n = Math.min(values.length, nulls.length);
      for (let k = 0; k < n; k++) if (nulls[k] !== 0) values[k] = null;
      return values;
    },
  };
}

function* readOffsets(src: Source, rows: number, limits: ReadLimits): Parse<number[]> {
  const offsets = yield* readIndexes(src, rows, 8, limits.maxRows, "An array offset");
  for (let i = 1; i < rows; i++) {
    if (offsets[i]! < offsets[i - 1]!) throw protocolError("Array offsets go backwards");
  }
  return offsets;
}

/**
 * The offsets of an Array or Map column under a budget, read slice by slice: each value is
 * charged `json(elements)` (its brackets, commas, ...), and only the offsets of values that may
 * still be kept are returned, with the total element count.
 */
function* readOffsetsBudgeted(
  src: Source,
  rows: number,
  limits: ReadLimits,
  cursor: LaneCursor,
  json: (elements: number) => number,
): Parse<{ offsets: number[]; total: number }> {
  const offsets: number[] = [];
  let previous = 0;
  let keeping = true;
  let i = 0;
  while (i < rows) {
    const n = Math.min(rows - i, SLICE_BYTES / 8);
    const slice = yield* readIndexes(src, n, 8, limits.maxRows, "An array offset");
    for (let k = 0; k < n; k++, i++) {
      const offset = slice[k]!;
      if (offset < previous) throw protocolError("Array offsets go backwards");
      if (keeping) {
        if (i < cursor.end && cursor.charge(i, json(offset - previous))) offsets.push(offset);
        else keeping = false;
      }
      previous = offset;
    }
  }
  return { offsets, total: previous };
}

/** The lane of the elements of an Array or Map column's kept values. */
function elementLane(lane: Lane, offsets: readonly number[]): Lane {
  const { keep } = lane.budget;
  const top = lane.ends;
  const rows = top === undefined ? keep : Math.min(keep, top.length);
  const ends: number[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    // The last value of row r (rows below keep have all their values kept).
    const last = (top === undefined ? r + 1 : top[r]!) - 1;
    ends[r] = last < 0 ? 0 : offsets[last]!;
  }
  return { budget: lane.budget, ends };
}

// `[]`, or `[a,b,...]`: brackets and commas.
const arrayBytes = (elements: number) => (elements === 0 ? 2 : elements + 1);
// `{}`, or `{"k":v,...}`: braces, commas and colons (keys and values are charged by their decoders).
const mapBytes = (entries: number) => (entries === 0 ? 2 : 2 * entries + 1);

function arrayDecoder(inner: ColumnDecoder, limits: ReadLimits): ColumnDecoder {
  return {
    prefix: (src) => inner.prefix(src),
    *data(src, rows, lane) {
      if (lane === undefined) {
        const offsets = yield* readOffsets(src, rows, limits);
        const values = yield* inner.data(src, rows > 0 ? offsets[rows - 1]! : 0);
        const out: JsonValue[] = new Array(rows);
        let start = 0;
        for (let i = 0; i < rows; i++) {
          out[i] = values.slice(start, offsets[i]);
          start = offsets[i]!;
        }
        return out;
      }
      const cursor = new LaneCursor(lane);
      const { offsets, total } = yield* readOffsetsBudgeted(src, rows, limits, cursor, arrayBytes);
      const values = yield* inner.data(src, total, elementLane(lane, offsets));
      const n = Math.min(offsets.length, cursor.end);
      const out: JsonValue[] = new Array(n);
      let start = 0;
      for (let i = 0; i < n; i++) {
        out[i] = values.slice(start, offsets[i]);
        start = offsets[i]!;
      }
      return out;
    },
  };
}

/** Map keys become JSON object keys: text as ClickHouse prints them. */
function keyText(key: JsonValue): string {
  return typeof key === "string" ? key : JSON.stringify(key);
}

function mapDecoder(key: ColumnDecoder, value: ColumnDecoder, limits: ReadLimits): ColumnDecoder {
  return {
    *prefix(src) {
      yield* key.prefix(src);
      yield* value.prefix(src);
    },
    *data(src, rows, lane) {
      let offsets: number[];
      let keys: JsonValue[];
      let values: JsonValue[];
      let n = rows;
      if (lane === undefined) {
        offsets = yield* readOffsets(src, rows, limits);
        const total = rows > 0 ? offsets[rows - 1]! : 0;
        keys = yield* key.data(src, total);
        values = yield* value.data(src, total);
      } else {
        // Keys are charged as ClickHouse prints them; a map with duplicate keys prints more
        // than the object it becomes, so such a row may be cut a little early.
        const cursor = new LaneCursor(lane);
        const read = yield* readOffsetsBudgeted(src, rows, limits, cursor, mapBytes);
        offsets = read.offsets;
        const elements = elementLane(lane, offsets);
        keys = yield* key.data(src, read.total, elements);
        values = yield* value.data(src, read.total, elements);
        n = Math.min(offsets.length, cursor.end);
      }
      const out: JsonValue[] = new Array(n);
      let start = 0;
      for (let i = 0; i < n; i++) {
        const entries: [string, JsonValue][] = [];
        for (let j = start; j < offsets[i]!; j++) entries.push([keyText(keys[j]!), values[j]!]);
        // fromEntries defines own properties, so a key named "__proto__" stays data.
        out[i] = Object.fromEntries(entries);
        start = offsets[i]!;
      }
      return out;
    },
  };
}

function tupleDecoder(elements: ColumnDecoder[], names: string[] | undefined): ColumnDecoder {
  // `[a,b]`, or `{"x":a,"y":b}`: brackets, commas, and the quoted names with their colons.
  let json = elements.length + 1;
  if (names) for (const name of names) json += Buffer.byteLength(JSON.stringify(name), "utf8") + 1;
  return {
    *prefix(src) {
      for (const element of elements) yield* element.prefix(src);
    },
    *data(src, rows, lane) {
      const columns: JsonValue[][] = [];
      let n = rows;
      if (lane === undefined) {
        for (const element of elements) columns.push(yield* element.data(src, rows));
      } else {
        const cursor = new LaneCursor(lane);
        cursor.chargeEach(0, Math.min(rows, cursor.end), json, lane.nulls);
        for (const element of elements) columns.push(yield* element.data(src, rows, lane));
        n = cursor.end;
        for (const column of columns) n = Math.min(n, column.length);
      }
      const out: JsonValue[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const row = columns.map((column) => column[i]!);
        out[i] = names ? Object.fromEntries(row.map((value, j) => [names[j]!, value])) : row;
      }
      return out;
    },
  };
}

// LowCardinality serialization (SerializationLowCardinality.cpp): a u64 keys version in the
// prefix; then chunks of a u64 index type (key width in the low byte, flags above), the
// chunk's dictionary ("additional keys") and its indexes.
const KEYS_VERSION_SHARED_DICTIONARIES = 1n;
const NEED_GLOBAL_DICTIONARY = 1 << 8;
const HAS_ADDITIONAL_KEYS = 1 << 9;
const INDEX_WIDTHS = [1, 2, 4, 8];

function lowCardinalityDecoder(
  dictionary: ColumnDecoder,
  nullable: boolean,
  limits: ReadLimits,
): ColumnDecoder {
  return {
    *prefix(src) {
      yield* src.fill(8);
      const version = src.queue.take(8).readBigUInt64LE(0);
      if (version !== KEYS_VERSION_SHARED_DICTIONARIES) {
        throw protocolError(`Unsupported LowCardinality keys version ${version}`);
      }
    },
    *data(src, rows, lane) {
      if (lane !== undefined)
        return yield* lowCardinalityBudgeted(src, rows, lane, dictionary, nullable, limits);
      const out: JsonValue[] = new Array(rows);
      let done = 0;
      while (done < rows) {
        yield* src.fill(8);
        const flags = src.queue.take(8).readUInt32LE(0);
        if (flags & NEED_GLOBAL_DICTIONARY)
          throw protocolError("LowCardinality with a global dictionary is not supported");
        const width = INDEX_WIDTHS[flags & 0xff];
        if (width === undefined) throw protocolError(`Bad LowCardinality index type ${flags & 0xff}`);
        let keys: JsonValue[] = [];
        if (flags & HAS_ADDITIONAL_KEYS) {
          const count = yield* readCount(src, limits.maxRows, "A LowCardinality dictionary size");
          keys = yield* dictionary.data(src, count);
        }
        const count = yield* readCount(src, rows - done, "A LowCardinality chunk size");
        const indexes = yield* readIndexes(src, count, width, keys.length - 1, "A LowCardinality index");
        for (let i = 0; i < count; i++) {
          const index = indexes[i]!;
          out[done + i] = nullable && index === 0 ? null : keys[index]!;
        }
        done += count;
        if (count === 0) throw protocolError("Empty LowCardinality chunk");
      }
      return out;
    },
  };
}

/**
 * LowCardinality under a budget. A chunk's dictionary comes before its indexes, so which keys
 * the kept rows use is not known while it is read: it is kept up to twice the row budget (and
 * read past beyond). ClickHouse writes a chunk's dictionary with just the keys its rows use, so
 * a dictionary larger than that belongs to rows that cannot all fit; a row whose key was left
 * out is cut. (When rows use their keys out of dictionary order, that cut may come a few rows
 * before the exact one.)
 */
function* lowCardinalityBudgeted(
  src: Source,
  rows: number,
  lane: Lane,
  dictionary: ColumnDecoder,
  nullable: boolean,
  limits: ReadLimits,
): Parse<JsonValue[]> {
  const out: JsonValue[] = [];
  const cursor = new LaneCursor(lane);
  let done = 0;
  while (done < rows) {
    yield* src.fill(8);
    const flags = src.queue.take(8).readUInt32LE(0);
    if (flags & NEED_GLOBAL_DICTIONARY)
      throw protocolError("LowCardinality with a global dictionary is not supported");
    const width = INDEX_WIDTHS[flags & 0xff];
    if (width === undefined) throw protocolError(`Bad LowCardinality index type ${flags & 0xff}`);
    let keyCount = 0;
    let keys: JsonValue[] = [];
    if (flags & HAS_ADDITIONAL_KEYS) {
      keyCount = yield* readCount(src, limits.maxRows, "A LowCardinality dictionary size");
      const limit = DICTIONARY_FACTOR * Math.max(0, lane.budget.limit) + DICTIONARY_SLACK;
      keys = yield* dictionary.data(src, keyCount, topLane(new RowBudget(keyCount, 0, limit)));
    }
    const keyBytes = new Float64Array(keys.length);
    const count = yield* readCount(src, rows - done, "A LowCardinality chunk size");
    if (count === 0) throw protocolError("Empty LowCardinality chunk");
    const perSlice = Math.max(1, Math.floor(SLICE_BYTES / width));
    for (let k = 0; k < count; ) {
      const n = Math.min(count - k, perSlice);
      const indexes = yield* readIndexes(src, n, width, keyCount - 1, "A LowCardinality index");
      for (let q = 0; q < n; q++, k++) {
        const i = done + k;
        if (i >= cursor.end) continue;
        const index = indexes[q]!;
        if (nullable && index === 0) {
          if (cursor.charge(i, NULL_BYTES)) out.push(null);
        } else if (index >= keys.length) {
          cursor.cutAt(i);
        } else {
          const key = keys[index]!;
          let bytes = keyBytes[index]!;
          if (bytes === 0) {
            bytes = jsonBytesAtLeast(key);
            keyBytes[index] = bytes;
          }
          if (cursor.charge(i, bytes)) out.push(key);
        }
      }
    }
    done += count;
  }
  return out;
}

function unsupported(name: string): NativeError {
  return new NativeError("UNSUPPORTED_TYPE", `The native driver cannot decode type ${name}`);
}

/** Builds the decoder of one column type; throws UNSUPPORTED_TYPE for what it cannot decode. */
export function makeDecoder(
  type: TypeNode,
  context: DecoderContext,
  zones = new Map<string, TimeZoneFormatter>(),
): ColumnDecoder {
  const { limits } = context;
  const make = (inner: TypeNode) => makeDecoder(inner, context, zones);
  switch (type.kind) {
    case "int":
      return intDecoder(type.bytes, type.signed);
    case "float": {
      const convert = context.nonFiniteFloats === "text" ? floatText : float;
      return type.bytes === 4
        ? fixed(4, NUMBER_BYTES, (b, at) => convert(shortestFloat32(b.readFloatLE(at))))
        : fixed(8, NUMBER_BYTES, (b, at) => convert(b.readDoubleLE(at)));
    }
    case "bool":
      return fixed(1, 4, (b, at) => b[at] !== 0);
    case "decimal":
      return decimalDecoder(type.bytes, type.scale);
    case "string":
      return stringDecoder(limits);
    case "fixed-string": {
      const length = type.length;
      if (length > limits.maxStringBytes) throw unsupported(`FixedString(${length})`);
      return fixed(length, length + 2, (b, at) => b.toString("utf8", at, at + length));
    }
    case "date":
      return fixed(2, DATE_BYTES, (b, at) => formatDate(b.readUInt16LE(at)));
    case "date32":
      return fixed(4, DATE_BYTES, (b, at) => formatDate(b.readInt32LE(at)));
    case "datetime": {
      const zone = timeZone(type.timezone, context, zones);
      return fixed(4, DATE_TIME_BYTES, (b, at) => zone.format(b.readUInt32LE(at)));
    }
    case "datetime64":
      return dateTime64Decoder(type.precision, timeZone(type.timezone, context, zones));
    case "uuid":
      return fixed(16, 38, formatUuid);
    case "ipv4":
      return fixed(4, 9, (b, at) => formatIPv4(b.readUInt32LE(at)));
    case "ipv6":
      return fixed(16, 4, formatIPv6);
    case "enum": {
      const names = type.names;
      return type.bytes === 1
        ? fixed(1, 2, (b, at) => names.get(b.readInt8(at)) ?? String(b.readInt8(at)))
        : fixed(2, 2, (b, at) => names.get(b.readInt16LE(at)) ?? String(b.readInt16LE(at)));
    }
    case "nothing":
      return fixed(1, NULL_BYTES, () => null);
    case "nullable":
      return nullableDecoder(make(type.inner));
    case "array":
      return arrayDecoder(make(type.inner), limits);
    case "map":
      return mapDecoder(make(type.key), make(type.value), limits);
    case "tuple":
      return tupleDecoder(type.elements.map(make), type.names);
    case "low-cardinality": {
      const nullable = type.inner.kind === "nullable";
      const dictionary = type.inner.kind === "nullable" ? type.inner.inner : type.inner;
      return lowCardinalityDecoder(make(dictionary), nullable, limits);
    }
    case "unsupported":
      throw unsupported(type.name);
  }
}
