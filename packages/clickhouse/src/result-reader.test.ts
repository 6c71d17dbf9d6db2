import { describe, expect, it } from "vitest";
import { ResultReader } from "./result-reader.js";

const header = '["id", "name"]\n["UInt64", "String"]\n';
const row = (id: number) => `["${id}", "n${id}"]\n`;

function feed(reader: ResultReader, text: string, chunkSize = 7): boolean {
  const bytes = Buffer.from(text, "utf8");
  for (let i = 0; i < bytes.length; i += chunkSize) {
    if (reader.push(bytes.subarray(i, i + chunkSize))) return true;
  }
  reader.finish();
  return false;
}

describe("ResultReader", () => {
  it("reads names, types and rows across arbitrary chunk boundaries", () => {
    const reader = new ResultReader({});
    expect(feed(reader, header + row(1) + row(2), 3)).toBe(false);
    expect(reader.names).toEqual(["id", "name"]);
    expect(reader.types).toEqual(["UInt64", "String"]);
    expect(reader.rows).toEqual([
      { id: "1", name: "n1" },
      { id: "2", name: "n2" },
    ]);
    expect(reader.truncated).toBeUndefined();
  });

  it("stops exactly at the row cap and marks the result truncated", () => {
    const reader = new ResultReader({ maxRows: 2 });
    expect(feed(reader, header + row(1) + row(2) + row(3) + row(4))).toBe(true);
    expect(reader.rows.map((r) => r.id)).toEqual(["1", "2"]);
    expect(reader.truncated).toEqual({ reason: "rows", limit: 2 });
  });

  it("does not mark a result that has exactly maxRows rows", () => {
    const reader = new ResultReader({ maxRows: 2 });
    expect(feed(reader, header + row(1) + row(2))).toBe(false);
    expect(reader.truncated).toBeUndefined();
  });

  it("stops before the row that would exceed the byte cap", () => {
    const lineBytes = Buffer.byteLength(row(1));
    const reader = new ResultReader({ maxBytes: lineBytes * 2 + lineBytes - 1 });
    expect(feed(reader, header + row(1) + row(2) + row(3))).toBe(true);
    expect(reader.rows).toHaveLength(2);
    expect(reader.bytes).toBe(lineBytes * 2);
    expect(reader.truncated).toEqual({ reason: "bytes", limit: lineBytes * 3 - 1 });
  });

  it("counts bytes in UTF-8", () => {
    const text = '["s"]\n["String"]\n["é😀"]\n';
    const reader = new ResultReader({});
    feed(reader, text);
    expect(reader.bytes).toBe(Buffer.byteLength('["é😀"]\n'));
  });

  it("collects an exception written into the stream (25.11+ tagged block)", () => {
    const reader = new ResultReader({});
    const exception =
      "\r\n__exception__\r\nabcdefgh\r\nCode: 395. DB::Exception: boom: while executing. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 26.7.2.1)\n120 abcdefgh\r\n__exception__\r\n";
    feed(reader, header + row(1) + exception);
    expect(reader.rows).toHaveLength(1);
    expect(reader.errorText).toContain("Code: 395. DB::Exception: boom");
  });

  it("collects an exception appended as plain text (older servers)", () => {
    const reader = new ResultReader({});
    feed(
      reader,
      `${header + row(1)}Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED)\n`,
    );
    expect(reader.errorText).toContain("MEMORY_LIMIT_EXCEEDED");
  });

  it("converts 64-bit and wider numbers to strings by column type, as unquoted by readonly=1 users", () => {
    const reader = new ResultReader({});
    feed(
      reader,
      '["a", "b", "c", "d", "e"]\n["UInt64", "Nullable(Int128)", "Array(Int64)", "Decimal(18, 4)", "UInt32"]\n' +
        "[1, null, [1, 12345678901234567890], -0.0001, 7]\n",
    );
    expect(reader.rows[0]).toEqual({ a: "1", b: null, c: ["1", "12345678901234567890"], d: "-0.0001", e: 7 });
  });
});
