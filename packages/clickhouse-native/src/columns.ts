import { NativeError, protocolError } from "./errors.js";
import type { Parse, ReadLimits, Source } from "./reader.js";
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
  prefix(src: Source): Parse<void>;
  data(src: Source, rows: number): Parse<JsonValue[]>;
}

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

function fixed(width: number, convert: (buf: Buffer, at: number) => JsonValue): ColumnDecoder {
  return {
    prefix: noPrefix,
    *data(src, rows) {
      const size = rows * width;
      yield* src.fill(size);
      const buf = src.queue.take(size);
      const out: JsonValue[] = new Array(rows);
      for (let i = 0; i < rows; i++) out[i] = convert(buf, i * width);
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

const stringDecoder = (limits: ReadLimits): ColumnDecoder => ({
  prefix: noPrefix,
  *data(src, rows) {
    const out: JsonValue[] = new Array(rows);
    const queue = src.queue;
    for (let i = 0; i < rows; i++) {
      let bytes = queue.tryBytes(limits.maxStringBytes, "A string");
      while (bytes === undefined) {
        yield* src.fill(queue.wanted);
        bytes = queue.tryBytes(limits.maxStringBytes, "A string");
      }
      out[i] = bytes.toString("utf8");
    }
    return out;
  },
});

function float(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function floatText(value: number): number | string {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
}

function intDecoder(bytes: number, signed: boolean): ColumnDecoder {
  switch (bytes) {
    case 1:
      return fixed(1, signed ? (b, at) => b.readInt8(at) : (b, at) => b[at]!);
    case 2:
      return fixed(2, signed ? (b, at) => b.readInt16LE(at) : (b, at) => b.readUInt16LE(at));
    case 4:
      return fixed(4, signed ? (b, at) => b.readInt32LE(at) : (b, at) => b.readUInt32LE(at));
    case 8:
      return fixed(
        8,
        signed ? (b, at) => b.readBigInt64LE(at).toString() : (b, at) => b.readBigUInt64LE(at).toString(),
      );
    default:
      return fixed(bytes, (b, at) => readWideInt(b, at, bytes, signed).toString());
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
      return fixed(4, (b, at) => formatDecimal(BigInt(b.readInt32LE(at)), scale));
    case 8:
      return fixed(8, (b, at) => formatDecimal(b.readBigInt64LE(at), scale));
    default:
      return fixed(bytes, (b, at) => formatDecimal(readWideInt(b, at, bytes, true), scale));
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

function dateTime64Decoder(precision: number, zone: TimeZoneFormatter): ColumnDecoder {
  const scale = 10n ** BigInt(precision);
  return fixed(8, (b, at) => {
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
    *data(src, rows) {
      yield* src.fill(rows);
      const nulls = src.queue.take(rows);
      const values = yield* inner.data(src, rows);
      for (let i = 0; i < rows; i++) if (nulls[i] !== 0) values[i] = null;
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

function arrayDecoder(inner: ColumnDecoder, limits: ReadLimits): ColumnDecoder {
  return {
    prefix: (src) => inner.prefix(src),
    *data(src, rows) {
      const offsets = yield* readOffsets(src, rows, limits);
      const values = yield* inner.data(src, rows > 0 ? offsets[rows - 1]! : 0);
      const out: JsonValue[] = new Array(rows);
      let start = 0;
      for (let i = 0; i < rows; i++) {
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
    *data(src, rows) {
      const offsets = yield* readOffsets(src, rows, limits);
      const total = rows > 0 ? offsets[rows - 1]! : 0;
      const keys = yield* key.data(src, total);
      const values = yield* value.data(src, total);
      const out: JsonValue[] = new Array(rows);
      let start = 0;
      for (let i = 0; i < rows; i++) {
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
  return {
    *prefix(src) {
      for (const element of elements) yield* element.prefix(src);
    },
    *data(src, rows) {
      const columns: JsonValue[][] = [];
      for (const element of elements) columns.push(yield* element.data(src, rows));
      const out: JsonValue[] = new Array(rows);
      for (let i = 0; i < rows; i++) {
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
    *data(src, rows) {
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
        ? fixed(4, (b, at) => convert(shortestFloat32(b.readFloatLE(at))))
        : fixed(8, (b, at) => convert(b.readDoubleLE(at)));
    }
    case "bool":
      return fixed(1, (b, at) => b[at] !== 0);
    case "decimal":
      return decimalDecoder(type.bytes, type.scale);
    case "string":
      return stringDecoder(limits);
    case "fixed-string": {
      const length = type.length;
      if (length > limits.maxStringBytes) throw unsupported(`FixedString(${length})`);
      return fixed(length, (b, at) => b.toString("utf8", at, at + length));
    }
    case "date":
      return fixed(2, (b, at) => formatDate(b.readUInt16LE(at)));
    case "date32":
      return fixed(4, (b, at) => formatDate(b.readInt32LE(at)));
    case "datetime": {
      const zone = timeZone(type.timezone, context, zones);
      return fixed(4, (b, at) => zone.format(b.readUInt32LE(at)));
    }
    case "datetime64":
      return dateTime64Decoder(type.precision, timeZone(type.timezone, context, zones));
    case "uuid":
      return fixed(16, formatUuid);
    case "ipv4":
      return fixed(4, (b, at) => formatIPv4(b.readUInt32LE(at)));
    case "ipv6":
      return fixed(16, formatIPv6);
    case "enum": {
      const names = type.names;
      return type.bytes === 1
        ? fixed(1, (b, at) => names.get(b.readInt8(at)) ?? String(b.readInt8(at)))
        : fixed(2, (b, at) => names.get(b.readInt16LE(at)) ?? String(b.readInt16LE(at)));
    }
    case "nothing":
      return fixed(1, () => null);
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
