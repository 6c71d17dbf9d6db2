import { FIXTURE_TABLES, harness } from "@mcp/test-harness";
import { describe, expect, it } from "vitest";
import { createPool } from "./pool.js";

const info = harness();
const options = {
  host: info.host,
  port: info.tcpPort,
  username: info.users.admin.username,
  password: info.users.admin.password,
};

describe("Pool against ClickHouse", () => {
  it("runs concurrent queries on at most maxConnections connections", async () => {
    await using pool = createPool({ ...options, maxConnections: 2 });
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        pool.withConnection(async (connection) => {
          peak = Math.max(peak, pool.stats.inUse);
          const result = await connection.query(`SELECT ${i} + sleepEachRow(0.05)`);
          return (await result.collect()).rows[0]?.[0];
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(pool.stats).toMatchObject({ open: 2, idle: 2, inUse: 0, waiting: 0 });
    await pool.ping();
  });

  it("drops a connection the server closed, and the next query gets a new one", async () => {
    await using pool = createPool({ ...options, maxConnections: 1 });
    await expect(
      pool.withConnection((connection) => connection.query("SELECT 1", { settings: { no_such_setting: 1 } })),
    ).rejects.toMatchObject({ clickhouseCode: 115 });
    expect(pool.stats.open).toBe(0);
    const rows = await pool.withConnection(
      async (connection) => (await (await connection.query("SELECT 8")).collect()).rows,
    );
    expect(rows).toEqual([[8]]);
  });

  it("cancels a result left unread when the connection is released, then reuses it", async () => {
    await using pool = createPool({ ...options, maxConnections: 1 });
    const first = await pool.withConnection(async (connection) => {
      const result = await connection.query(`SELECT id FROM ${FIXTURE_TABLES.big}`, {
        settings: { max_block_size: 1000 },
      });
      for await (const _ of result) break;
      await connection.query(`SELECT id FROM ${FIXTURE_TABLES.big}`);
      return connection;
    });
    const second = await pool.withConnection(async (connection) => {
      expect((await (await connection.query("SELECT 9")).collect()).rows).toEqual([[9]]);
      return connection;
    });
    expect(second).toBe(first);
  });
});
