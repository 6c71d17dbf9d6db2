import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { lz4Compress, lz4CompressBound, lz4Decompress } from "./lz4.js";
import { frameFixtures } from "./test-support/fixtures.js";

const LZ4 = 0x82;

function lz4Frames() {
  return frameFixtures.frames
    .map((hex) => Buffer.from(hex, "hex"))
    .filter((frame) => frame[16] === LZ4)
    .map((frame) => ({ payload: frame.subarray(25), rawSize: frame.readUInt32LE(21) }));
}

describe("lz4Decompress", () => {
  it("decompresses the server's LZ4 blocks", () => {
    const frames = lz4Frames();
    expect(frames.length).toBeGreaterThan(10);
    for (const { payload, rawSize } of frames) {
      const out = lz4Decompress(payload, rawSize);
      expect(out.length).toBe(rawSize);
    }
  });

  it("restores repeated text the server compressed with back-references", () => {
    // "SELECT repeat('abc', 1000) FORMAT RawBLOB" answers "abc" x 1000.
    const match = lz4Frames().find(({ rawSize }) => rawSize === 3000);
    expect(match).toBeDefined();
    expect(match!.payload.length).toBeLessThan(100);
    expect(lz4Decompress(match!.payload, match!.rawSize).toString()).toBe("abc".repeat(1000));
  });

  it("rejects corrupt blocks instead of reading or writing out of bounds", () => {
    // literal length 1 'a', then a match with offset 0
    expect(() => lz4Decompress(Buffer.from([0x10, 0x61, 0x00, 0x00]), 10)).toThrow(
      /offset outside the output/,
    );
    // match offset 5 with only 1 byte of output so far
    expect(() => lz4Decompress(Buffer.from([0x10, 0x61, 0x05, 0x00]), 10)).toThrow(
      /offset outside the output/,
    );
    // literals beyond the input
    expect(() => lz4Decompress(Buffer.from([0x50, 0x61]), 5)).toThrow(/past the input/);
    // literals beyond the declared output size
    expect(() => lz4Decompress(Buffer.from([0x30, 0x61, 0x62, 0x63]), 2)).toThrow(/past the output/);
    // a match that writes past the output
    expect(() => lz4Decompress(Buffer.from([0x1f, 0x61, 0x01, 0x00, 0xff, 0x00]), 10)).toThrow(
      /past the output/,
    );
    // decompresses to less than announced
    expect(() => lz4Decompress(Buffer.from([0x10, 0x61]), 2)).toThrow(/instead of 2/);
    // truncated offset
    expect(() => lz4Decompress(Buffer.from([0x14, 0x61, 0x01]), 10)).toThrow(/truncated/);
  });
});

describe("lz4Compress", () => {
  const inputs: [string, Buffer][] = [
    ["empty", Buffer.alloc(0)],
    ["one byte", Buffer.from([7])],
    ["short text", Buffer.from("hello")],
    ["13 bytes", Buffer.from("abcdefghijklm")],
    ["repetitive", Buffer.from("abc".repeat(10_000))],
    ["zeros", Buffer.alloc(100_000)],
    ["random", randomBytes(70_000)],
    [
      "long literal runs then matches",
      Buffer.concat([randomBytes(300), Buffer.alloc(300), randomBytes(70_000), Buffer.alloc(5000)]),
    ],
  ];

  it.each(inputs)("round-trips %s", (_, input) => {
    const compressed = lz4Compress(input);
    expect(compressed.length).toBeLessThanOrEqual(lz4CompressBound(input.length));
    expect(lz4Decompress(compressed, input.length).equals(input)).toBe(true);
  });

  it("compresses repetitive input", () => {
    expect(lz4Compress(Buffer.from("abc".repeat(10_000))).length).toBeLessThan(200);
  });

  it("produces blocks the server's own output can be compared with", () => {
    for (const { payload, rawSize } of lz4Frames()) {
      const raw = lz4Decompress(payload, rawSize);
      expect(lz4Decompress(lz4Compress(raw), rawSize).equals(raw)).toBe(true);
    }
  });
});
