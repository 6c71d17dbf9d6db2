// The run's shared ClickHouse is the embedded engine with its file sandbox on: tests of the MCP
// server that send file() and friends meet the engine's refusal, not the machine's files.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Cred, harness } from "./index.js";

const info = harness();

async function query(cred: Cred, sql: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${info.url}/`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`,
      connection: "close",
    },
    body: sql,
  });
  return { status: response.status, body: (await response.text()).trim() };
}

describe("the shared ClickHouse's file access", () => {
  it("refuses files outside its own directories, for every harness user", async () => {
    for (const cred of Object.values(info.users)) {
      for (const sql of [
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "DESCRIBE TABLE file('/etc/passwd', 'TSVWithNames')",
        "SELECT file('/etc/passwd')",
        "INSERT INTO FUNCTION file('/tmp/harness-file-access.tsv', 'TSV') SELECT 1",
      ]) {
        const answer = await query(cred, sql);
        expect(answer.status, `${cred.username}: ${sql}: ${answer.body}`).not.toBe(200);
        expect(answer.body).not.toContain("root:x:0:0");
      }
    }
    expect(existsSync("/tmp/harness-file-access.tsv")).toBe(false);
    const denied = await query(info.users.admin, "SELECT * FROM file('/etc/passwd', 'LineAsString')");
    expect(denied.body).toMatch(/errno: 13|Permission denied/);
  });
});
