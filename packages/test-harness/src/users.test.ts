import { ClickHouseError, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { afterAll, describe, expect, it } from "vitest";
import { type Cred, FIXTURE_TABLES, harness, useTestDatabase } from "./index.js";

const info = harness();
const clients: { close(): Promise<void> }[] = [];
const clientFor = (cred: Cred, database?: string) => {
  const client = createClient({
    url: info.url,
    username: cred.username,
    password: cred.password,
    database,
    log: { level: ClickHouseLogLevel.OFF },
  });
  clients.push(client);
  return client;
};
afterAll(() => Promise.all(clients.map((client) => client.close())));

async function failure(promise: Promise<unknown>): Promise<ClickHouseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClickHouseError);
  return error as ClickHouseError;
}

describe("@clickhouse/client against the embedded ClickHouse", () => {
  it("queries, inserts and binds query parameters", async () => {
    await using db = await useTestDatabase();
    await db.client.command({
      query: "CREATE TABLE events (id UInt64, name String) ENGINE = MergeTree ORDER BY id",
    });
    await db.client.insert({
      table: "events",
      values: [
        { id: "9007199254740993", name: "big" },
        { id: 1, name: "small" },
      ],
      format: "JSONEachRow",
    });
    const result = await db.client.query({
      query: "SELECT toString(id) AS id, name FROM events WHERE name = {name: String} ORDER BY id",
      query_params: { name: "big" },
      format: "JSONEachRow",
    });
    expect(await result.json()).toEqual([{ id: "9007199254740993", name: "big" }]);
  });

  it("raises ClickHouseError with code and type", async () => {
    const error = await failure(
      clientFor(info.users.password).query({ query: "SELECT * FROM no_such_db.t" }),
    );
    expect(error.code).toBe("81");
    expect(error.type).toBe("UNKNOWN_DATABASE");
  });
});

describe("harness users", () => {
  it("lets the password user read and write", async () => {
    await using db = await useTestDatabase();
    await db.client.command({ query: "CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x" });
    const client = clientFor(info.users.password, db.name);
    await client.insert({ table: "t", values: [{ x: 5 }], format: "JSONEachRow" });
    const rows = await (await client.query({ query: "SELECT x FROM t", format: "JSONEachRow" })).json();
    expect(rows).toEqual([{ x: 5 }]);
  });

  it("rejects a wrong password with code 516", async () => {
    const wrong = {
      username: info.users.password.username,
      password: `${info.users.password.password}-wrong`,
    };
    const error = await failure(clientFor(wrong).query({ query: "SELECT 1" }));
    expect(error.code).toBe("516");
    expect(error.message).not.toContain(wrong.password);
  });

  it("refuses writes and per-query settings for the readonly=1 user", async () => {
    const client = clientFor(info.users.readonly1);
    const rows = await (
      await client.query({
        query: `SELECT count() AS n FROM ${FIXTURE_TABLES.commented}`,
        format: "JSONEachRow",
      })
    ).json();
    expect(rows).toEqual([{ n: 4 }]);
    expect(
      (await failure(client.command({ query: `INSERT INTO ${FIXTURE_TABLES.commented} (id) VALUES (99)` })))
        .type,
    ).toBe("READONLY");
    const limited = client.query({ query: "SELECT 1", clickhouse_settings: { max_execution_time: 5 } });
    expect((await failure(limited)).code).toBe("164");
  });

  it("refuses writes but allows per-query settings for the readonly=2 user", async () => {
    const client = clientFor(info.users.readonly2);
    const limited = await client.query({
      query: "SELECT getSetting('max_execution_time') AS v",
      clickhouse_settings: { max_execution_time: 5 },
      format: "JSONEachRow",
    });
    expect(await limited.json()).toEqual([{ v: 5 }]);
    expect(
      (await failure(client.command({ query: `INSERT INTO ${FIXTURE_TABLES.commented} (id) VALUES (99)` })))
        .code,
    ).toBe("164");
  });

  it("confines the one-database user to its database", async () => {
    const { oneDb } = info.users;
    const client = clientFor(oneDb);
    const own = await client.query({
      query: `SELECT count() AS n FROM ${oneDb.database}.items`,
      format: "JSONEachRow",
    });
    expect(await own.json()).toEqual([{ n: 2 }]);
    expect((await failure(client.query({ query: `SELECT * FROM ${FIXTURE_TABLES.commented}` }))).type).toBe(
      "ACCESS_DENIED",
    );
    const databases = await (await client.query({ query: "SHOW DATABASES", format: "JSONEachRow" })).json<{
      name: string;
    }>();
    expect(databases.map((row) => row.name)).not.toContain(info.fixturesDatabase);
  });
});
