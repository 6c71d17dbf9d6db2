import { describe, expect, it } from "vitest";
import { cityHash128 } from "./cityhash.js";
import { frameFixtures } from "./test-support/fixtures.js";

const frames = frameFixtures.frames.map((hex) => Buffer.from(hex, "hex"));

describe("cityHash128 (v1.0.2)", () => {
  it("matches the checksum of every frame the server compressed", () => {
    for (const frame of frames) {
      expect(cityHash128(frame.subarray(16)).toString("hex")).toBe(frame.subarray(0, 16).toString("hex"));
    }
  });

  it("covers every length branch of the hash with server frames", () => {
    const lengths = frames.map((frame) => frame.length - 16);
    // 8..15: seed from the input alone; 16..143: CityMurmur; >= 144: the 128-byte loop, with tails.
    expect(lengths.some((n) => n >= 8 && n < 16)).toBe(true);
    expect(lengths.some((n) => n >= 16 && n < 144)).toBe(true);
    expect(lengths.some((n) => n >= 144 && (n - 16) % 128 === 0)).toBe(true);
    expect(lengths.some((n) => n >= 144 && (n - 16) % 128 > 96)).toBe(true);
    expect(lengths.some((n) => n > 4096)).toBe(true);
  });

  it("changes when any byte changes", () => {
    const body = Buffer.from(frames.find((frame) => frame.length > 200)!.subarray(16));
    const original = cityHash128(body);
    for (const at of [0, 8, 15, 16, 100, body.length - 1]) {
      const copy = Buffer.from(body);
      copy[at]! ^= 0x40;
      expect(cityHash128(copy).equals(original)).toBe(false);
    }
  });

  it("accepts any Uint8Array and hashes short inputs", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(cityHash128(bytes).equals(cityHash128(Buffer.from([1, 2, 3])))).toBe(true);
    expect(cityHash128(new Uint8Array(0))).toHaveLength(16);
    expect(cityHash128(Buffer.from([1, 2, 3])).equals(cityHash128(Buffer.from([1, 2, 4])))).toBe(false);
  });
});
