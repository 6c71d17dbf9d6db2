import { ClickHouseError } from "@clickhouse/client";
import { describe, expect, it } from "vitest";
import { adminClient, BIG_TABLE_ROWS, FIXTURE_TABLES, harness, useTestDatabase } from "./index.js";

describe("harness", () => {
  it("serves a 26.x ClickHouse with the seeded fixtures", async () => {
    const info = harness();
    expect(info.version).toMatch(/^26\./);
    const client = adminClient();
    try {
      const result = await client.query({
        query: `SELECT toString(count()) AS n FROM ${FIXTURE_TABLES.big}`,
        format: "JSONEachRow",
      });
      expect(await result.json()).toEqual([{ n: String(BIG_TABLE_ROWS) }]);
    } finally {
      await client.close();
    }
  });

  it("gives each caller a fresh database and drops it at dispose", async () => {
    let name: string;
    {
      await using db = await useTestDatabase();
      name = db.name;
      await db.client.command({ query: "CREATE TABLE t (x UInt8) ENGINE = Memory" });
      await db.client.insert({ table: "t", values: [{ x: 1 }], format: "JSONEachRow" });
      const rows = await (await db.client.query({ query: "SELECT x FROM t", format: "JSONEachRow" })).json();
      expect(rows).toEqual([{ x: 1 }]);
    }
    const client = adminClient();
    try {
      const error = await client.query({ query: `SELECT 1 FROM ${name}.t` }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClickHouseError);
    } finally {
      await client.close();
    }
  });
});
