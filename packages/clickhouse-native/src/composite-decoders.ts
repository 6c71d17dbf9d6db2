import { type Lane, LaneCursor, NULL_BYTES } from "./budget.js";
import { type ColumnDecoder, type JsonValue, readIndexes, SLICE_BYTES } from "./column-decoder.js";
import { protocolError } from "./errors.js";
import { discard, type Parse, type ReadLimits, type Source } from "./reader.js";

// Decoders of values made of others: Nullable, Array, Map, Tuple.

export function nullableDecoder(inner: ColumnDecoder): ColumnDecoder {
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

export function arrayDecoder(inner: ColumnDecoder, limits: ReadLimits): ColumnDecoder {
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

export function mapDecoder(key: ColumnDecoder, value: ColumnDecoder, limits: ReadLimits): ColumnDecoder {
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

export function tupleDecoder(elements: ColumnDecoder[], names: string[] | undefined): ColumnDecoder {
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
