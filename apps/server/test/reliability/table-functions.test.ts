/**
 * Table functions and limit-lifting SETTINGS through execute_query, against the real server and
 * the embedded ClickHouse, over both ClickHouse protocols: ClickHouse's own readonly=1 still lets
 * `DESCRIBE TABLE file(…)` read a file, `DESC url(…)` fetch a URL and `DESCRIBE remote(…)` log in
 * to another server, and users whose profile is readonly=2 may use table functions and lift the
 * limits in their SQL. Read-only calls (a `read_only` token, the server's --read-only, any user)
 * must refuse all of it before anything reaches ClickHouse: checked by a recording proxy (HTTP),
 * system.query_log (both protocols) and a canary HTTP server that no request may reach.
 */
import { createServer, type Server } from "node:http";
import { harness } from "@mcp/test-harness";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectClient,
  harnessClaims,
  mcpUrl,
  textOf,
  useTestServers,
} from "../../src/test-support/http-fixture.js";
import {
  adminCommand,
  adminRows,
  ClientTexts,
  expectNoSecrets,
  type RecordingProxy,
  reportFigures,
  startRecordingProxy,
  unique,
} from "../../src/test-support/reliability.js";

const startServer = useTestServers();
const shown = new ClientTexts();
let proxy: RecordingProxy;
let canary: Server;
let canaryHits = 0;
let canaryPort = 0;

interface Caller {
  what: string;
  client: Client;
  /** Whether the recording proxy carries this caller's traffic (HTTP protocol). */
  proxied: boolean;
  readonly2: boolean;
}
const callers: Caller[] = [];

beforeAll(async () => {
  canary = createServer((_request, response) => {
    canaryHits++;
    response.end("a\tb\n1\t2\n");
  });
  await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
  canaryPort = (canary.address() as { port: number }).port;
  proxy = await startRecordingProxy();
  const h = harness();
  const viaProxy = { port: proxy.port, protocol: "http" as const };
  const native = { port: h.tcpPort, protocol: "tcp" as const };

  // A read-only token on an ordinary server, for the read-write user: only our guard stands in the way.
  const ordinary = await startServer();
  // The server's --read-only, for the read-write user and for a user whose profile is readonly=2.
  const readOnly = await startServer({ limits: { readOnly: true } });
  const setups: [string, typeof ordinary, Parameters<typeof ordinary.mint>[0], boolean, boolean][] = [
    [
      "read_only token, http",
      ordinary,
      { ...harnessClaims("password"), ...viaProxy, read_only: true },
      true,
      false,
    ],
    [
      "read_only token, tcp",
      ordinary,
      { ...harnessClaims("password"), ...native, read_only: true },
      false,
      false,
    ],
    ["--read-only, http", readOnly, { ...harnessClaims("password"), ...viaProxy }, true, false],
    ["--read-only, tcp", readOnly, { ...harnessClaims("password"), ...native }, false, false],
    ["readonly=2 profile, http", ordinary, { ...harnessClaims("readonly2"), ...viaProxy }, true, true],
    ["readonly=2 profile, tcp", ordinary, { ...harnessClaims("readonly2"), ...native }, false, true],
  ];
  for (const [what, server, claims, proxied, readonly2] of setups) {
    const token = await server.mint(claims);
    const transport = callers.length % 2 === 0 ? "http" : "sse";
    callers.push({
      what,
      client: await connectClient(transport, mcpUrl(server.url, transport, token)),
      proxied,
      readonly2,
    });
  }
});

afterAll(async () => {
  for (const caller of callers) await caller.client.close();
  await proxy?.[Symbol.asyncDispose]();
  canary?.close();
});

async function run(client: Client, query: string): Promise<{ isError: boolean; text: string }> {
  const result = await client.callTool({ name: "execute_query", arguments: { query } });
  const text = textOf(result);
  shown.add(text);
  return { isError: result.isError === true, text };
}

/** Queries (by id) containing `text` in ClickHouse's query_log. */
async function logged(text: string): Promise<number> {
  await adminCommand("SYSTEM FLUSH LOGS");
  const rows = await adminRows<{ n: string }>(
    "SELECT uniqExact(query_id) AS n FROM system.query_log WHERE position(query, {text:String}) > 0 AND event_time > now() - INTERVAL 1 HOUR",
    { text },
  );
  return Number(rows[0]?.n);
}

describe("table functions and SETTINGS in read-only calls", () => {
  it("refuses DESCRIBE/DESC/SELECT over file, url, remote, mysql, postgresql and the scalar file(), sending nothing", async () => {
    const run_ = unique("tablefn");
    const canaryUrl = `http://127.0.0.1:${canaryPort}/${run_}`;
    const tricks: [string, string][] = [
      ["DESCRIBE TABLE /* {M} */ file('/etc/passwd', 'TSVWithNames')", "file"],
      ["DESC /* {M} */ file('/etc/passwd', 'TSVWithNames')", "file"],
      [`DESC /* {M} */ url('${canaryUrl}', 'TSVWithNames')`, "url"],
      [`DESCRIBE TABLE /* {M} */ url('${canaryUrl}', 'TSVWithNames')`, "url"],
      [`DESCRIBE /* {M} */ remote('127.0.0.1:${canaryPort}', system.one, 'default', 'guess')`, "remote"],
      [`DESCRIBE /* {M} */ mysql('127.0.0.1:${canaryPort}', 'd', 't', 'root', 'guess')`, "mysql"],
      [
        `DESCRIBE /* {M} */ postgresql('127.0.0.1:${canaryPort}', 'd', 't', 'postgres', 'guess')`,
        "postgresql",
      ],
      ["EXPLAIN /* {M} */ SELECT * FROM file('/etc/passwd', 'LineAsString')", "file"],
      [`SELECT /* {M} */ * FROM numbers(1) AS a, url('${canaryUrl}', 'LineAsString') AS b`, "url"],
      [`WITH t AS (SELECT * FROM \`url\`('${canaryUrl}', 'LineAsString')) SELECT /* {M} */ * FROM t`, "url"],
      [`SELECT /* {M} */ * FROM URL /* c */ ('${canaryUrl}', 'LineAsString')`, "url"],
      ["SELECT /* {M} */ file('/etc/passwd') AS contents", "file"],
      ["SELECT /* {M} */ * FROM eval('SELECT 1')", "eval"],
      ["SELECT /* {M} */ * FROM cluster('default', system.one)", "cluster"],
    ];
    const markers: string[] = [];
    let refused = 0;
    for (const caller of callers) {
      for (const [trick, name] of tricks) {
        const marker = unique(`${run_}_m`);
        markers.push(marker);
        const result = await run(caller.client, trick.replace("{M}", marker));
        expect(result.isError, `${caller.what}: ${trick} -> ${result.text}`).toBe(true);
        expect(result.text, `${caller.what}: ${trick}`).toMatch(
          new RegExp(
            `^Error READ_ONLY_VIOLATION: (table )?function "${name}" is not allowed in read-only mode`,
          ),
        );
        if (caller.proxied) expect(proxy.saw(marker), `${caller.what}: ${trick}`).toBe(false);
        refused++;
      }
    }
    expect(await logged(`${run_}_m`)).toBe(0);
    expect(canaryHits).toBe(0);

    // The control: an allowed table function does reach ClickHouse, through the proxy and the log.
    const control = unique(`${run_}_control`);
    for (const caller of callers) {
      const result = await run(caller.client, `SELECT /* ${control} */ count() AS n FROM numbers(3)`);
      expect(result.isError, `${caller.what}: ${result.text}`).toBe(false);
    }
    expect(proxy.saw(control)).toBe(true);
    expect(await logged(control)).toBe(callers.length);
    reportFigures("table functions", {
      callers: callers.length,
      tricks: tricks.length,
      "refused before ClickHouse": refused,
      "outbound requests": canaryHits,
    });
  }, 120_000);

  it("refuses a query's own SETTINGS that would lift the limits, for users whose profile is readonly=2 too", async () => {
    const run_ = unique("settings");
    const tricks: [string, string][] = [
      ["SELECT /* {M} */ count() FROM numbers(10) SETTINGS max_execution_time = 0", "max_execution_time"],
      [
        "SELECT /* {M} */ number FROM numbers(10) SETTINGS max_result_rows = 0, max_result_bytes = 0",
        "max_result_rows",
      ],
      ["SELECT /* {M} */ count() FROM numbers(10) SETTINGS max_memory_usage = 0", "max_memory_usage"],
      ["SELECT /* {M} */ 1 SETTINGS readonly = 0", "readonly"],
      ["SELECT * FROM (SELECT /* {M} */ 1 SETTINGS max_execution_time = 0)", "max_execution_time"],
    ];
    const readonly2 = callers.filter((caller) => caller.readonly2);
    expect(readonly2.length).toBe(2);
    for (const caller of callers) {
      for (const [trick, name] of tricks) {
        const marker = unique(`${run_}_m`);
        const result = await run(caller.client, trick.replace("{M}", marker));
        expect(result.text, `${caller.what}: ${trick}`).toMatch(
          new RegExp(`^Error READ_ONLY_VIOLATION: the setting "${name}" is not allowed`),
        );
        if (caller.proxied) expect(proxy.saw(marker)).toBe(false);
      }
    }
    expect(await logged(`${run_}_m`)).toBe(0);
    // The server's own limits still reach readonly=2 users, who can no longer lift them.
    for (const caller of readonly2) {
      const result = await run(caller.client, "SELECT toString(getSetting('max_execution_time')) AS t");
      expect(result.text, caller.what).toContain("\nt\n60\n");
    }
  }, 60_000);

  it("leaks no token, password or secret into the answers", () => {
    expectNoSecrets("an answer", shown.all());
  });
});
