// vitest globalSetup: one embedded ClickHouse for the whole run, seeded once, shared by every
// test file through `inject("clickhouse")` (see `harness()`).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { createClient } from "@clickhouse/client";
import { type EmbeddedClickHouse, start } from "@mcp/embedded-clickhouse";
import type { TestProject } from "vitest/node";
import { FIXTURE_STATEMENTS } from "./fixtures.js";
import { FIXTURES_DATABASE, type HarnessInfo, type HarnessUsers, ONE_DB_DATABASE } from "./info.js";

const password = () => randomBytes(12).toString("base64url");

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const users: HarnessUsers = {
    admin: { username: "admin", password: password() },
    password: { username: "password_user", password: password() },
    readonly1: { username: "readonly1_user", password: password() },
    readonly2: { username: "readonly2_user", password: password() },
    oneDb: { username: "one_db_user", password: password(), database: ONE_DB_DATABASE },
  };
  const server: EmbeddedClickHouse = await start({
    users: [
      { name: users.admin.username, password: users.admin.password },
      { name: users.password.username, password: users.password.password },
      { name: users.readonly1.username, password: users.readonly1.password, profile: "readonly" },
      { name: users.readonly2.username, password: users.readonly2.password, profile: "readonly2" },
      { name: users.oneDb.username, password: users.oneDb.password, databases: [ONE_DB_DATABASE] },
    ],
  });
  try {
    const client = createClient({
      url: server.url,
      username: users.admin.username,
      password: users.admin.password,
    });
    try {
      for (const query of FIXTURE_STATEMENTS) await client.command({ query });
    } finally {
      await client.close();
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  const info: HarnessInfo = {
    url: server.url,
    host: "127.0.0.1",
    httpPort: server.httpPort,
    tcpPort: server.tcpPort,
    version: server.version,
    users,
    fixturesDatabase: FIXTURES_DATABASE,
  };
  const scratchDir = await mkdtemp(path.join(os.tmpdir(), "test-harness-"));
  project.provide("clickhouse", info);
  project.provide("testHarnessScratchDir", scratchDir);
  return async () => {
    await server.stop();
    await rm(scratchDir, { recursive: true, force: true });
  };
}
