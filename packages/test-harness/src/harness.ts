import { randomBytes } from "node:crypto";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { inject } from "vitest";
import type { HarnessInfo } from "./info.js";

/** Connection info of the run's ClickHouse (from the harness's vitest globalSetup). */
export function harness(): HarnessInfo {
  const info = inject("clickhouse");
  if (!info) {
    throw new Error(
      'No embedded ClickHouse: add globalSetup: ["packages/test-harness/src/global-setup.ts"] to vitest.config.ts',
    );
  }
  return info;
}

/**
 * A new @clickhouse/client connected as the admin; close it when done. The client's own logging
 * is off: tests that expect errors should not print them.
 */
export function adminClient(options: { database?: string } = {}): ClickHouseClient {
  const info = harness();
  return createClient({
    url: info.url,
    username: info.users.admin.username,
    password: info.users.admin.password,
    log: { level: ClickHouseLogLevel.OFF },
    ...(options.database === undefined ? {} : { database: options.database }),
  });
}

export interface TestDatabase extends AsyncDisposable {
  /** A fresh database name, e.g. `test_3f9a0c1e2b`. */
  name: string;
  /** Admin client whose default database is `name`. */
  client: ClickHouseClient;
}

/** Creates a fresh database for one test file; `await using` drops it and closes the client. */
export async function useTestDatabase(): Promise<TestDatabase> {
  const name = `test_${randomBytes(5).toString("hex")}`;
  const admin = adminClient();
  try {
    await admin.command({ query: `CREATE DATABASE ${name}` });
  } finally {
    await admin.close();
  }
  const client = adminClient({ database: name });
  let disposed = false;
  return {
    name,
    client,
    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      try {
        await client.command({ query: `DROP DATABASE IF EXISTS ${name} SYNC` });
      } finally {
        await client.close();
      }
    },
  };
}

/** How many queries with this id the harness ClickHouse is running now. */
export async function runningQueries(queryId: string): Promise<number> {
  const admin = adminClient();
  try {
    const result = await admin.query({
      query: "SELECT count() AS n FROM system.processes WHERE query_id = {id:String}",
      query_params: { id: queryId },
      format: "JSONEachRow",
    });
    const rows = await result.json<{ n: string | number }>();
    return Number(rows[0]?.n);
  } finally {
    await admin.close();
  }
}
