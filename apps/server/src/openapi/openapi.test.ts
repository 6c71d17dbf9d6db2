import { FIXTURE_TABLES, harness, useTestDatabase } from "@mcp/test-harness";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/server/validators/ajv";
import { validate } from "@readme/openapi-parser";
import { beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  harnessClaims,
  sensitiveValues,
  type TestServer,
  useTestServers,
} from "../test-support/http-fixture.js";

const startServer = useTestServers();

let server: TestServer;
let writeToken: string;
let readToken: string;

beforeAll(async () => {
  server = await startServer({ http: { openapi: "http" } });
  writeToken = await server.mint();
  readToken = await server.mint({ ...harnessClaims(), read_only: true });
});

type Doc = {
  openapi: string;
  servers: { url: string }[];
  security?: unknown;
  paths: Record<string, { post: Record<string, unknown> }>;
  components: { securitySchemes?: Record<string, unknown> };
};

async function documentFor(token: string, base = server.url): Promise<Doc> {
  const response = await fetch(`${base}/${token}/openapi`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return (await response.json()) as Doc;
}

function expectNoSecrets(text: string): void {
  for (const value of sensitiveValues()) expect(text).not.toContain(value);
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

describe("the document", () => {
  it("is valid OpenAPI 3.1 and lists the token's tools: write_query only for a write token", async () => {
    const write = await documentFor(writeToken);
    const read = await documentFor(readToken);
    for (const doc of [write, read]) {
      const result = await validate(structuredClone(doc) as never);
      expect(result.valid, JSON.stringify(result)).toBe(true);
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.servers).toEqual([{ url: server.url }]);
      expect(doc.security).toEqual([{ bearerToken: [] }, { altinityMcpKey: [] }]);
      expectNoSecrets(JSON.stringify(doc));
      for (const [path, item] of Object.entries(doc.paths)) {
        const op = item.post;
        // Stable operation ids: the tool name, which is also the path's last segment.
        expect(path).toBe(`/openapi/${op.operationId}`);
        expect((op.description as string).length).toBeLessThanOrEqual(300);
        expect((op.summary as string).length).toBeLessThanOrEqual(80);
      }
    }
    // Every schema compiles as JSON Schema 2020-12 (OpenAPI 3.1's dialect), and accepts what the
    // tool accepts: the document and the zod schema the calls are checked with agree.
    const ajv = new AjvJsonSchemaValidator();
    const schemaOf = (op: Record<string, unknown>, at: "request" | "response") => {
      const content =
        at === "request"
          ? (op.requestBody as { content: Record<string, { schema: unknown }> }).content
          : (op.responses as Record<string, { content: Record<string, { schema: unknown }> }>)["200"]
              ?.content;
      return content?.["application/json"]?.schema as Record<string, unknown>;
    };
    for (const item of Object.values(write.paths)) {
      ajv.getValidator(schemaOf(item.post, "response"));
      ajv.getValidator(schemaOf(item.post, "request"));
    }
    const executeInput = ajv.getValidator(schemaOf(write.paths["/openapi/execute_query"]!.post, "request"));
    expect(executeInput({ query: "SELECT 1", settings: { max_threads: 2 } }).valid).toBe(true);
    expect(executeInput({ query: 5 }).valid).toBe(false);
    expect(executeInput({ query: "SELECT 1", extra: 1 }).valid).toBe(false);
    // The same tools as the connection's MCP tools/list: write_query only where writes are allowed.
    const ids = (doc: Doc) => Object.values(doc.paths).map((item) => item.post.operationId);
    expect(ids(write)).toEqual(
      expect.arrayContaining([
        "execute_query",
        "write_query",
        "list_databases",
        "list_tables",
        "describe_table",
      ]),
    );
    expect(ids(read)).toEqual(ids(write).filter((id) => id !== "write_query"));
    expect(write.paths["/openapi/write_query"]?.post["x-openai-isConsequential"]).toBe(true);
    expect(write.paths["/openapi/execute_query"]?.post["x-openai-isConsequential"]).toBe(false);
    // The execute_query description is cut to whole sentences within GPT actions' 300 characters.
    expect(write.paths["/openapi/execute_query"]?.post.description).toMatch(/\.$/);
  });

  it("takes the token from Authorization: Bearer or X-Altinity-MCP-Key on /openapi, with the MCP 401s", async () => {
    const bearer = await fetch(`${server.url}/openapi`, {
      headers: { Authorization: `Bearer ${readToken}` },
    });
    expect(bearer.status).toBe(200);
    const key = await fetch(`${server.url}/openapi`, { headers: { "X-Altinity-MCP-Key": readToken } });
    expect(key.status).toBe(200);
    const missing = await fetch(`${server.url}/openapi`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: "invalid_token" });
    const bad = await fetch(`${server.url}/${writeToken.slice(0, -4)}AAAA/openapi/list_databases`);
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    const badPost = await post(`/openapi/list_databases`, {}, { Authorization: "Bearer not.a.token.at.all" });
    expect(badPost.status).toBe(401);
  });

  it("names https in servers with --openapi=https, for a TLS-terminating proxy", async () => {
    const https = await startServer({ http: { openapi: "https" } });
    const doc = await documentFor(await https.mint(), https.url);
    expect(doc.servers).toEqual([{ url: https.url.replace(/^http:/, "https:") }]);
  });

  it("without JWE: /openapi on the configured ClickHouse, no security schemes, no token routes", async () => {
    const open = await startServer({ http: { openapi: "http" }, jwe: { allow: false } });
    const response = await fetch(`${open.url}/openapi`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Doc;
    expect(doc.security).toBeUndefined();
    expect(doc.components.securitySchemes).toBeUndefined();
    const call = await fetch(
      `${open.url}/openapi/execute_query?query=${encodeURIComponent("SELECT 1 AS one")}`,
    );
    expect(call.status).toBe(200);
    expect(((await call.json()) as { rows: unknown[] }).rows).toEqual([{ one: 1 }]);
  });

  it("is off by default: 404", async () => {
    const off = await startServer();
    const token = await off.mint();
    expect((await fetch(`${off.url}/${token}/openapi`)).status).toBe(404);
    expect(
      (await fetch(`${off.url}/openapi`, { headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(404);
    expect((await fetch(`${off.url}/${token}/openapi/list_databases`, { method: "POST" })).status).toBe(404);
  });
});

describe("calls", () => {
  it("runs every operation over GET and POST with the structured content as JSON", async () => {
    await using db = await useTestDatabase();
    const t = `/${writeToken}/openapi`;
    const query = `SELECT id, name FROM ${FIXTURE_TABLES.commented} ORDER BY id LIMIT 2`;

    const viaGet = await fetch(`${server.url}${t}/execute_query?query=${encodeURIComponent(query)}`);
    expect(viaGet.status).toBe(200);
    expect(viaGet.headers.get("x-mcp-truncated")).toBeNull();
    const rows = (await viaGet.json()) as { rows: unknown[]; rowCount: number; columns: unknown[] };
    expect(rows.rows).toEqual([
      { id: 1, name: "Mercury" },
      { id: 2, name: "Venus" },
    ]);
    const viaPost = await post(`${t}/execute_query`, { query, settings: { max_threads: 1 } });
    expect(viaPost.status).toBe(200);
    expect(((await viaPost.json()) as { rows: unknown[] }).rows).toEqual(rows.rows);
    // GET takes an object argument as JSON text.
    const settings = encodeURIComponent(JSON.stringify({ max_threads: 1 }));
    const getSettings = await fetch(
      `${server.url}${t}/execute_query?query=${encodeURIComponent(query)}&settings=${settings}`,
    );
    expect(getSettings.status).toBe(200);

    for (const response of [
      await fetch(`${server.url}${t}/list_databases`),
      await fetch(`${server.url}${t}/list_databases`, { method: "POST" }),
    ]) {
      expect(response.status).toBe(200);
      expect(((await response.json()) as { databases: string[] }).databases).toContain(db.name);
    }

    const create = await post(`${t}/write_query`, {
      query: `CREATE TABLE ${db.name}.t (id UInt32, v String) ENGINE = MergeTree ORDER BY id COMMENT 'via openapi'`,
    });
    expect(create.status).toBe(200);
    expect(await create.json()).toMatchObject({
      queryId: expect.any(String),
      statistics: expect.any(Object),
    });
    // A tool that changes data is never run by a GET (link previews, prefetching).
    const writeGet = await fetch(
      `${server.url}${t}/write_query?query=${encodeURIComponent(`DROP TABLE ${db.name}.t`)}`,
    );
    expect(writeGet.status).toBe(405);
    expect(writeGet.headers.get("allow")).toBe("POST");

    const tablesGet = await fetch(`${server.url}${t}/list_tables?database=${db.name}&limit=10`);
    expect(tablesGet.status).toBe(200);
    const tablesPost = await post(`${t}/list_tables`, { database: db.name, like: "t%" });
    for (const response of [tablesGet, tablesPost]) {
      const body = (await response.json()) as { tables: { name: string; comment: string }[] };
      expect(body.tables).toEqual([expect.objectContaining({ name: "t", comment: "via openapi" })]);
    }

    const describeGet = await fetch(`${server.url}${t}/describe_table?database=${db.name}&table=t`);
    const describePost = await post(`${t}/describe_table`, { database: db.name, table: "t" });
    for (const response of [describeGet, describePost]) {
      expect(response.status).toBe(200);
      const body = (await response.json()) as { columns: { name: string; type: string }[] };
      expect(body.columns.map((c) => `${c.name} ${c.type}`)).toEqual(["id UInt32", "v String"]);
    }
  });

  it("answers every documented operation, over POST and (for read-only tools) GET: 200, or 400 naming an argument", async () => {
    const doc = await documentFor(writeToken);
    const examples: Record<string, Record<string, string>> = {
      execute_query: { query: "SELECT 1 AS one" },
      list_tables: { database: "fixtures" },
      describe_table: { database: "fixtures", table: "commented" },
    };
    for (const item of Object.values(doc.paths)) {
      const id = item.post.operationId as string;
      if (id === "write_query") continue; // called above
      const args = examples[id] ?? {};
      const viaPost = await post(`/${writeToken}/openapi/${id}`, args);
      const responses = [viaPost];
      // Tools that change data are consequential and POST-only.
      if (item.post["x-openai-isConsequential"] === false) {
        responses.push(await fetch(`${server.url}/${writeToken}/openapi/${id}?${new URLSearchParams(args)}`));
      }
      for (const response of responses) {
        const body = await response.text();
        if (response.status !== 200) expect(body).toMatch(/"error":"invalid_request".*argument/);
        expect([200, 400], `${id}: ${body}`).toContain(response.status);
      }
    }
  });

  it("refuses bad arguments with 400 naming the argument, before running anything", async () => {
    const t = `/${readToken}/openapi`;
    const cases: [Response, RegExp][] = [
      [await post(`${t}/execute_query`, { query: 5 }), /argument "query": .*expected string/],
      [await post(`${t}/execute_query`, { query: "SELECT 1", rows: 3 }), /unknown argument "rows"/],
      [await post(`${t}/execute_query`, {}), /argument "query"/],
      [
        await post(`${t}/execute_query`, { query: "SELECT 1", settings: { max_result_rows: 0 } }),
        /"settings.max_result_rows"/,
      ],
      [await fetch(`${server.url}${t}/list_tables?database=fixtures&limit=abc`), /argument "limit"/],
      [
        await fetch(`${server.url}${t}/list_tables?database=a&database=b`),
        /argument "database" is given more than once/,
      ],
      [await post(`${t}/list_tables`, ["fixtures"]), /JSON object/],
    ];
    for (const [response, message] of cases) {
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe("invalid_request");
      expect(body.error_description).toMatch(message);
    }
    const notJson = await fetch(`${server.url}${t}/list_databases`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "{}",
    });
    expect(notJson.status).toBe(415);
    const unknown = await fetch(`${server.url}${t}/write_query`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: "not_found" });
    const head = await fetch(`${server.url}${t}/list_databases`, { method: "HEAD" });
    expect(head.status).toBe(405);
  });

  it("sets X-MCP-Truncated when a cap cut the result (the token's limit)", async () => {
    const capped = await server.mint({ ...harnessClaims(), limit: 3 });
    const response = await post(`/${capped}/openapi/execute_query`, {
      query: "SELECT number FROM numbers(10)",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-mcp-truncated")).toBe("max_result_rows");
    const body = (await response.json()) as { rowCount: number; truncated: unknown };
    expect(body.rowCount).toBe(3);
    expect(body.truncated).toEqual({ reason: "rows", limit: 3 });
  });

  it("maps tool errors to statuses: a ClickHouse error 422, the read-only guard 403, scrubbed", async () => {
    const t = `/${writeToken}/openapi`;
    const missing = await post(`${t}/execute_query`, { query: "SELECT * FROM fixtures.no_such_table" });
    expect(missing.status).toBe(422);
    const text = await missing.text();
    expect(JSON.parse(text)).toMatchObject({
      error: "query_failed",
      error_description: expect.stringMatching(/^Error QUERY_FAILED \(ClickHouse 60 UNKNOWN_TABLE\): /),
    });
    expectNoSecrets(text);
    const write = await post(`${t}/execute_query`, {
      query: "INSERT INTO fixtures.commented VALUES (9, 'x', 0)",
    });
    expect(write.status).toBe(403);
    expect(await write.json()).toMatchObject({ error: "forbidden" });
    // A token whose ClickHouse password is wrong: ClickHouse refuses it, 502, the password never shown.
    const wrong = await server.mint({ ...harnessClaims(), password: "wrong-password-for-openapi-test" });
    const refused = await post(`/${wrong}/openapi/list_databases`, {});
    expect(refused.status).toBe(502);
    const refusedText = await refused.text();
    expect(refusedText).not.toContain("wrong-password-for-openapi-test");
    expect(server.logText()).not.toContain("wrong-password-for-openapi-test");
  });

  it("holds the per-token call cap and cancels the query when the client goes away", async () => {
    await using capped = await startServer({ http: { openapi: "http", maxConcurrentCallsPerToken: 1 } });
    const token = await capped.mint();
    const marker = `openapi_cancel_${Date.now()}`;
    const slow = `SELECT '${marker}', count() FROM numbers(100000000000) WHERE NOT ignore(sipHash64(number))`;
    const controller = new AbortController();
    const first = fetch(`${capped.url}/${token}/openapi/execute_query?query=${encodeURIComponent(slow)}`, {
      signal: controller.signal,
    }).catch(() => undefined);
    const running = async () => {
      const result = await harnessQuery(
        `SELECT count() AS n FROM system.processes WHERE query LIKE '%${marker}%' AND query NOT LIKE '%system.processes%'`,
      );
      return Number(result);
    };
    await eventually(async () => (await running()) === 1, "the slow query runs");
    const second = await fetch(`${capped.url}/${token}/openapi/list_databases`);
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("1");
    controller.abort();
    await first;
    await eventually(async () => (await running()) === 0, "the query is cancelled");
    await eventually(
      async () => (await fetch(`${capped.url}/${token}/openapi/list_databases`)).status === 200,
      "the slot is free",
    );
  });
});

async function harnessQuery(sql: string): Promise<string> {
  const h = harness();
  const response = await fetch(`${h.url}/?query=${encodeURIComponent(sql)}`, {
    headers: { "X-ClickHouse-User": h.users.admin.username, "X-ClickHouse-Key": h.users.admin.password },
  });
  return (await response.text()).trim();
}
