import { describe, expect, it } from "vitest";
import type { BlockBudget } from "./budget.js";
import { NativeError } from "./errors.js";
import type { ServerMessage } from "./protocol.js";
import { dataRows, nativeFixtures, parseStream } from "./test-support/fixtures.js";
import { Writer } from "./writer.js";

const rowBytes = (row: unknown[]) => Buffer.byteLength(JSON.stringify(row), "utf8") + 1;

/**
 * Reads a captured answer as @mcp/clickhouse's RowCollector does: each block may take what is
 * left of `limit`; rows are kept while they fit; a block that ends `overBudget` ends the result.
 */
function readWithin(bytes: Buffer, compression: boolean, limit: number, chunkSize?: number) {
  let used = 0;
  let cut = false;
  const kept: unknown[][] = [];
  const budget = (): BlockBudget => ({ limit: cut ? 0 : limit - used });
  const onMessage = (message: ServerMessage) => {
    if (message.type !== "data" || cut) return;
    const { block } = message;
    for (let row = 0; row < block.rowCount && !cut; row++) {
      const values = block.values.map((column) => column[row]);
      const size = rowBytes(values);
      if (used + size > limit) cut = true;
      else {
        used += size;
        kept.push(values);
      }
    }
    if (block.overBudget) cut = true;
  };
  parseStream(bytes, { compression, budget, onMessage, ...(chunkSize ? { chunkSize } : {}) });
  return { kept, cut };
}

/** What an exact cut at `limit` keeps of all the rows. */
function exactly(rows: unknown[][], limit: number) {
  let used = 0;
  const kept: unknown[][] = [];
  for (const row of rows) {
    const size = rowBytes(row);
    if (used + size > limit) return { kept, cut: true };
    used += size;
    kept.push(row);
  }
  return { kept, cut: false };
}

/** Byte limits around every cut point (and a few more), at most ~60 of them. */
function limitsFor(rows: unknown[][]): number[] {
  const sums = [0];
  for (const row of rows) sums.push(sums.at(-1)! + rowBytes(row));
  const step = Math.max(1, Math.floor(sums.length / 20));
  const limits = new Set<number>([0, 1, 2, 3, Number.POSITIVE_INFINITY]);
  for (let i = 0; i < sums.length; i += step)
    for (const d of [-1, 0, 1]) limits.add(Math.max(0, sums[i]! + d));
  limits.add(sums.at(-1)!);
  limits.add(sums.at(-1)! - 1);
  return [...limits];
}

const answers = nativeFixtures.responses.filter((r) => !r.name.startsWith("exception"));

describe("decoding under a byte budget", () => {
  it.each(answers.map((r) => [r.name, r] as const))(
    "cuts %s exactly where counting each row's JSON would, whatever the limit",
    (_, fixture) => {
      const bytes = Buffer.from(fixture.server, "hex");
      const all = dataRows(parseStream(bytes, { compression: fixture.compression }).messages);
      expect(all.length).toBeGreaterThan(0);
      for (const limit of limitsFor(all)) {
        const got = readWithin(bytes, fixture.compression, limit);
        const want = exactly(all, limit);
        expect({ limit, ...got }).toEqual({ limit, ...want });
      }
    },
  );

  it("reads the same when bytes arrive a few at a time", () => {
    for (const fixture of answers.filter((r) => !r.compression)) {
      const bytes = Buffer.from(fixture.server, "hex");
      const all = dataRows(parseStream(bytes, {}).messages);
      const limits = limitsFor(all);
      for (const limit of limits.filter((_, i) => i % 4 === 0)) {
        expect(readWithin(bytes, false, limit, 5)).toEqual(exactly(all, limit));
      }
    }
  });

  it("reads past every block of a query being cancelled (a zero budget) and stays in sync", () => {
    for (const fixture of answers) {
      const run = parseStream(Buffer.from(fixture.server, "hex"), {
        compression: fixture.compression,
        budget: () => ({ limit: 0 }),
        chunkSize: 3,
      });
      expect(run.messages.at(-1)?.type).toBe("end-of-stream");
      expect(dataRows(run.messages)).toEqual([]);
    }
  });
});

// A Data packet with one String column whose single value announces `declared` bytes.
function hugeStringBlock(declared: number): Buffer {
  return new Writer()
    .varUInt(1) // Data
    .string("")
    .varUInt(1)
    .uint8(0)
    .varUInt(2)
    .int32(-1)
    .varUInt(0) // block info
    .varUInt(1) // columns
    .varUInt(1) // rows
    .string("s")
    .string("String")
    .uint8(0) // no custom serialization
    .varUInt(declared)
    .toBuffer();
}

describe("a value larger than the budget", () => {
  it("is read past as it arrives, never buffered, and the block ends before its row", () => {
    const declared = 64 * 1024 * 1024;
    const head = hugeStringBlock(declared);
    const end = new Writer().varUInt(5).toBuffer(); // EndOfStream
    // The whole answer, streamed in 64 KiB chunks without ever being held at once.
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let maxBuffered = 0;
    let maxNeed = 0;
    const cuts: number[] = [];
    const budget = (): BlockBudget => ({ limit: 1024 * 1024, onCut: (rows) => cuts.push(rows.keep) });
    const stream = function* () {
      yield head;
      for (let sent = 0; sent < declared; sent += chunk.length) yield chunk;
      yield end;
    };
    const { messages } = parseStream(stream(), {
      budget,
      onStep: (buffered, need) => {
        maxBuffered = Math.max(maxBuffered, buffered);
        maxNeed = Math.max(maxNeed, need);
      },
    });
    expect(cuts).toEqual([0]);
    const data = messages.find((m) => m.type === "data");
    expect(data?.type === "data" && data.block).toMatchObject({
      rowCount: 0,
      overBudget: true,
      values: [[]],
    });
    expect(messages.at(-1)?.type).toBe("end-of-stream");
    expect(maxBuffered).toBeLessThanOrEqual(2 * chunk.length);
    expect(maxNeed).toBeLessThanOrEqual(16);
  });

  it("without a budget, is refused beyond limits.maxStringBytes before it is buffered", () => {
    expect(() => parseStream(hugeStringBlock(1 << 30), {})).toThrow(NativeError);
    expect(() => parseStream(hugeStringBlock(1 << 30), {})).toThrow(/exceeds the limit/);
  });
});
