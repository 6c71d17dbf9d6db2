// A "ClickHouse" that never stops sending (over HTTP and over the native protocol): every call
// must end, with a result cut by bytes or a clear error, and memory must stay bounded.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClickHousePool, createClickHousePool, DatabaseError, type QueryResult } from "../index.js";
import { peakMemoryGrowth } from "./test-support/peak-memory.js";

const MiB = 1024 * 1024;
const CAP = 4 * MiB;
// Sockets, parsers and the JS values of what fits; the bounded buffers come on top.
const CONSTANT = 96 * MiB;
const FILLER = Buffer.alloc(64 * 1024, 0x78); // "xxx..."

let pool: ClickHousePool;

beforeAll(() => {
  pool = createClickHousePool();
});

afterAll(async () => {
  await pool.close();
});

interface Host extends AsyncDisposable {
  port: number;
  /** Query ids the client asked to KILL. */
  kills: string[];
}

/** Writes `first`, then `next()` for ever, as fast as the client reads, until it goes away. */
function stream(
  out: NodeJS.WritableStream & { destroyed: boolean },
  first: Buffer,
  next: () => Buffer,
): void {
  out.on("error", () => {});
  out.write(first);
  const pump = () => {
    while (!out.destroyed) {
      if (!out.write(next())) {
        out.once("drain", pump);
        return;
      }
    }
  };
  pump();
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

/** An HTTP server that answers every query with `answer`, and KILL QUERY with an empty 200. */
async function httpHost(answer: (response: ServerResponse) => void): Promise<Host> {
  const kills: string[] = [];
  const server = createHttpServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (body.includes("KILL QUERY")) {
        kills.push(new URL(request.url ?? "/", "http://x").searchParams.get("param_id") ?? "");
        response.writeHead(200, { "X-ClickHouse-Summary": "{}" });
        response.end();
        return;
      }
      answer(response);
    });
  });
  const port = await listen(server);
  return {
    port,
    kills,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function okHeaders(response: ServerResponse): void {
  response.writeHead(200, {
    "Content-Type": "text/plain; charset=UTF-8",
    "X-ClickHouse-Format": "JSONCompactEachRowWithNamesAndTypes",
    "X-ClickHouse-Timezone": "UTC",
    "X-ClickHouse-Query-Id": "hostile",
    "X-ClickHouse-Summary": '{"read_rows":"0","read_bytes":"0"}',
  });
}

// The native protocol, as much of it as a server needs to say (see native-protocol.md).
function varUInt(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
const text = (s: string) => Buffer.concat([varUInt(Buffer.byteLength(s)), Buffer.from(s)]);
const SERVER_HELLO = Buffer.concat([
  varUInt(0),
  text("ClickHouse"),
  varUInt(26),
  varUInt(7),
  varUInt(54460),
  text("UTC"),
  text("hostile"),
  varUInt(0),
]);
const END_OF_STREAM = varUInt(5);
/** A Data packet of one String column `s`: its header, then the values as given. */
function dataPacket(rows: number, values: Buffer = Buffer.alloc(0)): Buffer {
  const info = Buffer.concat([
    varUInt(1),
    Buffer.from([0]),
    varUInt(2),
    Buffer.from([0xff, 0xff, 0xff, 0xff]),
    varUInt(0),
  ]);
  return Buffer.concat([
    varUInt(1),
    text(""),
    info,
    varUInt(1),
    varUInt(rows),
    text("s"),
    text("String"),
    Buffer.from([0]),
    values,
  ]);
}

/** A native-protocol server: Hello, then `answer` for a SELECT, EndOfStream for KILL QUERY. Cancel is ignored. */
async function nativeHost(answer: (socket: Socket) => void): Promise<Host> {
  const kills: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let state: "hello" | "ready" | "answering" = "hello";
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      if (state === "hello") {
        state = "ready";
        socket.write(SERVER_HELLO);
        return;
      }
      if (state !== "ready") return;
      received += chunk.toString("latin1");
      if (received.includes("KILL QUERY")) {
        kills.push(received);
        received = "";
        socket.write(END_OF_STREAM);
      } else if (received.includes("SELECT")) {
        state = "answering";
        answer(socket);
      }
    });
  });
  const port = await listen(server);
  return {
    port,
    kills,
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs fn and reports how far the process's memory rose, at most, while it ran; a DatabaseError is a value. */
function bounded<T>(fn: () => Promise<T>) {
  return peakMemoryGrowth(() =>
    fn().catch((error: unknown) => {
      if (error instanceof DatabaseError) return error;
      throw error;
    }),
  );
}

function run(host: Host, protocol: "http" | "tcp", queryId: string) {
  return bounded(() =>
    pool.withClient(
      { host: "127.0.0.1", port: host.port, protocol, username: "u", password: "p" },
      (client) => client.executeQuery("SELECT s FROM t", { readOnly: true, maxBytes: CAP, queryId }),
    ),
  );
}

function expectBounded(outcome: { rss: number; js: number; ms: number }): void {
  expect(outcome.rss).toBeLessThan(8 * CAP + CONSTANT);
  expect(outcome.js).toBeLessThan(8 * CAP + CONSTANT);
  expect(outcome.ms).toBeLessThan(15_000);
}

function result(value: QueryResult | DatabaseError): QueryResult {
  if (value instanceof DatabaseError)
    throw new Error(`expected a result, got ${value.code}: ${value.message}`);
  return value;
}

function failure(value: QueryResult | DatabaseError): DatabaseError {
  if (!(value instanceof DatabaseError)) throw new Error("expected a DatabaseError, got a result");
  return value;
}

const HEADER = '["s"]\n["String"]\n';

describe("an HTTP host that never stops sending", () => {
  it("a header line without end: a clear error once it is longer than any real one", async () => {
    await using host = await httpHost((response) => {
      okHeaders(response);
      stream(response, Buffer.from('["'), () => FILLER);
    });
    const outcome = await run(host, "http", `hostile-http-header-${Date.now()}`);
    const error = failure(outcome.value);
    expect(error.code).toBe("QUERY_FAILED");
    expect(error.message).toMatch(/header line is longer than/);
    expectBounded(outcome);
  });

  it("text without a newline: kept up to 64 KiB, then a clear error", async () => {
    await using host = await httpHost((response) => {
      okHeaders(response);
      stream(response, Buffer.from("Hello"), () => FILLER);
    });
    const outcome = await run(host, "http", `hostile-http-text-${Date.now()}`);
    expect(failure(outcome.value).code).toBe("QUERY_FAILED");
    expect(failure(outcome.value).message.length).toBeLessThan(70_000);
    expectBounded(outcome);
  });

  it("a row without end: cut by bytes once it cannot fit, and the query killed", async () => {
    await using host = await httpHost((response) => {
      okHeaders(response);
      stream(response, Buffer.from(`${HEADER}["`), () => FILLER);
    });
    const queryId = `hostile-http-row-${Date.now()}`;
    const outcome = await run(host, "http", queryId);
    const cut = result(outcome.value);
    expect(cut.rowCount).toBe(0);
    expect(cut.truncated).toEqual({ reason: "bytes", limit: CAP });
    expect(host.kills).toEqual([queryId]);
    expectBounded(outcome);
  });

  it("rows without end: cut by bytes at the cap", async () => {
    const row = Buffer.from(`["${"x".repeat(1000)}"]\n`);
    await using host = await httpHost((response) => {
      okHeaders(response);
      stream(response, Buffer.from(HEADER), () => row);
    });
    const outcome = await run(host, "http", `hostile-http-rows-${Date.now()}`);
    const cut = result(outcome.value);
    // Each row counts its compact JSON plus a newline: as many bytes as its line here.
    expect(cut.rowCount).toBe(Math.floor(CAP / row.length));
    expect(cut.truncated).toEqual({ reason: "bytes", limit: CAP });
    expectBounded(outcome);
  });

  it("an error answer without end: the error, with its text cut at 64 KiB", async () => {
    await using host = await httpHost((response) => {
      response.writeHead(500, { "X-ClickHouse-Exception-Code": "241" });
      stream(response, Buffer.from("Code: 241. DB::Exception: Memory limit exceeded: "), () => FILLER);
    });
    const outcome = await run(host, "http", `hostile-http-error-${Date.now()}`);
    const error = failure(outcome.value);
    expect(error.clickhouseCode).toBe(241);
    expect(error.message.length).toBeLessThan(70_000);
    expectBounded(outcome);
  });
});

describe("a native-protocol host that never stops sending", () => {
  it("a String value announced at 1 TiB, streamed for ever: cut by bytes, never buffered", async () => {
    await using host = await nativeHost((socket) => {
      const first = Buffer.concat([dataPacket(0), dataPacket(1, varUInt(2 ** 40))]);
      stream(socket, first, () => FILLER);
    });
    const queryId = `hostile-tcp-value-${Date.now()}`;
    const outcome = await run(host, "tcp", queryId);
    const cut = result(outcome.value);
    expect(cut.rowCount).toBe(0);
    expect(cut.truncated).toEqual({ reason: "bytes", limit: CAP });
    expect(host.kills.some((packet) => packet.includes(queryId))).toBe(true);
    expectBounded(outcome);
  });

  it("Data blocks without end: cut by bytes at the cap", async () => {
    const value = "x".repeat(1000);
    const block = dataPacket(1, text(value));
    await using host = await nativeHost((socket) => stream(socket, dataPacket(0), () => block));
    const outcome = await run(host, "tcp", `hostile-tcp-blocks-${Date.now()}`);
    const cut = result(outcome.value);
    expect(cut.rowCount).toBe(Math.floor(CAP / Buffer.byteLength(`${JSON.stringify([value])}\n`)));
    expect(cut.truncated).toEqual({ reason: "bytes", limit: CAP });
    expectBounded(outcome);
  });
});
