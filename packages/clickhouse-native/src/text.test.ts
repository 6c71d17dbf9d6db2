import { describe, expect, it } from "vitest";
import {
  formatDate,
  formatDecimal,
  formatIPv4,
  formatIPv6,
  formatUuid,
  shortestFloat32,
  TimeZoneFormatter,
} from "./text.js";

describe("formatDate", () => {
  it.each([
    [0, "1970-01-01"],
    [-1, "1969-12-31"],
    [-25_567, "1900-01-01"],
    [-25_509, "1900-02-28"],
    [-25_508, "1900-03-01"], // 1900 is not a leap year
    [11_016, "2000-02-29"],
    [19_782, "2024-02-29"],
    [120_529, "2299-12-31"],
    [65_535, "2149-06-06"],
  ])("day %i is %s", (days, text) => {
    expect(formatDate(days)).toBe(text);
  });
});

describe("TimeZoneFormatter", () => {
  it("formats UTC without Intl", () => {
    expect(new TimeZoneFormatter("UTC").format(1_700_000_000)).toBe("2023-11-14 22:13:20");
    expect(new TimeZoneFormatter("Etc/UTC").format(-1)).toBe("1969-12-31 23:59:59");
  });

  it("follows offset changes inside a day", () => {
    const newYork = new TimeZoneFormatter("America/New_York");
    // 2020-03-08: clocks jump from 02:00 EST to 03:00 EDT (07:00 UTC).
    expect(newYork.format(Date.UTC(2020, 2, 8, 6, 59, 59) / 1000)).toBe("2020-03-08 01:59:59");
    expect(newYork.format(Date.UTC(2020, 2, 8, 7, 0, 0) / 1000)).toBe("2020-03-08 03:00:00");
    expect(newYork.format(Date.UTC(2020, 6, 1, 12) / 1000)).toBe("2020-07-01 08:00:00");
  });

  it("handles half-hour offsets and zones east of UTC", () => {
    expect(new TimeZoneFormatter("Asia/Kolkata").format(0)).toBe("1970-01-01 05:30:00");
    expect(new TimeZoneFormatter("Asia/Tokyo").format(2_147_483_647)).toBe("2038-01-19 12:14:07");
  });

  it("refuses an unknown zone", () => {
    expect(() => new TimeZoneFormatter("Mars/Olympus_Mons")).toThrow(RangeError);
  });
});

describe("formatDecimal", () => {
  it.each([
    [0n, 4, "0"],
    [15n, 1, "1.5"],
    [-1n, 4, "-0.0001"],
    [1_000_000n, 3, "1000"],
    [123_450n, 2, "1234.5"],
    [-123n, 0, "-123"],
  ])("%s with scale %i is %s", (value, scale, text) => {
    expect(formatDecimal(value, scale)).toBe(text);
  });
});

describe("shortestFloat32", () => {
  it("gives the shortest decimal that reads back as the same float", () => {
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(Math.fround(1 / 3))).toBe(0.33333334);
    expect(shortestFloat32(Math.fround(3.4028235e38))).toBe(3.4028235e38);
    expect(shortestFloat32(1.5)).toBe(1.5);
    expect(Object.is(shortestFloat32(-0), -0)).toBe(true);
  });
});

describe("addresses", () => {
  it("formats UUIDs stored as two little-endian halves", () => {
    const bytes = Buffer.from("efcdab8967452301" + "efcdab8967452301", "hex");
    expect(formatUuid(bytes, 0)).toBe("01234567-89ab-cdef-0123-456789abcdef");
  });

  it("formats IPv4", () => {
    expect(formatIPv4(0xc0a80001)).toBe("192.168.0.1");
    expect(formatIPv4(0xffffffff)).toBe("255.255.255.255");
  });

  it.each([
    ["00000000000000000000000000000000", "::"],
    ["00000000000000000000000000000001", "::1"],
    ["00000000000000000000ffff7f000001", "::ffff:127.0.0.1"],
    ["00000000000000000000000001020304", "::1.2.3.4"],
    ["20010db8000000000000ff0000428329", "2001:db8::ff00:42:8329"],
    ["20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"],
    ["00010000000000010000000000000000", "1:0:0:1::"],
    ["fe800000000000000001000000000000", "fe80::1:0:0:0"],
  ])("formats IPv6 %s as %s", (hex, text) => {
    expect(formatIPv6(Buffer.from(hex, "hex"), 0)).toBe(text);
  });
});
