import { LaneCursor, NULL_BYTES } from "./budget.js";
import {
  type ColumnDecoder,
  type DecoderContext,
  type JsonValue,
  noPrefix,
  PREALLOCATE,
  SLICE_BYTES,
} from "./column-decoder.js";
import { NativeError, protocolError } from "./errors.js";
import { discard, type ReadLimits, readLength } from "./reader.js";
import { formatDecimal, TimeZoneFormatter } from "./text.js";

// Decoders of single values: numbers, decimals, strings, dates and times, and fixed-width types.

/**
 * Values of `width` bytes each, whose JSON takes at least `json` bytes (e.g. 1 for a number, 3
 * for a quoted integer, 12 for a quoted date).
 */
export function fixed(
  width: number,
  json: number,
  convert: (buf: Buffer, at: number) => JsonValue,
): ColumnDecoder {
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
export const stringDecoder = (limits: ReadLimits, jsonText = false): ColumnDecoder => ({
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

export function float(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export function floatText(value: number): number | string {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
}

// The least JSON of some values: a number's digit, a quoted number's `"0"`, a date's `"1970-01-01"`.
export const NUMBER_BYTES = 1;
const QUOTED_NUMBER_BYTES = 3;

export function intDecoder(bytes: number, signed: boolean): ColumnDecoder {
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

export function decimalDecoder(bytes: number, scale: number): ColumnDecoder {
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

export function timeZone(
  name: string | undefined,
  context: DecoderContext,
  zones: Map<string, TimeZoneFormatter>,
) {
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
export const DATE_BYTES = 12;
export const DATE_TIME_BYTES = 21;

export function dateTime64Decoder(precision: number, zone: TimeZoneFormatter): ColumnDecoder {
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
