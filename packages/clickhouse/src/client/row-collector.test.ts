import { describe, expect, it } from "vitest";
import { RowCollector, rowBytes } from "./row-collector.js";

describe("rowBytes", () => {
  it("counts the values as one compact JSON array in UTF-8, plus a newline", () => {
    expect(rowBytes(["1", "a/b", 0.5, null, [1, 2], { k: true }])).toBe(
      Buffer.byteLength('["1","a/b",0.5,null,[1,2],{"k":true}]\n'),
    );
    expect(rowBytes(["é😀"])).toBe(Buffer.byteLength('["é😀"]') + 1);
  });
});

describe("RowCollector", () => {
  const columns = [
    { name: "id", type: "UInt64" },
    { name: "__proto__", type: "String" },
  ];

  it("builds row objects by column name, a column named __proto__ included", () => {
    const rows = new RowCollector({});
    rows.setColumns(columns);
    expect(rows.push(["1", "x"])).toBe(false);
    expect(rows.rows).toEqual([JSON.parse('{"id":"1","__proto__":"x"}')]);
    expect(Object.keys(rows.rows[0]!)).toEqual(["id", "__proto__"]);
  });

  it("stops at the row cap only when one more row arrives", () => {
    const rows = new RowCollector({ maxRows: 2 });
    rows.setColumns(columns);
    expect(rows.push(["1", "a"])).toBe(false);
    expect(rows.push(["2", "b"])).toBe(false);
    expect(rows.truncated).toBeUndefined();
    expect(rows.push(["3", "c"])).toBe(true);
    expect(rows.rows).toHaveLength(2);
    expect(rows.truncated).toEqual({ reason: "rows", limit: 2 });
  });

  it("keeps the rows that fit the byte cap exactly and refuses the one that would exceed it", () => {
    const size = rowBytes(["1", "a"]);
    const rows = new RowCollector({ maxBytes: size * 2 });
    rows.setColumns(columns);
    expect(rows.push(["1", "a"])).toBe(false);
    expect(rows.push(["2", "b"])).toBe(false);
    expect(rows.bytes).toBe(size * 2);
    expect(rows.push(["3", "c"])).toBe(true);
    expect(rows.rows.map((row) => row.id)).toEqual(["1", "2"]);
    expect(rows.truncated).toEqual({ reason: "bytes", limit: size * 2 });
  });
});
