import { describe, expect, it } from "vitest";
import { ByteQueue } from "./byte-queue.js";
import { encodeQuery, type QueryPacket } from "./client-packets.js";
import { NativeError } from "./errors.js";
import { CLIENT_REVISION, REVISION } from "./protocol.js";
import {
  parseComplete,
  RawSource,
  readBinaryString,
  readInt32,
  readString,
  readUInt8,
  readVarUInt,
  type Source,
} from "./reader.js";
import { readServerMessage } from "./server-packets.js";
import { dataRows, httpResult, nativeFixtures, parseStream, response } from "./test-support/fixtures.js";

const bytesOf = (name: string) => Buffer.from(response(name).server, "hex");

describe("server packets captured from ClickHouse 26.7", () => {
  it("reads the server's Hello", () => {
    const { messages } = parseStream(Buffer.from(nativeFixtures.hello, "hex"));
    expect(messages).toHaveLength(1);
    const [hello] = messages;
    expect(hello?.type).toBe("hello");
    if (hello?.type !== "hello") return;
    expect(hello.hello).toMatchObject({
      name: "ClickHouse",
      versionMajor: 26,
      versionMinor: 7,
      timezone: "Etc/UTC",
    });
    expect(hello.hello.revision).toBeGreaterThanOrEqual(CLIENT_REVISION);
  });

  const withHttp = nativeFixtures.responses.filter((r) => r.httpLines !== undefined);

  it.each(withHttp.map((r) => [r.name, r] as const))(
    "decodes %s to the values the HTTP interface returns",
    (_, fixture) => {
      const { messages } = parseStream(Buffer.from(fixture.server, "hex"), {
        compression: fixture.compression,
      });
      const http = httpResult(fixture)!;
      const header = messages.find((m) => m.type === "data");
      expect(header?.type === "data" && header.block.rowCount).toBe(0);
      if (header?.type !== "data") return;
      expect(header.block.columns.map((c) => c.name)).toEqual(http.names);
      expect(header.block.columns.map((c) => c.type)).toEqual(http.types);
      expect(dataRows(messages)).toEqual(http.rows);
      expect(messages.at(-1)?.type).toBe("end-of-stream");
    },
  );

  it.each([1, 2, 3, 7, 64, 1000])(
    "gives the same messages whatever the chunk size (%i bytes)",
    (chunkSize) => {
      for (const name of ["types", "types-lz4", "low-cardinality"]) {
        const fixture = response(name);
        const whole = parseStream(bytesOf(name), { compression: fixture.compression });
        const chunked = parseStream(bytesOf(name), { compression: fixture.compression, chunkSize });
        expect(chunked.messages).toEqual(whole.messages);
      }
    },
  );

  it("resumes where it stopped instead of parsing again (resumptions grow with chunks, not with their square)", () => {
    const bytes = bytesOf("multi-block-lz4");
    const byByte = parseStream(bytes, { compression: true, chunkSize: 1 });
    // At most one resumption per chunk that completes what the parser waits for, plus one per message.
    expect(byByte.resumes).toBeLessThanOrEqual(bytes.length + byByte.messages.length);
    expect(dataRows(byByte.messages)).toEqual(httpResult(response("multi-block-lz4"))!.rows);
    const blocks = byByte.messages.filter((m) => m.type === "data" && m.block.rowCount > 0);
    expect(blocks.length).toBeGreaterThan(1);
  });

  it("reads an exception sent instead of a result", () => {
    const { messages } = parseStream(bytesOf("exception"));
    const exception = messages.find((m) => m.type === "exception");
    expect(exception).toBeDefined();
    if (exception?.type !== "exception") return;
    expect(exception.exceptions[0]).toMatchObject({ code: 60, name: "UNKNOWN_TABLE" });
    expect(exception.exceptions[0]?.message).toMatch(
      /^Unknown table expression identifier 'no_such_table_anywhere'/,
    );
  });

  it("reads rows, then the exception that interrupted them", () => {
    const { messages } = parseStream(bytesOf("exception-during-data"));
    const rows = dataRows(messages);
    expect(rows.map((row) => row[0])).toEqual(["0", "1", "2"]);
    const last = messages.findLast((m) => m.type !== "pong");
    expect(last?.type === "exception" && last.exceptions[0]?.code).toBe(395);
  });

  it("reads totals, extremes, progress and profile info", () => {
    const { messages } = parseStream(bytesOf("totals-extremes"));
    expect(dataRows(messages)).toEqual([
      [0, "5"],
      [1, "5"],
    ]);
    const totals = messages.find((m) => m.type === "totals");
    expect(totals?.type === "totals" && totals.block.values).toEqual([[0], ["10"]]);
    const extremes = messages.find((m) => m.type === "extremes");
    expect(extremes?.type === "extremes" && extremes.block.values).toEqual([
      [0, 1],
      ["5", "5"],
    ]);
    const profile = messages.find((m) => m.type === "profile-info");
    expect(profile?.type === "profile-info" && profile.profileInfo.rows).toBe(2);
    expect(messages.some((m) => m.type === "progress")).toBe(true);
    expect(messages.some((m) => m.type === "profile-events")).toBe(true);
  });

  it("refuses lengths beyond the limits", () => {
    const tooLong = () => parseStream(bytesOf("types"), { limits: { maxStringBytes: 8 } });
    expect(tooLong).toThrow(NativeError);
    expect(tooLong).toThrow(/exceeds the limit of 8/);
    expect(() =>
      parseStream(bytesOf("multi-block-lz4"), { compression: true, limits: { maxRows: 500 } }),
    ).toThrow(/rows exceeds the limit of 500/);
    expect(() => parseStream(bytesOf("types"), { limits: { maxColumns: 3 } })).toThrow(
      /columns exceeds the limit/,
    );
    expect(() =>
      parseStream(bytesOf("types-lz4"), { compression: true, limits: { maxFrameBytes: 100 } }),
    ).toThrow(/frame exceeds the limit of 100/);
  });

  it("detects a corrupted compressed frame", () => {
    const bytes = Buffer.from(bytesOf("types-lz4"));
    // The first Data packet's frame starts after the packet code and the empty table name.
    bytes[2 + 16 + 12]! ^= 0x01;
    expect(() => parseStream(bytes, { compression: true })).toThrow(/Checksum mismatch/);
  });

  it("refuses an unknown packet", () => {
    expect(() => parseStream(Buffer.from([42]))).toThrow(/Unexpected packet 42/);
  });
});

/** Reads a Query packet back, field by field, as the server does at revision 54460. */
function* readQueryPacket(src: Source) {
  const max = 1 << 20;
  const code = yield* readVarUInt(src);
  const queryId = yield* readString(src, max, "id");
  const kind = yield* readUInt8(src);
  const initial = [
    yield* readString(src, max, ""),
    yield* readString(src, max, ""),
    yield* readString(src, max, ""),
  ];
  yield* src.fill(8);
  src.queue.take(8);
  const iface = yield* readUInt8(src);
  const client = [
    yield* readString(src, max, ""),
    yield* readString(src, max, ""),
    yield* readString(src, max, ""),
  ];
  const version = [yield* readVarUInt(src), yield* readVarUInt(src), yield* readVarUInt(src)];
  const quotaKey = yield* readString(src, max, "");
  const depth = yield* readVarUInt(src);
  const patch = yield* readVarUInt(src);
  const otel = yield* readUInt8(src);
  const replicas = [yield* readVarUInt(src), yield* readVarUInt(src), yield* readVarUInt(src)];
  const settings: [string, number, string][] = [];
  for (;;) {
    const name = yield* readString(src, max, "");
    if (name === "") break;
    settings.push([name, yield* readVarUInt(src), yield* readString(src, max, "")]);
  }
  const secret = yield* readString(src, max, "");
  const stage = yield* readVarUInt(src);
  const compression = yield* readVarUInt(src);
  const query = yield* readString(src, max, "");
  const params: [string, number, string][] = [];
  for (;;) {
    const name = yield* readString(src, max, "");
    if (name === "") break;
    params.push([name, yield* readVarUInt(src), yield* readString(src, max, "")]);
  }
  const dataCode = yield* readVarUInt(src);
  const table = yield* readBinaryString(src, max, "");
  const blockInfo = [
    yield* readVarUInt(src),
    yield* readUInt8(src),
    yield* readVarUInt(src),
    yield* readInt32(src),
  ];
  const blockEnd = [yield* readVarUInt(src), yield* readVarUInt(src), yield* readVarUInt(src)];
  return {
    code,
    queryId,
    kind,
    initial,
    iface,
    client,
    version,
    quotaKey,
    depth,
    patch,
    otel,
    replicas,
    settings,
    secret,
    stage,
    compression,
    query,
    params,
    dataCode,
    table: table.length,
    blockInfo,
    blockEnd,
  };
}

describe("encodeQuery", () => {
  const packet: QueryPacket = {
    revision: CLIENT_REVISION,
    queryId: "q-1",
    query: "SELECT {s:String}",
    settings: [["max_result_rows", "10"]],
    params: [["s", "it's \\ fine"]],
    compression: false,
    clientName: "test-client",
    initialAddress: "127.0.0.1:5000",
    osUser: "",
    hostname: "host",
  };

  it("writes the fields of revision 54460 in order, then the empty external-tables block", () => {
    const queue = new ByteQueue();
    queue.push(encodeQuery(packet));
    const decoded = parseComplete(readQueryPacket(new RawSource(queue)), queue);
    expect(queue.available).toBe(0);
    expect(decoded).toEqual({
      code: 1,
      queryId: "q-1",
      kind: 1,
      initial: ["", "", "127.0.0.1:5000"],
      iface: 1,
      client: ["", "host", "test-client"],
      version: [1, 0, CLIENT_REVISION],
      quotaKey: "",
      depth: 0,
      patch: 0,
      otel: 0,
      replicas: [0, 0, 0],
      // Flag 1 (important): a server that does not know the setting refuses the query.
      settings: [["max_result_rows", 1, "10"]],
      secret: "",
      stage: 2,
      compression: 0,
      query: "SELECT {s:String}",
      // Flag 2 (custom); the value is a quoted String literal.
      params: [["s", 2, "'it\\'s \\\\ fine'"]],
      dataCode: 2,
      table: 0,
      blockInfo: [1, 0, 2, -1],
      blockEnd: [0, 0, 0],
    });
  });

  it("refuses settings and parameters that an old server cannot take", () => {
    expect(() =>
      encodeQuery({ ...packet, revision: REVISION.PARAMETERS - 1, params: packet.params }),
    ).toThrow(/too old for query parameters/);
    expect(() => encodeQuery({ ...packet, revision: REVISION.SETTINGS_AS_STRINGS - 1 })).toThrow(
      /too old for query settings/,
    );
  });

  it("compresses the trailing block when the query asks for compression", () => {
    const plain = encodeQuery(packet);
    const compressed = encodeQuery({ ...packet, compression: true });
    // The uncompressed block (8 bytes) becomes a 16-byte checksum + 9-byte header + LZ4 payload.
    expect(compressed.length).toBeGreaterThan(plain.length + 16);
  });
});

describe("readServerMessage", () => {
  it("reads a Progress packet field by field (elapsed time from revision 54460)", () => {
    const queue = new ByteQueue();
    queue.push(Buffer.from([3, 10, 0x80, 0x01, 100, 0, 0, 7]));
    const context = {
      raw: new RawSource(queue),
      data: new RawSource(queue),
      revision: CLIENT_REVISION,
      limits: { maxStringBytes: 100, maxColumns: 10, maxRows: 10, maxFrameBytes: 100, maxTextBytes: 100 },
      decoding: {
        timezone: "UTC",
        limits: { maxStringBytes: 100, maxColumns: 10, maxRows: 10, maxFrameBytes: 100, maxTextBytes: 100 },
      },
      zones: new Map(),
      decoders: new Map(),
    };
    expect(parseComplete(readServerMessage(context), queue)).toEqual({
      type: "progress",
      progress: {
        readRows: 10,
        readBytes: 128,
        totalRowsToRead: 100,
        writtenRows: 0,
        writtenBytes: 0,
        elapsedNs: 7,
      },
    });
  });
});
