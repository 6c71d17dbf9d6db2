// searchSchema on a ClickHouse of this file's own (10,000 extra tables would slow down and
// confuse every other test that lists the shared one's catalog), over both protocols: ranking,
// paging, grants, hostile text, and a catalog of 10,000 tables.

import { createClient } from "@clickhouse/client";
import { type EmbeddedClickHouse, startPrivateClickHouse } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionClaims } from "../connection/claims.js";
import type { Protocol } from "../connection/ports.js";
import {
  type ClickHousePool,
  createClickHousePool,
  DatabaseError,
  type SchemaHit,
  type SchemaSearchOptions,
} from "../index.js";

const PASSWORD = "search-schema-test-password";
const USERS = {
  admin: { name: "admin", password: PASSWORD },
  scoped: { name: "scoped", password: PASSWORD, databases: ["shop"] },
  ro: { name: "ro", password: PASSWORD, profile: "readonly" as const },
};
type User = keyof typeof USERS;

const MANY_TABLES = 10_000;

let server: EmbeddedClickHouse;
let pool: ClickHousePool;
/** What the 10,000-table catalog cost, for the record (printed, not asserted). */
const timings: Record<string, number> = {};

async function run(statements: readonly string[], concurrency = 16): Promise<void> {
  const admin = createClient({
    url: server.url,
    username: "admin",
    password: PASSWORD,
    max_open_connections: concurrency,
  });
  try {
    let next = 0;
    const worker = async () => {
      while (next < statements.length) {
        const query = statements[next++] as string;
        await admin.command({ query });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await admin.close();
  }
}

beforeAll(async () => {
  server = await startPrivateClickHouse({ users: Object.values(USERS) });
  pool = createClickHousePool();
  await run(
    [
      "CREATE DATABASE shop",
      "CREATE DATABASE hidden",
      // Names and comments chosen so that one search for "customer" meets every kind of match.
      "CREATE TABLE shop.customer (id UInt64, name String COMMENT 'full name') ENGINE = MergeTree ORDER BY id COMMENT 'one row per customer account'",
      "CREATE TABLE shop.customers_archive (id UInt64, closed_at DateTime) ENGINE = MergeTree ORDER BY id",
      "CREATE TABLE shop.vip_customer_notes (id UInt64, note String) ENGINE = MergeTree ORDER BY id",
      "CREATE TABLE shop.orders (order_id UInt64, customer UInt64 COMMENT 'who ordered', customer_id UInt64, shipping_customer_ref String, created_at DateTime COMMENT 'when the Customer placed it') ENGINE = MergeTree ORDER BY order_id",
      "CREATE TABLE shop.accounts (id UInt64) ENGINE = MergeTree ORDER BY id COMMENT 'billing accounts of each customer'",
      "CREATE TABLE shop.`we'ird%_name` (`col%_x` String COMMENT 'it''s 100% odd') ENGINE = Memory",
      "CREATE TABLE hidden.customer_secrets (customer_id UInt64) ENGINE = MergeTree ORDER BY customer_id",
      // A database without metadata on disk: the fastest to fill with tables.
      "CREATE DATABASE many ENGINE = Memory",
    ],
    1,
  );
  const started = performance.now();
  await run(
    Array.from(
      { length: MANY_TABLES },
      (_, i) =>
        `CREATE TABLE many.events_${String(i).padStart(5, "0")} (id UInt64, event_time DateTime COMMENT 'when it happened', payload_${i} String) ENGINE = Memory COMMENT 'event table number ${i}'`,
    ),
  );
  timings.create10kTablesMs = Math.round(performance.now() - started);
}, 300_000);

afterAll(async () => {
  await pool?.close();
  await server?.stop();
  console.log(`search_schema catalog timings: ${JSON.stringify(timings)}`);
});

function claimsOf(user: User, protocol: Protocol): ConnectionClaims {
  return {
    host: "127.0.0.1",
    port: protocol === "tcp" ? server.tcpPort : server.httpPort,
    protocol,
    username: USERS[user].name,
    password: USERS[user].password,
  };
}

async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DatabaseError)) throw new Error(`expected a DatabaseError, got ${String(error)}`);
  return error;
}

const brief = (hit: SchemaHit) =>
  `${hit.match} ${hit.kind} ${hit.database}.${hit.table}${hit.column === null ? "" : `.${hit.column}`}`;

describe.each<Protocol>(["http", "tcp"])("searchSchema over %s", (protocol) => {
  const search = (text: string, options: SchemaSearchOptions = {}, user: User = "admin") =>
    pool.withClient(claimsOf(user, protocol), (client) => client.searchSchema(text, options));

  it("ranks exact names, prefixes, substrings, then comments; tables before columns", async () => {
    const page = await search("CUSTOMER", { database: "shop" });
    expect(page.hits.map(brief)).toEqual([
      "exact_name table shop.customer",
      "exact_name column shop.orders.customer",
      "name_prefix table shop.customers_archive",
      "name_prefix column shop.orders.customer_id",
      "name_substring table shop.vip_customer_notes",
      "name_substring column shop.orders.shipping_customer_ref",
      "comment table shop.accounts",
      "comment column shop.orders.created_at",
    ]);
    expect(page.nextCursor).toBeUndefined();
    expect(page.hits[0]).toEqual({
      kind: "table",
      database: "shop",
      table: "customer",
      column: null,
      type: "MergeTree",
      comment: "one row per customer account",
      match: "exact_name",
    });
    expect(page.hits[1]).toMatchObject({ type: "UInt64", comment: "who ordered" });
  });

  it("pages with a cursor through the same hits, in the same order", async () => {
    const all = await search("customer", { database: "shop", pageSize: 500 });
    const paged: SchemaHit[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await search("customer", { database: "shop", pageSize: 3, ...(cursor && { cursor }) });
      paged.push(...page.hits);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(paged).toEqual(all.hits);
    // A cursor belongs to its search.
    const first = await search("customer", { database: "shop", pageSize: 3 });
    for (const other of [
      { text: "order", database: "shop" },
      { text: "customer", database: "hidden" },
    ]) {
      const error = await failure(
        search(other.text, { database: other.database, cursor: first.nextCursor! }),
      );
      expect(error.code).toBe("INVALID_ARGUMENT");
    }
    expect((await failure(search("customer", { cursor: "not-a-cursor" }))).code).toBe("INVALID_ARGUMENT");
  });

  it("shows only what the user's grants let it see", async () => {
    const admin = await search("customer_secrets");
    expect(admin.hits.map(brief)).toEqual(["exact_name table hidden.customer_secrets"]);
    const scoped = await search("customer", {}, "scoped");
    expect(scoped.hits.length).toBeGreaterThan(0);
    expect(scoped.hits.every((hit) => hit.database === "shop")).toBe(true);
    expect((await search("customer_secrets", {}, "scoped")).hits).toEqual([]);
    expect((await search("events_00001", {}, "scoped")).hits).toEqual([]);
  });

  it("leaves out the system databases unless asked for one", async () => {
    expect((await search("query_log")).hits.filter((hit) => hit.database === "system")).toEqual([]);
    const system = await search("processes", { database: "system" });
    expect(system.hits[0]).toMatchObject({ kind: "table", database: "system", table: "processes" });
  });

  it("takes the text literally (quotes, LIKE wildcards) and refuses bad arguments", async () => {
    expect((await search("%_")).hits.map(brief)).toEqual([
      "name_substring table shop.we'ird%_name",
      "name_substring column shop.we'ird%_name.col%_x",
    ]);
    expect((await search("100% odd")).hits.map(brief)).toEqual(["comment column shop.we'ird%_name.col%_x"]);
    expect((await search("' OR 1=1 --")).hits).toEqual([]);
    for (const [text, options] of [
      ["", {}],
      ["x".repeat(257), {}],
      ["x", { pageSize: 0 }],
      ["x", { pageSize: 501 }],
    ] as const) {
      expect((await failure(search(text, options))).code).toBe("INVALID_ARGUMENT");
    }
  });

  it("works for users whose profile is readonly=1", async () => {
    const page = await search("customer", { database: "shop", pageSize: 2 }, "ro");
    expect(page.hits.map(brief)).toEqual([
      "exact_name table shop.customer",
      "exact_name column shop.orders.customer",
    ]);
  });

  it("searches 10,000 tables in one query per page, and pages through them", async () => {
    let started = performance.now();
    const exact = await search("payload_4242");
    timings[`${protocol}.exactColumnMs`] = Math.round(performance.now() - started);
    expect(exact.hits.map(brief)).toEqual(["exact_name column many.events_04242.payload_4242"]);

    started = performance.now();
    const prefix = await search("events_0999", { pageSize: 20 });
    timings[`${protocol}.prefixTablesMs`] = Math.round(performance.now() - started);
    expect(prefix.hits.map(brief)).toEqual(
      Array.from({ length: 10 }, (_, i) => `name_prefix table many.events_0999${i}`),
    );

    // 10,000 columns with the same name: 200 pages of 50 would be the whole lot; read three.
    started = performance.now();
    const first = await search("event_time");
    timings[`${protocol}.firstOf10000Ms`] = Math.round(performance.now() - started);
    expect(first.hits).toHaveLength(50);
    expect(first.hits[0]).toMatchObject({ match: "exact_name", table: "events_00000", column: "event_time" });
    const second = await search("event_time", { cursor: first.nextCursor! });
    const third = await search("event_time", { cursor: second.nextCursor! });
    expect(second.hits[0]?.table).toBe("events_00050");
    expect(third.hits[0]?.table).toBe("events_00100");
    expect(third.nextCursor).toBeDefined();

    // A comment match across the catalog, after every name match.
    const comment = await search("number 9999");
    expect(comment.hits.map(brief)).toEqual(["comment table many.events_09999"]);
  });
});
