import { afterAll, describe, expect, it } from "vitest";
import { adminClient, BIG_TABLE_ROWS, FIXTURE_TABLES } from "./index.js";

const client = adminClient();
afterAll(() => client.close());

const rows = async <T>(query: string) => (await client.query({ query, format: "JSONEachRow" })).json<T>();

describe("fixtures", () => {
  it("keeps values JavaScript numbers cannot hold exactly", async () => {
    const [row1, row2] = await rows<Record<string, string>>(
      `SELECT toString(u64) AS u64, toString(i128) AS i128, toString(u256) AS u256, toString(f32) AS f32,
              toString(f64) AS f64, toString(dec) AS dec FROM ${FIXTURE_TABLES.types} WHERE id IN (1, 2) ORDER BY id`,
    );
    expect(row1).toEqual({
      u64: "18446744073709551615",
      i128: "-170141183460469231731687303715884105728",
      u256: "115792089237316195423570985008687907853269984665640564039457584007913129639935",
      f32: "nan",
      f64: "inf",
      dec: "12345678901234.5678",
    });
    expect(row2?.u64).toBe("9007199254740993");
    expect(row2?.f64).toBe("-inf");
  });

  it("has binary, empty and unicode strings, NULLs, time zones and nested JSON", async () => {
    const [row1, row2] = await rows<Record<string, unknown>>(
      `SELECT hex(fixed) AS fixed, str, nullable_str, nullable_int, toString(dt64_berlin) AS berlin,
              toString(toUnixTimestamp64Milli(dt64_berlin)) AS berlin_ms,
              timezoneOf(dt_tokyo) AS tokyo, toString(json.user.address.city) AS city
       FROM ${FIXTURE_TABLES.types} WHERE id IN (1, 2) ORDER BY id`,
    );
    expect(row1).toMatchObject({
      fixed: "00FF7F80",
      str: "",
      nullable_str: "",
      nullable_int: null,
      city: "London",
    });
    expect(row1?.berlin).toBe("2024-07-01 12:00:00.123");
    expect(row1?.berlin_ms).toBe(String(Date.UTC(2024, 6, 1, 10, 0, 0, 123)));
    expect(row1?.tokyo).toBe("Asia/Tokyo");
    expect(row2).toMatchObject({ str: "ünïcødé 日本語 😀", nullable_str: "héllo wörld 世界 🎉" });
  });

  it("covers every listed type", async () => {
    const columns = await rows<{ type: string }>(
      `SELECT type FROM system.columns WHERE database = 'fixtures' AND table = 'types'`,
    );
    const types = columns.map((column) => column.type).join(" ");
    for (const type of [
      "UInt64",
      "Int128",
      "UInt256",
      "Float32",
      "Float64",
      "Decimal(18, 4)",
      "Nullable(String)",
      "LowCardinality(String)",
      "Enum8",
      "Date",
      "Date32",
      "DateTime('UTC')",
      "DateTime64(3, 'Europe/Berlin')",
      "UUID",
      "IPv4",
      "IPv6",
      "Array(Int32)",
      "Tuple(",
      "Map(String, UInt64)",
      "JSON",
      "FixedString(4)",
      "String",
      "Bool",
    ]) {
      expect(types).toContain(type);
    }
  });

  it("has a big table, a view over it and a commented table", async () => {
    expect(await rows(`SELECT toString(count()) AS n FROM ${FIXTURE_TABLES.big}`)).toEqual([
      { n: String(BIG_TABLE_ROWS) },
    ]);
    expect(await rows(`SELECT toString(count()) AS n FROM ${FIXTURE_TABLES.view}`)).toEqual([
      { n: String(BIG_TABLE_ROWS / 1000) },
    ]);
    const [table] = await rows<{ engine: string; comment: string }>(
      `SELECT engine, comment FROM system.tables WHERE database = 'fixtures' AND name = 'commented'`,
    );
    expect(table?.comment).toBe("Planets of the solar system");
    const uncommented = await rows(
      `SELECT name FROM system.columns WHERE database = 'fixtures' AND table = 'commented' AND comment = ''`,
    );
    expect(uncommented).toEqual([]);
  });
});
