import { DATABASE_ERROR_CODES } from "@mcp/clickhouse";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toolFailure } from "../http/errors.js";
import { argumentsFromQuery } from "./call-arguments.js";
import { convertSchema, fitText } from "./json-schema.js";

describe("fitText", () => {
  it("keeps short text, cuts long text at a sentence, else at a word with an ellipsis", () => {
    expect(fitText("  Lists   the databases.\n", 300)).toBe("Lists the databases.");
    const sentences = `${"First sentence here. ".repeat(10)}And a last one that does not fit.`;
    const cut = fitText(sentences, 100);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut).toMatch(/here\.$/);
    const words = fitText("word ".repeat(100), 50);
    expect(words.length).toBeLessThanOrEqual(50);
    expect(words).toMatch(/word…$/);
  });
});

describe("convertSchema", () => {
  it("drops $schema, bounds descriptions to 700 characters and hoists $defs into components", () => {
    const node: z.ZodType = z.lazy(() => z.object({ name: z.string(), children: z.array(node) }));
    const { schema, components } = convertSchema(
      z.object({ tree: node, note: z.string().describe("x".repeat(1000)) }),
      "input",
      "t.input",
    );
    expect(schema.$schema).toBeUndefined();
    expect(schema.$defs).toBeUndefined();
    const text = JSON.stringify({ schema, components });
    expect(text).not.toContain("#/$defs/");
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(components).toHaveProperty([ref as string]);
    const note = (schema.properties as Record<string, { description: string }>).note;
    expect(note?.description.length).toBeLessThanOrEqual(700);
  });
});

describe("argumentsFromQuery", () => {
  const schema = convertSchema(
    z.object({
      text: z.string(),
      count: z.number().int().optional(),
      flag: z.boolean().optional(),
      maybe: z.number().nullable().optional(),
      settings: z.object({ a: z.number() }).optional(),
    }),
    "input",
    "q",
  ).schema;

  it("types each value by its argument's schema; what does not fit stays text for zod to refuse", () => {
    const params = new URLSearchParams({
      text: "42",
      count: "7",
      flag: "true",
      maybe: "null",
      settings: '{"a":1}',
      other: "x",
    });
    expect(argumentsFromQuery(params, schema)).toEqual({
      ok: true,
      args: { text: "42", count: 7, flag: true, maybe: null, settings: { a: 1 }, other: "x" },
    });
    expect(argumentsFromQuery(new URLSearchParams({ count: "7x", settings: "{" }), schema)).toEqual({
      ok: true,
      args: { count: "7x", settings: "{" },
    });
  });
});

describe("toolFailure", () => {
  it("has a status for every error code of @mcp/clickhouse: none falls through to 500", () => {
    for (const code of DATABASE_ERROR_CODES) {
      expect(toolFailure(code, "x").status, code).not.toBe(500);
    }
    expect(toolFailure("INTERNAL", "x").status).toBe(500);
    expect(toolFailure("QUERY_FAILED", "x").status).toBe(422);
  });
});
