import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderMarkdownTable } from "./flags.js";

const README = new URL("../../README.md", import.meta.url);
const START = /<!-- options-table:start[^>]*-->\n/;
const END = "<!-- options-table:end -->";

/** Table cells, ignoring the column padding Biome's Markdown formatter adds. */
function cells(table: string): string[][] {
  return table
    .trim()
    .split("\n")
    .map((row) =>
      row
        .trim()
        .replace(/^\||\|$/g, "")
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/^-+$/, "---")),
    );
}

describe("README configuration table", () => {
  it("is the table generated from flags.ts", () => {
    const text = readFileSync(README, "utf8");
    const start = START.exec(text);
    const end = text.indexOf(END);
    expect(start, "README.md lacks the options-table markers").not.toBeNull();
    const from = start!.index + start![0].length;
    const current = text.slice(from, end);
    const expected = renderMarkdownTable();
    if (process.env.UPDATE_README === "1") {
      // Then run `npx biome format --write apps/server/README.md` to pad the columns again.
      writeFileSync(README, text.slice(0, from) + expected + text.slice(end));
      return;
    }
    expect(
      cells(current),
      "run UPDATE_README=1 npx vitest run apps/server/src/config/readme-table.test.ts, then biome format",
    ).toEqual(cells(expected));
  });
});
