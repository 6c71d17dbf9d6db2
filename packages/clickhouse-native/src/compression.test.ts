import { describe, expect, it } from "vitest";
import { ByteQueue } from "./byte-queue.js";
import { cityHash128 } from "./cityhash.js";
import { CompressedSource, decodeFrame, encodeFrame, METHOD_ZSTD } from "./compression.js";
import { NativeError } from "./errors.js";
import { RawSource } from "./reader.js";
import { frameFixtures } from "./test-support/fixtures.js";

const frames = frameFixtures.frames.map((hex) => Buffer.from(hex, "hex"));

describe("compressed frames", () => {
  it("decodes the server's frames and re-encodes them to frames that decode the same", () => {
    for (const frame of frames) {
      const raw = decodeFrame(frame, 1 << 20);
      expect(raw.length).toBe(frame.readUInt32LE(21));
      expect(decodeFrame(encodeFrame(raw), 1 << 20).equals(raw)).toBe(true);
      expect(decodeFrame(encodeFrame(raw, "none"), 1 << 20).equals(raw)).toBe(true);
    }
  });

  it("rejects a checksum mismatch, an unknown method and oversized frames", () => {
    const frame = Buffer.from(frames.find((f) => f.length > 100)!);
    const corrupt = Buffer.from(frame);
    corrupt[30]! ^= 1;
    expect(() => decodeFrame(corrupt, 1 << 20)).toThrow(/Checksum mismatch/);
    const zstd = Buffer.from(frame);
    zstd[16] = METHOD_ZSTD;
    cityHash128(zstd.subarray(16)).copy(zstd, 0);
    expect(() => decodeFrame(zstd, 1 << 20)).toThrow(/Unsupported compression method ZSTD/);
    expect(() => decodeFrame(frame, 50)).toThrow(/exceeds the limit of 50/);
    expect(() => decodeFrame(frame.subarray(0, 20), 1 << 20)).toThrow(NativeError);
  });

  it("streams several frames through a CompressedSource, resuming between partial frames", () => {
    const parts = [
      Buffer.from("first frame "),
      Buffer.from("second frame, longer than the first "),
      Buffer.from("end"),
    ];
    const wire = Buffer.concat(parts.map((part) => encodeFrame(part)));
    const raw = new ByteQueue();
    const source = new CompressedSource(new RawSource(raw), 1 << 20);
    const total = parts.reduce((n, part) => n + part.length, 0);
    const reader = source.fill(total);
    let step = reader.next();
    for (let at = 0; at < wire.length; at += 5) {
      expect(step.done).toBe(false);
      raw.push(wire.subarray(at, at + 5));
      while (!step.done && raw.available >= step.value) step = reader.next();
    }
    expect(step.done).toBe(true);
    expect(source.queue.take(total).toString()).toBe(Buffer.concat(parts).toString());
  });
});
