import { jsonBytesAtLeast, type Lane, LaneCursor, NULL_BYTES, RowBudget, topLane } from "./budget.js";
import {
  type ColumnDecoder,
  DICTIONARY_FACTOR,
  DICTIONARY_SLACK,
  type JsonValue,
  readCount,
  readIndexes,
  SLICE_BYTES,
} from "./column-decoder.js";
import { protocolError } from "./errors.js";
import type { Parse, ReadLimits, Source } from "./reader.js";

// LowCardinality serialization (SerializationLowCardinality.cpp): a u64 keys version in the
// prefix; then chunks of a u64 index type (key width in the low byte, flags above), the
// chunk's dictionary ("additional keys") and its indexes.
const KEYS_VERSION_SHARED_DICTIONARIES = 1n;
const NEED_GLOBAL_DICTIONARY = 1 << 8;
const HAS_ADDITIONAL_KEYS = 1 << 9;
const INDEX_WIDTHS = [1, 2, 4, 8];

export function lowCardinalityDecoder(
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
