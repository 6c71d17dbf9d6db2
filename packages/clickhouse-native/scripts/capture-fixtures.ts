// Captures the byte fixtures of the unit tests from a real ClickHouse: starts the embedded
// server, puts a loopback proxy in front of its native port that records what the server sends,
// runs each fixture query through it with this package's client, and stores the server's bytes
// (hex) next to the same query's result over HTTP (the values the decoders must produce).
//
//   npx tsx packages/clickhouse-native/scripts/capture-fixtures.ts [--dump]
//
// --dump also prints a hex dump of every captured response. Client bytes are never stored: the
// client's Hello holds the password.
import { writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { fileURLToPath } from "node:url";
import { start } from "../../embedded-clickhouse/src/index.js";
import { FIXTURE_STATEMENTS } from "../../test-harness/src/fixtures.js";
import { connect } from "../src/connection.js";

const OUT_DIR = new URL("../src/fixtures/", import.meta.url);
const dump = process.argv.includes("--dump");

interface Recorder {
  port: number;
  server: Server;
  /** Server-to-client bytes since the last `take()`. */
  take(): Buffer;
}

async function startRecorder(targetPort: number): Promise<Recorder> {
  let chunks: Buffer[] = [];
  const server = createServer((client: Socket) => {
    const upstream = tcpConnect(targetPort, "127.0.0.1");
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      client.write(chunk);
    });
    upstream.on("end", () => client.end());
    client.on("end", () => upstream.end());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    server,
    take() {
      const out = Buffer.concat(chunks);
      chunks = [];
      return out;
    },
  };
}

function hexDump(bytes: Buffer): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const text = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${at.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${text}`);
  }
  return lines.join("\n");
}

interface FixtureQuery {
  name: string;
  query: string;
  compression?: boolean;
  settings?: Record<string, string | number>;
  /** Also fetch the result over HTTP as the expected values. */
  http?: boolean;
}

const QUERIES: FixtureQuery[] = [
  { name: "types", query: "SELECT * EXCEPT (json) FROM fixtures.types ORDER BY id", http: true },
  {
    name: "types-lz4",
    query: "SELECT * EXCEPT (json) FROM fixtures.types ORDER BY id",
    compression: true,
    http: true,
  },
  {
    name: "multi-block-lz4",
    query: "SELECT number, toString(number) AS s FROM numbers(3000)",
    settings: { max_block_size: 1000 },
    compression: true,
    http: true,
  },
  {
    name: "ints",
    query:
      "SELECT toInt8(-128) a, toUInt8(255) b, toInt16(-32768) c, toUInt16(65535) d, toInt32(-2147483648) e, toUInt32(4294967295) f, toUInt128('340282366920938463463374607431768211455') g, toInt256('-57896044618658097711785492504343953926634992332820282019728792003956564819968') h, toInt64(-1) i, toUInt64(9007199254740993) j",
    http: true,
  },
  {
    name: "floats",
    query:
      "SELECT toFloat32(0.1) a, toFloat32(3.4028235e38) b, toFloat32(1/3) c, toFloat64(0.1) d, -0. e, toFloat32(16777217) f, toFloat32(1e-45) g, nan h, -inf i",
    http: true,
  },
  {
    name: "decimals",
    query:
      "SELECT toDecimal256('-123456789012345678901234567890.123456789', 9) a, toDecimal32(-1.5, 2) b, toDecimal64(100, 3) c, toDecimal128('0.00001', 10) d, CAST(1, 'Decimal(76, 0)') e",
    http: true,
  },
  {
    name: "dates",
    query:
      "SELECT toDate('2149-06-06') a, toDate32('1900-01-01') b, toDateTime(1700000000, 'UTC') c, toDateTime('2020-11-01 01:30:00', 'America/New_York') d, toDateTime64('2100-05-06 07:08:09.5', 1, 'America/New_York') e, toDateTime64('1969-12-31 23:59:59.999', 3, 'Europe/Berlin') f, toDateTime('2024-06-01 12:00:00', 'Australia/Lord_Howe') g, toDateTime64(1700000000.123456, 6) h",
    http: true,
  },
  {
    name: "strings",
    query:
      "SELECT 'héllo 🎉' a, '' b, toFixedString('ab', 5) c, unhex('00FF7F80') d, CAST('b', 'Enum16(\\'a\\' = -1000, \\'b\\' = 1000)') e, CAST('it\\'s', 'Enum8(\\'it\\\\\\'s\\' = 5)') f, true g",
    http: true,
  },
  {
    name: "addresses",
    query:
      "SELECT toUUID('123e4567-e89b-12d3-a456-426614174000') u, toIPv4('1.2.3.4') v4, toIPv6(x) v6 FROM (SELECT arrayJoin(['::1', '::1.2.3.4', '1::', '1:0:0:1::1', '2001:db8:0:1:1:1:1:1', 'fe80::1:0:0:0', '::ffff:10.0.0.1']) x)",
    http: true,
  },
  {
    name: "composites",
    query:
      "SELECT [[1, 2], [], [3]] aa, [[NULL, 'x']] an, map(1, 'a', 2, 'b') m1, map('k', map('x', toUInt64(1))) m2, tuple(1, 'a') t1, CAST((1, 'x'), 'Tuple(a UInt8, b String)') t2, [(1, 'a')] t3, CAST([(1., 2.), (3., 4.)], 'Ring') r, NULL n, CAST(NULL, 'Nullable(Nothing)') nn",
    http: true,
  },
  {
    name: "low-cardinality",
    query:
      "SELECT toLowCardinality(toNullable(x)) a, toLowCardinality(toUInt64(number)) b, [toLowCardinality(ifNull(x, ''))] c, map(toLowCardinality(toString(number % 2)), number) d FROM (SELECT number, if(number % 3 = 0, NULL, toString(number)) x FROM numbers(300))",
    http: true,
  },
  { name: "exception", query: "SELECT * FROM no_such_table_anywhere" },
  {
    name: "exception-during-data",
    // The pause before the exception lets the first rows go out first.
    query: "SELECT number, throwIf(number = 3 AND sleepEachRow(0.3) = 0, 'boom') FROM numbers(10)",
    settings: { max_block_size: 1, max_threads: 1 },
  },
  {
    name: "totals-extremes",
    query: "SELECT number % 2 AS k, count() AS c FROM numbers(10) GROUP BY k WITH TOTALS ORDER BY k",
    settings: { extremes: 1 },
  },
];

async function httpResult(
  url: string,
  auth: string,
  query: string,
  settings: Record<string, string | number>,
) {
  const params = new URLSearchParams({
    default_format: "JSONCompactEachRowWithNamesAndTypes",
    output_format_json_quote_64bit_integers: "1",
    output_format_json_quote_decimals: "1",
    ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, String(v)])),
  });
  const response = await fetch(`${url}/?${params}`, {
    method: "POST",
    body: query,
    headers: { authorization: `Basic ${Buffer.from(auth).toString("base64")}` },
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  // Kept as text: re-serialising parsed JSON would turn -0 into 0.
  return (await response.text()).trim().split("\n");
}

async function main(): Promise<void> {
  const password = "capture-password";
  await using server = await start({ users: [{ name: "admin", password }] });
  for (const statement of FIXTURE_STATEMENTS) {
    const response = await fetch(`${server.url}/?user=admin&password=${password}`, {
      method: "POST",
      body: statement,
    });
    if (!response.ok) throw new Error(await response.text());
  }
  const recorder = await startRecorder(server.tcpPort);
  const responses = [];
  let hello = "";
  for (const fixture of QUERIES) {
    const connection = await connect({ host: "127.0.0.1", port: recorder.port, username: "admin", password });
    const helloBytes = recorder.take();
    hello ||= helloBytes.toString("hex");
    try {
      const result = await connection.query(fixture.query, {
        compression: fixture.compression ?? false,
        ...(fixture.settings ? { settings: fixture.settings } : {}),
      });
      await result.collect();
    } catch {
      // Exceptions are fixtures too.
    }
    await connection.close();
    const bytes = recorder.take();
    if (dump) console.log(`== ${fixture.name}: ${fixture.query}\n${hexDump(bytes)}\n`);
    const httpLines = fixture.http
      ? await httpResult(server.url, `admin:${password}`, fixture.query, fixture.settings ?? {})
      : undefined;
    const { http: _, ...described } = fixture;
    responses.push({
      ...described,
      compression: fixture.compression ?? false,
      server: bytes.toString("hex"),
      httpLines,
    });
  }

  // Frames of ClickHouse's compressed format over HTTP (compress=1), of many payload sizes, for
  // the CityHash128 and LZ4 tests: incompressible payloads cover every length branch of the hash.
  const frames: string[] = [];
  for (const size of [0, 1, 5, 6, 7, 20, 100, 118, 119, 120, 133, 200, 253, 261, 300, 1000, 5000]) {
    for (const query of [
      `SELECT randomString(${size}) FORMAT RawBLOB`,
      `SELECT repeat('abc', ${size}) FORMAT RawBLOB`,
    ]) {
      const response = await fetch(`${server.url}/?user=admin&password=${password}&compress=1`, {
        method: "POST",
        body: query,
      });
      const body = Buffer.from(await response.arrayBuffer());
      for (let at = 0; at < body.length; ) {
        const length = 16 + body.readUInt32LE(at + 17);
        frames.push(body.subarray(at, at + length).toString("hex"));
        at += length;
      }
    }
  }

  const meta = { capturedFrom: `ClickHouse ${server.version}`, revision: 54460 };
  await writeFile(
    new URL("native-responses.json", OUT_DIR),
    `${JSON.stringify({ ...meta, hello, responses }, null, 1)}\n`,
  );
  await writeFile(
    new URL("compressed-frames.json", OUT_DIR),
    `${JSON.stringify({ ...meta, frames }, null, 1)}\n`,
  );
  recorder.server.close();
  console.log(`Wrote ${responses.length} responses and ${frames.length} frames to ${fileURLToPath(OUT_DIR)}`);
}

await main();
