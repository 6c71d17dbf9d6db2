// The cast-and-retry policy of the native driver, against the run's embedded ClickHouse (native
// port), compared with the HTTP interface. (Moved here from @mcp/clickhouse-native, whose client
// now refuses undecodable columns with UNSUPPORTED_TYPE and leaves the retry to this driver.)
import {
  type Connection,
  type ConnectionOptions,
  connect,
  type NativeQueryOptions,
} from "@mcp/clickhouse-native";
import { adminClient, FIXTURE_TABLES, harness } from "@mcp/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CastFunction, queryWithCasts } from "./cast-unsupported.js";

const info = harness();
const admin: ConnectionOptions = {
  host: info.host,
  port: info.tcpPort,
  username: info.users.admin.username,
  password: info.users.admin.password,
};
const http = adminClient();

/** The query's result over HTTP, as JSON values with 64-bit integers and decimals quoted. */
async function httpResult(query: string, settings: Record<string, string | number> = {}) {
  const result = await http.query({
    query,
    format: "JSONCompactEachRowWithNamesAndTypes",
    clickhouse_settings: {
      output_format_json_quote_64bit_integers: 1,
      output_format_json_quote_decimals: 1,
      ...settings,
    },
  });
  // Parsed line by line with JSON.parse so that -0 stays -0.
  const [names, types, ...rows] = (await result.text())
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as unknown[]);
  return { names: names!, types: types!, rows };
}

async function collect(
  connection: Connection,
  query: string,
  options: NativeQueryOptions,
  cast: CastFunction,
) {
  const { result, castColumns, castTypes } = await queryWithCasts(
    connection,
    query,
    { ...options, queryId: crypto.randomUUID() },
    cast,
  );
  const { rows } = await result.collect();
  return { result, castColumns, castTypes, rows };
}

let connection: Connection;

beforeAll(async () => {
  connection = await connect(admin);
});

afterAll(async () => {
  await connection?.close();
  await http.close();
});

describe("queryWithCasts", () => {
  const query = `SELECT * FROM ${FIXTURE_TABLES.types} ORDER BY id`;

  it.each([false, true])(
    "decodes every column to the HTTP interface's values (compression %s)",
    async (compression) => {
      const { result, castColumns, rows } = await collect(connection, query, { compression }, "toString");
      expect(castColumns).toEqual(["json"]);
      // JSON cannot be decoded natively: it comes back as its text, as toString() writes it (with
      // integers unquoted, whatever the HTTP output settings say).
      const expected = await httpResult(
        `SELECT * REPLACE (toString(json) AS json) FROM ${FIXTURE_TABLES.types} ORDER BY id`,
      );
      const jsonText = await httpResult(`SELECT toString(json) FROM ${FIXTURE_TABLES.types} ORDER BY id`, {
        output_format_json_quote_64bit_integers: 0,
      });
      const jsonColumn = expected.names.indexOf("json");
      for (const [i, row] of expected.rows.entries()) row[jsonColumn] = jsonText.rows[i]![0];
      expect(result.columns.map((c) => c.name)).toEqual(expected.names);
      expect(result.columns.map((c) => c.type)).toEqual(expected.types);
      expect(rows).toHaveLength(3);
      for (const [i, row] of rows.entries()) {
        for (const [j, value] of row.entries()) {
          expect(value, `row ${i + 1}, column ${expected.names[j]}`).toEqual(expected.rows[i]![j]);
        }
      }
      // Apart from the cast, the same types as the table itself.
      const plain = await httpResult(query);
      expect(result.columns.filter((c) => c.name !== "json").map((c) => c.type)).toEqual(
        (plain.types as string[]).filter((type) => type !== "JSON"),
      );
      await connection.ping();
    },
  );

  it("re-runs a query whose result has undecodable columns with them cast to String", async () => {
    const query =
      "SELECT 1::Variant(String, UInt64) AS v, sumState(number) AS agg, 'x' AS plain FROM numbers(3)";
    const { result, castColumns, rows } = await collect(connection, query, {}, "toString");
    expect(castColumns).toEqual(["v", "agg"]);
    expect(result.columns.map((c) => c.type)).toEqual(["String", "String", "String"]);
    expect(rows[0]?.[0]).toBe("1");
    expect(rows[0]?.[2]).toBe("x");
  });

  it("casts with toJSONString (the driver's choice), keeping the original types", async () => {
    const query = "SELECT 7::UInt64::Dynamic AS d, '{\"a\": 1}'::JSON AS j, 'x' AS plain";
    const settings = { output_format_json_quote_64bit_integers: 1 };
    const { castColumns, castTypes, rows } = await collect(connection, query, { settings }, "toJSONString");
    expect(castColumns).toEqual(["d", "j"]);
    expect([...castTypes]).toEqual([
      ["d", "Dynamic"],
      ["j", "JSON"],
    ]);
    // The text each value has in the HTTP interface's JSON output, under the same settings.
    const expected = await httpResult(query);
    expect(rows.map((row) => row.map((value, i) => (i < 2 ? JSON.parse(String(value)) : value)))).toEqual(
      expected.rows,
    );
  });

  it("runs a decodable query once, casting nothing", async () => {
    const { castColumns, castTypes, rows } = await collect(connection, "SELECT 1 AS a", {}, "toJSONString");
    expect(castColumns).toEqual([]);
    expect(castTypes.size).toBe(0);
    expect(rows).toEqual([[1]]);
  });
});
