import { type BlockBudget, RowBudget, topLane } from "./budget.js";
import {
  type ColumnDecoder,
  type DecoderContext,
  type JsonValue,
  jsonTextDecoder,
  makeDecoder,
} from "./columns.js";
import { ERROR_NAMES } from "./error-names.js";
import { NativeError, protocolError, type ServerExceptionInfo } from "./errors.js";
import type { Block, ColumnInfo, ProfileInfo, Progress, ServerHello, ServerMessage } from "./protocol.js";
import { CLIENT_REVISION, REVISION } from "./protocol.js";
import {
  discard,
  type Parse,
  type ReadLimits,
  readInt32,
  readLength,
  readString,
  readStringPrefix,
  readUInt8,
  readVarUInt,
  type Source,
} from "./reader.js";
import type { TimeZoneFormatter } from "./text.js";
import { parseType, type TypeNode } from "./types.js";

// Reading the server's packets: one generator per packet, resumable as bytes arrive.

const ServerPacket = {
  Hello: 0,
  Data: 1,
  Exception: 2,
  Progress: 3,
  Pong: 4,
  EndOfStream: 5,
  ProfileInfo: 6,
  Totals: 7,
  Extremes: 8,
  Log: 10,
  TableColumns: 11,
  ProfileEvents: 14,
} as const;

export interface ReadContext {
  raw: Source;
  /** Where compressed packets' blocks are read from: the decompressed stream, or `raw`. */
  data: Source;
  revision: number;
  limits: ReadLimits;
  decoding: DecoderContext;
  zones: Map<string, TimeZoneFormatter>;
  decoders: Map<string, ColumnDecoder>;
  /** Asked at the start of each Data, Totals and Extremes packet: how its rows may be read. */
  budget?: (packet: "data" | "totals" | "extremes") => BlockBudget | undefined;
  /** String columns that hold JSON text for the reader to parse (`NativeQueryOptions.jsonTextColumns`). */
  jsonTextColumns?: ReadonlySet<string>;
}

/** Log and ProfileEvents blocks are read past: nothing uses them. */
const SKIP_ALL: BlockBudget = Object.freeze({ limit: 0 });
// What is kept of an exception's message (the rest is dropped as it arrives).
const MAX_EXCEPTION_MESSAGE = 64 * 1024;

function* readHello(src: Source, limits: ReadLimits): Parse<ServerHello> {
  const max = limits.maxTextBytes;
  const name = yield* readString(src, max, "The server name");
  const versionMajor = yield* readVarUInt(src);
  const versionMinor = yield* readVarUInt(src);
  const revision = yield* readVarUInt(src);
  const effective = Math.min(revision, CLIENT_REVISION);
  const timezone = effective >= REVISION.SERVER_TIMEZONE ? yield* readString(src, max, "The time zone") : "";
  const displayName =
    effective >= REVISION.SERVER_DISPLAY_NAME ? yield* readString(src, max, "The display name") : "";
  const versionPatch = effective >= REVISION.VERSION_PATCH ? yield* readVarUInt(src) : 0;
  return { name, versionMajor, versionMinor, versionPatch, revision, timezone, displayName };
}

// The message starts with the exception class ("DB::Exception: "); some versions add "Code: N. ".
const EXCEPTION_PREFIX = /^(?:Code: \d+\. )?(?:[A-Za-z_:]*Exception: )?/;

function* readException(src: Source, limits: ReadLimits): Parse<ServerExceptionInfo[]> {
  const out: ServerExceptionInfo[] = [];
  for (;;) {
    const code = yield* readInt32(src);
    yield* skipText(src, limits.maxTextBytes, "An exception name");
    const text = yield* readStringPrefix(
      src,
      limits.maxTextBytes,
      MAX_EXCEPTION_MESSAGE,
      "An exception message",
    );
    yield* skipText(src, limits.maxTextBytes, "An exception stack trace");
    const hasNested = yield* readUInt8(src);
    const name = ERROR_NAMES[code];
    const message = text.replace(EXCEPTION_PREFIX, "");
    out.push(name === undefined ? { code, message } : { code, name, message });
    if (hasNested === 0) return out;
    if (out.length >= 64) throw protocolError("Too many nested exceptions");
  }
}

/** Reads past a varuint-prefixed string of at most `maxBytes` without buffering it. */
function* skipText(src: Source, maxBytes: number, what: string): Parse<void> {
  const length = yield* readLength(src);
  if (length > maxBytes) throw protocolError(`${what} of ${length} bytes exceeds the limit of ${maxBytes}`);
  yield* discard(src, length);
}

function* readProgress(src: Source, revision: number): Parse<Progress> {
  const readRows = yield* readVarUInt(src);
  const readBytes = yield* readVarUInt(src);
  const totalRowsToRead = revision >= REVISION.TOTAL_ROWS_IN_PROGRESS ? yield* readVarUInt(src) : 0;
  const written = revision >= REVISION.CLIENT_WRITE_INFO;
  const writtenRows = written ? yield* readVarUInt(src) : 0;
  const writtenBytes = written ? yield* readVarUInt(src) : 0;
  const elapsedNs = revision >= REVISION.SERVER_QUERY_TIME_IN_PROGRESS ? yield* readVarUInt(src) : 0;
  return { readRows, readBytes, totalRowsToRead, writtenRows, writtenBytes, elapsedNs };
}

function* readProfileInfo(src: Source): Parse<ProfileInfo> {
  const rows = yield* readVarUInt(src);
  const blocks = yield* readVarUInt(src);
  const bytes = yield* readVarUInt(src);
  const appliedLimit = (yield* readUInt8(src)) !== 0;
  const rowsBeforeLimit = yield* readVarUInt(src);
  const calculatedRowsBeforeLimit = (yield* readUInt8(src)) !== 0;
  return { rows, blocks, bytes, appliedLimit, rowsBeforeLimit, calculatedRowsBeforeLimit };
}

/** Parses a column type; a type the parser cannot read is simply unsupported. */
export function columnType(text: string): TypeNode {
  try {
    return parseType(text);
  } catch {
    return { kind: "unsupported", name: text };
  }
}

function decoderFor(ctx: ReadContext, type: string, node: TypeNode, name: string): ColumnDecoder {
  if (node.kind === "string" && ctx.jsonTextColumns?.has(name)) return jsonTextDecoder(ctx.decoding.limits);
  let decoder = ctx.decoders.get(type);
  if (!decoder) {
    decoder = makeDecoder(node, ctx.decoding, ctx.zones);
    ctx.decoders.set(type, decoder);
  }
  return decoder;
}

/**
 * One block: block info, then each column's name, type and (when there are rows) values. With
 * a budget, rows that cannot fit in it are read past as they arrive, never buffered, and the
 * block ends before them (`overBudget`; see budget.ts).
 */
export function* readBlock(
  src: Source,
  ctx: ReadContext,
  budget?: BlockBudget,
): Parse<{ block: Block; types: TypeNode[] }> {
  const { limits } = ctx;
  for (;;) {
    const field = yield* readVarUInt(src);
    if (field === 0) break;
    if (field === 1) yield* readUInt8(src);
    else if (field === 2) yield* readInt32(src);
    else throw protocolError(`Unknown block info field ${field}`);
  }
  const columnCount = yield* readVarUInt(src);
  const rowCount = yield* readVarUInt(src);
  if (columnCount > limits.maxColumns) {
    throw protocolError(`A block of ${columnCount} columns exceeds the limit of ${limits.maxColumns}`);
  }
  if (rowCount > limits.maxRows)
    throw protocolError(`A block of ${rowCount} rows exceeds the limit of ${limits.maxRows}`);
  const columns: ColumnInfo[] = [];
  const types: TypeNode[] = [];
  const values: JsonValue[][] = [];
  // Brackets, commas between the values and the newline of each row.
  const rows =
    budget === undefined ? undefined : new RowBudget(rowCount, columnCount + 2, budget.limit, budget.onCut);
  let headerBytes = limits.maxTextBytes;
  for (let i = 0; i < columnCount; i++) {
    const name = yield* readString(src, headerBytes, "The block's column names and types");
    headerBytes -= Buffer.byteLength(name, "utf8");
    const type = yield* readString(src, headerBytes, "The block's column names and types");
    headerBytes -= Buffer.byteLength(type, "utf8");
    if (ctx.revision >= REVISION.CUSTOM_SERIALIZATION) {
      const hasCustom = yield* readUInt8(src);
      if (hasCustom !== 0) {
        throw new NativeError("UNSUPPORTED_TYPE", `Column ${name} uses a custom (sparse) serialization`);
      }
    }
    const node = columnType(type);
    columns.push({ name, type });
    types.push(node);
    if (rowCount > 0) {
      const decoder = decoderFor(ctx, type, node, name);
      yield* decoder.prefix(src);
      values.push(yield* decoder.data(src, rowCount, rows && topLane(rows)));
    } else {
      values.push([]);
    }
  }
  rows?.settle();
  if (rows !== undefined && rows.keep < rowCount) {
    const keep = rows.keep;
    return {
      block: {
        columns,
        rowCount: keep,
        values: values.map((column) => column.slice(0, keep)),
        overBudget: true,
      },
      types,
    };
  }
  return { block: { columns, rowCount, values }, types };
}

/** Reads one server packet. */
export function* readServerMessage(ctx: ReadContext): Parse<ServerMessage> {
  const { raw, limits } = ctx;
  const code = yield* readVarUInt(raw);
  switch (code) {
    case ServerPacket.Hello:
      return { type: "hello", hello: yield* readHello(raw, limits) };
    case ServerPacket.Data:
    case ServerPacket.Totals:
    case ServerPacket.Extremes: {
      yield* readString(raw, limits.maxTextBytes, "A table name");
      const type = code === ServerPacket.Data ? "data" : code === ServerPacket.Totals ? "totals" : "extremes";
      const { block, types } = yield* readBlock(ctx.data, ctx, ctx.budget?.(type));
      return { type, block, types };
    }
    case ServerPacket.Log:
    case ServerPacket.ProfileEvents: {
      // Never compressed, whatever the query's compression.
      yield* readString(raw, limits.maxTextBytes, "A table name");
      const { block } = yield* readBlock(raw, ctx, SKIP_ALL);
      return { type: code === ServerPacket.Log ? "log" : "profile-events", block };
    }
    case ServerPacket.Exception:
      return { type: "exception", exceptions: yield* readException(raw, limits) };
    case ServerPacket.Progress:
      return { type: "progress", progress: yield* readProgress(raw, ctx.revision) };
    case ServerPacket.Pong:
      return { type: "pong" };
    case ServerPacket.EndOfStream:
      return { type: "end-of-stream" };
    case ServerPacket.ProfileInfo:
      return { type: "profile-info", profileInfo: yield* readProfileInfo(raw) };
    case ServerPacket.TableColumns:
      yield* skipText(raw, limits.maxTextBytes, "An external table name");
      yield* skipText(raw, limits.maxTextBytes, "A columns description");
      return { type: "table-columns" };
    default:
      throw protocolError(`Unexpected packet ${code} from the server`);
  }
}
