// The catalog of operator-defined tools against the run's embedded ClickHouse, over both
// protocols: views with ClickHouse's own parameter lists, writable tables and their columns, and a
// parameterized view called through the read-only guard only when the caller names it.
import { harness, useTestDatabase } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
import type { Protocol } from "../connection/ports.js";
import { type ClickHousePool, createClickHousePool, DatabaseError, type PooledClient } from "../index.js";

let pool: ClickHousePool;
let db: Awaited<ReturnType<typeof useTestDatabase>>;

beforeAll(async () => {
  pool = createClickHousePool();
  db = await useTestDatabase();
  for (const statement of [
    "CREATE TABLE events (id UInt32 COMMENT 'event id', at DateTime DEFAULT now(), note Nullable(String)) ENGINE = MergeTree ORDER BY id",
    "CREATE VIEW by_id AS SELECT * FROM events WHERE id = {id:UInt32} AND note != {note : String} COMMENT 'plain'",
    "CREATE VIEW everything AS SELECT * FROM events",
    "CREATE MATERIALIZED VIEW mv ENGINE = MergeTree ORDER BY id AS SELECT id FROM events",
  ]) {
    await db.client.command({ query: statement });
  }
});

afterAll(async () => {
  await db?.[Symbol.asyncDispose]();
  await pool?.close();
});

function claims(protocol: Protocol): ConnectionClaims {
  const h = harness();
  return {
    host: h.host,
    port: protocol === "tcp" ? h.tcpPort : h.httpPort,
    protocol,
    ...h.users.admin,
  };
}

describe.each<Protocol>(["http", "tcp"])("over %s", (protocol) => {
  const as = <T>(fn: (client: PooledClient) => Promise<T>) => pool.withClient(claims(protocol), fn);

  it("lists views with their parameters and comments", async () => {
    const views = (await as((c) => c.listViews())).filter((v) => v.database === db.name);
    expect(views.map((v) => v.name)).toEqual(["by_id", "everything"]);
    const [byId, everything] = views;
    expect(byId?.comment).toBe("plain");
    expect(byId?.asSelect).toContain("{id:UInt32}");
    expect(byId?.parameters).toEqual(
      expect.arrayContaining([
        { name: "id", type: "UInt32" },
        { name: "note", type: "String" },
      ]),
    );
    expect(everything?.parameters).toEqual([]);
  });

  it("lists writable tables (not views) and their columns", async () => {
    const tables = (await as((c) => c.listWritableTables())).filter((t) => t.database === db.name);
    // The materialized view's inner table is a table of its own; the views are not listed.
    expect(tables.map((t) => t.name)).toContain("events");
    expect(tables.map((t) => t.name)).not.toContain("by_id");
    expect(tables.map((t) => t.name)).not.toContain("mv");
    const columns = await as((c) => c.listColumnsOf([{ database: db.name, name: "events" }]));
    expect(columns).toEqual([
      {
        database: db.name,
        table: "events",
        name: "id",
        type: "UInt32",
        defaultKind: "",
        comment: "event id",
      },
      {
        database: db.name,
        table: "events",
        name: "at",
        type: "DateTime",
        defaultKind: "DEFAULT",
        comment: "",
      },
      {
        database: db.name,
        table: "events",
        name: "note",
        type: "Nullable(String)",
        defaultKind: "",
        comment: "",
      },
    ]);
    expect(await as((c) => c.listColumnsOf([]))).toEqual([]);
  });

  it("calls a parameterized view read-only only when the caller names it as callable", async () => {
    const sql = `SELECT * FROM \`${db.name}\`.\`by_id\`(id = 1, note = 'x')`;
    const refused = await as((c) => c.executeQuery(sql, { readOnly: true })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DatabaseError);
    expect((refused as DatabaseError).code).toBe("READ_ONLY_VIOLATION");
    const result = await as((c) =>
      c.executeQuery(sql, { readOnly: true, callableViews: [{ database: db.name, name: "by_id" }] }),
    );
    expect(result.rowCount).toBe(0);
    // Another view of the same name elsewhere is still a table function call.
    const other = await as((c) =>
      c.executeQuery(sql.replace(db.name, "elsewhere"), {
        readOnly: true,
        callableViews: [{ database: db.name, name: "by_id" }],
      }),
    ).catch((e: unknown) => e);
    expect((other as DatabaseError).code).toBe("READ_ONLY_VIOLATION");
  });
});
