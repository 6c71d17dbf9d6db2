// What ResultReader buffers of a line still arriving: never a row beyond the byte cap, never a
// header or error text beyond their bounds; and a row that fits is never cut early.
import { describe, expect, it } from "vitest";
import { RowCollector, type RowLimits, rowBytes, UNCAPPED_MAX_BYTES } from "../../client/row-collector.js";
import { MAX_HEADER_LINE_BYTES, ResultReader } from "./result-reader.js";

const MiB = 1024 * 1024;

function reader(limits: RowLimits = {}, failed = false) {
  const rows = new RowCollector(limits);
  return { rows, reader: new ResultReader(rows, failed) };
}

/** Feeds `text` in chunks; returns whether the reader asked to stop. */
function feed(r: ResultReader, text: string | Buffer, chunkSize = 7): boolean {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8");
  for (let i = 0; i < bytes.length; i += chunkSize) {
    if (r.push(bytes.subarray(i, i + chunkSize))) return true;
  }
  r.finish();
  return false;
}

/** Feeds `count` chunks of `chunk` after `head`; returns how many were taken before the reader stopped. */
function feedEndless(r: ResultReader, head: string, chunk: Buffer, count: number): number {
  if (r.push(Buffer.from(head))) return 0;
  for (let i = 1; i <= count; i++) if (r.push(chunk)) return i;
  return count;
}

const FILLER = Buffer.alloc(64 * 1024, 0x61);

describe("a row still arriving", () => {
  it("is cut as soon as it cannot fit, before it is complete, with the collector's reason", () => {
    const { rows, reader: r } = reader({ maxBytes: MiB });
    const header = '["s"]\n["String"]\n';
    const first = '["small"]\n';
    const taken = feedEndless(r, `${header}${first}["`, FILLER, 1000);
    expect(taken).toBeLessThanOrEqual(MiB / FILLER.length + 1);
    expect(r.maxPartialBytes).toBeLessThanOrEqual(MiB + FILLER.length);
    expect(rows.rows).toEqual([{ s: "small" }]);
    expect(rows.truncated).toEqual({ reason: "bytes", limit: MiB });
    r.finish(); // nothing more happens after a cut
    expect(r.errorText).toBeUndefined();
  });

  it("reports the row cap when that is what the next row meets first", () => {
    const { rows, reader: r } = reader({ maxRows: 1, maxBytes: 1000 });
    feedEndless(r, '["s"]\n["String"]\n["a"]\n["', FILLER, 10);
    expect(rows.truncated).toEqual({ reason: "rows", limit: 1 });
  });

  it("without a byte cap, is cut at UNCAPPED_MAX_BYTES", () => {
    const { rows } = reader();
    expect(rows.remainingBytes).toBe(UNCAPPED_MAX_BYTES);
    const r = new ResultReader(rows);
    const taken = feedEndless(r, '["s"]\n["String"]\n["', FILLER, UNCAPPED_MAX_BYTES / FILLER.length + 10);
    expect(taken).toBeLessThanOrEqual(UNCAPPED_MAX_BYTES / FILLER.length + 1);
    expect(rows.truncated).toEqual({ reason: "bytes", limit: UNCAPPED_MAX_BYTES });
  });

  // ClickHouse's text can be up to twice the compact JSON the cap counts: such rows must not be cut early.
  const wide: [string, string, (n: number) => string, (n: number) => unknown[]][] = [
    ["slashes", '["s"]\n["String"]', (n) => `["${"\\/".repeat(n)}"]`, (n) => ["/".repeat(n)]],
    ["U+2028", '["s"]\n["String"]', (n) => `["${"\\u2028".repeat(n)}"]`, (n) => ["\u2028".repeat(n)]],
    [
      "negative zeros and separators",
      '["z", "a"]\n["Float64", "Array(Float64)"]',
      (n) => `[-0, [${Array(n).fill("-0").join(",")}]]`,
      (n) => [-0, Array(n).fill(-0)],
    ],
  ];

  it.each(wide)(
    "with %s, is kept when it fits exactly, even arriving byte by byte",
    (_, header, line, values) => {
      for (const n of [1, 2, 10, 1000]) {
        const size = rowBytes(values(n));
        for (const maxBytes of [size, size - 1]) {
          const { rows, reader: r } = reader({ maxBytes });
          feed(r, `${header}\n${line(n)}\n`, 1);
          expect({ n, maxBytes, kept: rows.rows.length }).toEqual({
            n,
            maxBytes,
            kept: maxBytes === size ? 1 : 0,
          });
        }
      }
    },
  );

  it("keeps exactly the rows the collector keeps, whatever the chunking (random rows)", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pieces = ["a", "\\/", "\\u2028", " ", "-", "é", "\\\\", '\\"', "\\n", "😀"];
    for (let trial = 0; trial < 40; trial++) {
      const lines: string[] = [];
      for (let i = 0; i < 30; i++) {
        let s = "";
        const length = Math.floor(random() * 200);
        for (let k = 0; k < length; k++) s += pieces[Math.floor(random() * pieces.length)];
        lines.push(`["${s}", ${random() < 0.5 ? "-0" : "12"}]`);
      }
      const body = `["s", "n"]\n["String", "Float64"]\n${lines.join("\n")}\n`;
      const complete = reader({});
      feed(complete.reader, body, body.length);
      const all = complete.rows.rows.map((row) => [row.s, row.n]);
      const maxBytes = Math.floor(random() * all.reduce((sum, row) => sum + rowBytes(row), 0));
      const { rows, reader: r } = reader({ maxBytes });
      feed(r, body, 1 + Math.floor(random() * 50));
      let used = 0;
      let expected = 0;
      for (const row of all) {
        if (used + rowBytes(row) > maxBytes) break;
        used += rowBytes(row);
        expected++;
      }
      expect(rows.rows.length).toBe(expected);
    }
  });
});

describe("header lines and error text", () => {
  it("a header line without end stops the reader at MAX_HEADER_LINE_BYTES with a failure", () => {
    const { reader: r } = reader({ maxBytes: MiB });
    const taken = feedEndless(r, '["', FILLER, MAX_HEADER_LINE_BYTES / FILLER.length + 10);
    // The opening bracket and 256 chunks take it past 16 MiB.
    expect(taken).toBe(MAX_HEADER_LINE_BYTES / FILLER.length);
    expect(r.failure?.code).toBe("QUERY_FAILED");
    expect(r.maxPartialBytes).toBeLessThanOrEqual(MAX_HEADER_LINE_BYTES + FILLER.length);
  });

  it("an error answer without end is kept up to 64 KiB", () => {
    const { reader: r } = reader({}, true);
    expect(feedEndless(r, "Code: 241. DB::Exception: ", FILLER, 100)).toBe(1);
    expect(r.errorText?.length).toBe(64 * 1024);
  });

  it("text that is not a row, without end, is kept as error text up to 64 KiB", () => {
    const { rows, reader: r } = reader({ maxBytes: 100 * MiB });
    expect(feedEndless(r, '["s"]\n["String"]\nCode: 241. DB::Exception: ', FILLER, 100)).toBe(1);
    expect(r.errorText?.length).toBe(64 * 1024);
    expect(rows.truncated).toBeUndefined();
  });

  it("an exception arriving line by line is still read whole", () => {
    const { reader: r } = reader({ maxBytes: 10 });
    const exception =
      "\r\n__exception__\r\nabcdefgh\r\nCode: 395. DB::Exception: boom. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 26.7.2.1)\n120 abcdefgh\r\n__exception__\r\n";
    feed(r, `["s"]\n["String"]\n${exception}`, 3);
    expect(r.errorText).toContain("Code: 395. DB::Exception: boom");
  });
});

describe("RowCollector.cutOversizeRow", () => {
  it("cuts by bytes, or by rows when the row cap is already reached", () => {
    const bytes = new RowCollector({ maxBytes: 10 });
    expect(bytes.cutOversizeRow()).toBe(true);
    expect(bytes.truncated).toEqual({ reason: "bytes", limit: 10 });
    const rows = new RowCollector({ maxRows: 1, maxBytes: 100 });
    rows.setColumns([{ name: "a", type: "UInt8" }]);
    rows.push([1]);
    rows.cutOversizeRow();
    expect(rows.truncated).toEqual({ reason: "rows", limit: 1 });
    expect(rows.remainingBytes).toBe(100 - rowBytes([1]));
  });
});
