// readProcessProgress against a fake server: what older and newer servers print, and what no
// ClickHouse would. The real system.processes is covered by client/query-progress.test.ts.
import { createServer, type Server } from "node:http";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readProcessProgress } from "./process-progress.js";

let answer = "";
const requests: URL[] = [];
let server: Server;
let client: ClickHouseClient;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(new URL(request.url ?? "/", "http://localhost"));
    request.resume();
    request.on("end", () => response.end(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  client = createClient({ url: `http://127.0.0.1:${port}`, log: { level: ClickHouseLogLevel.OFF } });
});

afterAll(async () => {
  await client.close();
  await new Promise((resolve) => server.close(resolve));
});

const read = (text: string) => {
  answer = text;
  return readProcessProgress(client, "q1", 3, new AbortController().signal);
};

describe("readProcessProgress", () => {
  it("reads UInt64 printed as numbers (ClickHouse 25+) or quoted (earlier defaults)", async () => {
    expect(await read("[1200,9600,2000]\n")).toEqual({
      rowsRead: 1200,
      bytesRead: 9600,
      totalRowsToRead: 2000,
    });
    expect(await read('["1200","9600","0"]\n')).toEqual({
      rowsRead: 1200,
      bytesRead: 9600,
      totalRowsToRead: 0,
    });
  });

  it("runs as <queryId>-progress-<poll>, asking about the query by parameter, with no setting", async () => {
    await read("");
    const url = requests.at(-1);
    expect(url?.searchParams.get("query_id")).toBe("q1-progress-3");
    expect(url?.searchParams.get("param_id")).toBe("q1");
    const names = [...(url?.searchParams.keys() ?? [])].filter(
      (name) => !["query_id", "param_id", "database"].includes(name),
    );
    expect(names).toEqual([]);
  });

  it("no row: the query is not running", async () => {
    expect(await read("")).toBeUndefined();
  });

  it("rejects what is not an answer to it", async () => {
    for (const text of [
      "[1,2]\n",
      '["a",1,2]\n',
      "[-1,0,0]\n",
      "[1.5,0,0]\n",
      "Code: 497. ACCESS_DENIED\n",
    ]) {
      await expect(read(text)).rejects.toThrow();
    }
  });

  it("rejects an answer larger than a few KiB without keeping it", async () => {
    await expect(read(`[1,2,3]\n${"x".repeat(64 * 1024)}`)).rejects.toThrow(/larger than expected/);
  });
});
