import { createServer } from "node:http";
import { adminClient, harness } from "@mcp/test-harness";
import { it } from "vitest";
import { connectClient, harnessClaims, mcpUrl, startTestServer, textOf } from "../../src/test-support/http-fixture.js";

it("probe", async () => {
  let hits = 0;
  const canary = createServer((_q, r) => { hits++; r.end("a\n"); });
  await new Promise<void>((r) => canary.listen(0, "127.0.0.1", r));
  const cport = (canary.address() as { port: number }).port;
  await using s = await startTestServer();
  const token = await s.mint({ ...harnessClaims("password"), database: "fixtures" });
  await using c = await connectClient("http", mcpUrl(s.url, "http", token));
  const h = harness();
  const qs = [
    `SELECT * FROM url('http://127.0.0.1:${cport}/', CSV, 'a String')`,
    `SELECT * FROM file('/etc/passwd', LineAsString)`,
    `SELECT * FROM remote('127.0.0.1:${h.tcpPort}', system.one)`,
    `SELECT count() FROM numbers(10)`,
    `SELECT * FROM system.one INTO OUTFILE '/tmp/rel_outfile.csv'`,
    `SELECT 1 SETTINGS readonly=0`,
    `SELECT * FROM s3('http://127.0.0.1:${cport}/x.csv', CSV, 'a String')`,
    `SELECT * FROM executable('id', CSV, 'a String')`,
    `SELECT * FROM mysql('127.0.0.1:${cport}', 'd', 't', 'u', 'p')`,
    `SELECT * FROM postgresql('127.0.0.1:${cport}', 'd', 't', 'u', 'p')`,
    `SELECT * FROM urlCluster('default', 'http://127.0.0.1:${cport}/', CSV, 'a String')`,
    `SELECT * FROM input('a String')`,
    `SELECT * FROM generateRandom('a String') LIMIT 1`,
    `SELECT * FROM cluster('default', system.one)`,
    `SELECT * FROM dictionary('x')`,
    `SELECT count() FROM system.query_log`,
    `SELECT uniqExact(number) FROM numbers(100000000000)`,
  ];
  for (const q of qs) {
    const r = await c.callTool({ name: "execute_query", arguments: { query: q } });
    console.log(q.slice(0, 70), "=>", r.isError ? "ERR" : "OK", textOf(r).slice(0, 250));
  }
  console.log("canary hits", hits);
  const a = adminClient();
  const rs = await a.query({ query: "SELECT name, value FROM system.settings WHERE name IN ('max_memory_usage','log_queries','max_query_size')", format: "JSONEachRow" });
  console.log(await rs.json());
  await a.close();
  canary.close();
}, 120000);
