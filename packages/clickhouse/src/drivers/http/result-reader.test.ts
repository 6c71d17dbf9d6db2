import { describe, expect, it } from "vitest";
import { RowCollector, type RowLimits, rowBytes } from "../../client/row-collector.js";
import { ResultReader } from "./result-reader.js";

const header = '["id", "name"]\n["UInt64", "String"]\n';
const row = (id: number) => `["${id}", "n${id}"]\n`;

function reader(limits: RowLimits = {}): ResultReader & { collected: RowCollector } {
  const rows = new RowCollector(limits);
  return Object.assign(new ResultReader(rows), { collected: rows });
}

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
    const r = reader();
    expect(feed(r, header + row(1) + row(2), 3)).toBe(false);
    expect(r.names).toEqual(["id", "name"]);
    expect(r.types).toEqual(["UInt64", "String"]);
    expect(r.collected.columns).toEqual([
      { name: "id", type: "UInt64" },
      { name: "name", type: "String" },
    ]);
    expect(r.collected.rows).toEqual([
      { id: "1", name: "n1" },
      { id: "2", name: "n2" },
    ]);
    expect(r.collected.truncated).toBeUndefined();
  });

  it("stops exactly at the row cap and marks the result truncated", () => {
    const r = reader({ maxRows: 2 });
    expect(feed(r, header + row(1) + row(2) + row(3) + row(4))).toBe(true);
    expect(r.collected.rows.map((x) => x.id)).toEqual(["1", "2"]);
    expect(r.collected.truncated).toEqual({ reason: "rows", limit: 2 });
  });

  it("does not mark a result that has exactly maxRows rows", () => {
    const r = reader({ maxRows: 2 });
    expect(feed(r, header + row(1) + row(2))).toBe(false);
    expect(r.collected.truncated).toBeUndefined();
  });

  it("stops before the row that would exceed the byte cap, counting each row as compact JSON plus a newline", () => {
    const size = rowBytes(["1", "n1"]);
    expect(size).toBe(Buffer.byteLength('["1","n1"]\n'));
    const r = reader({ maxBytes: size * 3 - 1 });
    expect(feed(r, header + row(1) + row(2) + row(3))).toBe(true);
    expect(r.collected.rows).toHaveLength(2);
    expect(r.collected.bytes).toBe(size * 2);
    expect(r.collected.truncated).toEqual({ reason: "bytes", limit: size * 3 - 1 });
  });

  it("counts bytes in UTF-8, of the values as converted", () => {
    const r = reader({ maxBytes: 1000 });
    feed(r, '["s", "n"]\n["String", "UInt64"]\n["é😀", 7]\n');
    expect(r.collected.bytes).toBe(Buffer.byteLength('["é😀","7"]\n'));
  });

  it("collects an exception written into the stream (25.11+ tagged block)", () => {
    const r = reader();
    const exception =
      "\r\n__exception__\r\nabcdefgh\r\nCode: 395. DB::Exception: boom: while executing. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 26.7.2.1)\n120 abcdefgh\r\n__exception__\r\n";
    feed(r, header + row(1) + exception);
    expect(r.collected.rows).toHaveLength(1);
    expect(r.errorText).toContain("Code: 395. DB::Exception: boom");
  });

  it("collects an exception appended as plain text (older servers)", () => {
    const r = reader();
    feed(r, `${header + row(1)}Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED)\n`);
    expect(r.errorText).toContain("MEMORY_LIMIT_EXCEEDED");
  });

  it("converts 64-bit and wider numbers to strings by column type, as unquoted by readonly=1 users", () => {
    const r = reader();
    feed(
      r,
      '["a", "b", "c", "d", "e"]\n["UInt64", "Nullable(Int128)", "Array(Int64)", "Decimal(18, 4)", "UInt32"]\n' +
        "[1, null, [1, 12345678901234567890], -0.0001, 7]\n",
    );
    expect(r.collected.rows[0]).toEqual({
      a: "1",
      b: null,
      c: ["1", "12345678901234567890"],
      d: "-0.0001",
      e: 7,
    });
  });
});
