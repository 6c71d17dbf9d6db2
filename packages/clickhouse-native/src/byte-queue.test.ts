import { describe, expect, it } from "vitest";
import { ByteQueue } from "./byte-queue.js";
import { NativeError } from "./errors.js";
import { parseComplete, RawSource, readString, readVarUInt } from "./reader.js";
import { Writer } from "./writer.js";

function queueOf(...chunks: number[][]): ByteQueue {
  const queue = new ByteQueue();
  for (const chunk of chunks) queue.push(Buffer.from(chunk));
  return queue;
}

describe("varuint", () => {
  it.each([0, 1, 127, 128, 300, 16_384, 2 ** 32, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER])(
    "round-trips %d",
    (value) => {
      const bytes = new Writer().varUInt(value).toBuffer();
      const queue = new ByteQueue();
      queue.push(bytes);
      expect(queue.tryVarUInt()).toBe(value);
      expect(queue.available).toBe(0);
    },
  );

  it("uses the LEB128 layout", () => {
    expect([...new Writer().varUInt(300).toBuffer()]).toEqual([0xac, 0x02]);
    expect([...new Writer().varUInt(127).toBuffer()]).toEqual([0x7f]);
  });

  it("reads across chunk boundaries and consumes nothing while incomplete", () => {
    const queue = queueOf([0xac]);
    expect(queue.tryVarUInt()).toBe(-1);
    expect(queue.available).toBe(1);
    queue.push(Buffer.from([0x02, 0x05]));
    expect(queue.tryVarUInt()).toBe(300);
    expect(queue.tryVarUInt()).toBe(5);
  });

  it("refuses values above 2^53 and encodings longer than 10 bytes", () => {
    const big = queueOf([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect(() => big.tryVarUInt()).toThrow(NativeError);
    const long = queueOf(new Array(11).fill(0x80));
    expect(() => long.tryVarUInt()).toThrow(/longer than 10 bytes/);
    expect(() => new Writer().varUInt(-1)).toThrow(RangeError);
  });
});

describe("ByteQueue", () => {
  it("takes and peeks contiguous views across chunks", () => {
    const queue = queueOf([1, 2], [3], [4, 5, 6]);
    expect([...queue.peek(4)]).toEqual([1, 2, 3, 4]);
    expect([...queue.take(3)]).toEqual([1, 2, 3]);
    expect([...queue.take(3)]).toEqual([4, 5, 6]);
    expect(queue.available).toBe(0);
  });

  it("reports how many bytes a string needs before it can be read", () => {
    const queue = queueOf([5, 0x68]);
    expect(queue.tryBytes(100, "A string")).toBeUndefined();
    expect(queue.wanted).toBe(6);
    expect(queue.available).toBe(2);
    queue.push(Buffer.from("ello"));
    expect(queue.tryBytes(100, "A string")?.toString()).toBe("hello");
  });

  it("refuses a string longer than the limit before waiting for it", () => {
    const queue = queueOf([0x80, 0x08]);
    expect(() => queue.tryBytes(1000, "A string")).toThrow(
      "A string of 1024 bytes exceeds the limit of 1000",
    );
  });
});

describe("generator readers", () => {
  it("resume when the bytes they wait for arrive", () => {
    const queue = new ByteQueue();
    const src = new RawSource(queue);
    const parser = (function* () {
      const n = yield* readVarUInt(src);
      const s = yield* readString(src, 100, "text");
      return { n, s };
    })();
    const bytes = new Writer().varUInt(1000).string("héllo").toBuffer();
    let step = parser.next();
    const wanted: number[] = [];
    for (const byte of bytes) {
      expect(step.done).toBe(false);
      if (!step.done) wanted.push(step.value);
      queue.push(Buffer.from([byte]));
      if (!step.done && queue.available >= step.value) step = parser.next();
    }
    expect(step).toEqual({ done: true, value: { n: 1000, s: "héllo" } });
    // After the length byte, the reader asks for the whole string at once.
    expect(wanted).toContain(7);
  });

  it("parseComplete fails when input is missing", () => {
    const queue = queueOf([3, 0x61]);
    expect(() => parseComplete(readString(new RawSource(queue), 100, "text"), queue)).toThrow(RangeError);
  });
});

describe("Writer", () => {
  it("writes fixed-width little-endian numbers and strings", () => {
    const bytes = new Writer(1)
      .uint8(0x1ff)
      .int32(-2)
      .int64(-3n)
      .string("é")
      .bytes(Buffer.from([9]))
      .toBuffer();
    expect(bytes.toString("hex")).toBe("ff" + "feffffff" + "fdffffffffffffff" + "02c3a9" + "09");
  });
});
