// The connection's state machine against fake servers that replay bytes captured from ClickHouse.
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "./connection.js";
import { httpResult, nativeFixtures, response } from "./test-support/fixtures.js";
import { Writer } from "./writer.js";

const HELLO = Buffer.from(nativeFixtures.hello, "hex");
const servers: Server[] = [];
const sockets = new Set<Socket>();

async function fakeServer(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    onConnection(socket);
    // Read whatever comes, so that the client's end is seen.
    socket.resume();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

/** Sends `bytes` a few at a time, each slice in its own turn of the event loop. */
async function trickle(socket: Socket, bytes: Buffer, size: number): Promise<void> {
  for (let at = 0; at < bytes.length && !socket.destroyed; at += size) {
    socket.write(bytes.subarray(at, at + size));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Answers the Hello, then answers a query containing `marker` with a captured response. */
function replay(marker: string, answer: Buffer, sliceSize = answer.length) {
  return (socket: Socket) => {
    socket.write(HELLO);
    let seen = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      if (seen.includes(marker)) {
        seen = Buffer.alloc(0);
        void trickle(socket, answer, sliceSize);
      }
    });
    socket.on("error", () => {});
  };
}

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const options = (port: number) => ({
  host: "127.0.0.1",
  port,
  username: "u",
  password: "secret-password-123",
});

describe("Connection with a fake server", () => {
  it("decodes a captured answer that arrives a few bytes at a time", async () => {
    const fixture = response("types");
    const port = await fakeServer(replay("SELECT * EXCEPT", Buffer.from(fixture.server, "hex"), 7));
    await using connection = await connect(options(port));
    expect(connection.server.timezone).toBe("Etc/UTC");
    const result = await connection.query(fixture.query);
    const { rows } = await result.collect();
    expect(rows).toEqual(httpResult(fixture)!.rows);
    expect(result.done).toBe(true);
  });

  it("times out a server that never says Hello", async () => {
    const port = await fakeServer(() => {});
    await expect(connect({ ...options(port), connectTimeoutMs: 100 })).rejects.toMatchObject({
      code: "CONNECT_FAILED",
      systemCode: "ETIMEDOUT",
    });
  });

  it("refuses a server older than revision 54405", async () => {
    const hello = new Writer()
      .varUInt(0)
      .string("ClickHouse")
      .varUInt(18)
      .varUInt(16)
      .varUInt(54_401)
      .string("UTC")
      .string("old")
      .varUInt(1);
    const port = await fakeServer((socket) => {
      socket.on("error", () => {});
      socket.write(hello.toBuffer());
    });
    await expect(connect(options(port))).rejects.toMatchObject({
      code: "UNSUPPORTED_SERVER",
      message: expect.stringContaining("revision 54401"),
    });
  });

  it("reports a server that is not ClickHouse", async () => {
    const port = await fakeServer((socket) => {
      socket.on("error", () => {});
      socket.write("HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    await expect(connect(options(port))).rejects.toMatchObject({
      code: "PROTOCOL_ERROR",
      message: expect.stringContaining("packet 72"),
    });
  });

  it("reports a server that closes during the handshake, without the password in the message", async () => {
    const port = await fakeServer((socket) => socket.end());
    const error = await connect(options(port)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: "CONNECT_FAILED" });
    expect(error?.message).not.toContain("secret-password-123");
  });

  it("fails the query and closes the connection when the server goes away mid-answer", async () => {
    const bytes = Buffer.from(response("multi-block-lz4").server, "hex");
    const port = await fakeServer((socket) => {
      socket.write(HELLO);
      socket.on("error", () => {});
      socket.once("data", () => {});
      socket.on("data", (chunk: Buffer) => {
        if (chunk.includes("numbers(3000)")) socket.end(bytes.subarray(0, Math.floor(bytes.length / 2)));
      });
    });
    await using connection = await connect(options(port));
    const result = await connection.query("SELECT number, toString(number) AS s FROM numbers(3000)", {
      compression: true,
    });
    await expect(result.collect()).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    expect(connection.isOpen).toBe(false);
    await expect(connection.query("SELECT 1")).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
  });

  it("drops the connection when the server does not end a cancelled query in time", async () => {
    const header = Buffer.from(response("types").server, "hex");
    // Everything up to the end of the header block, then silence.
    const port = await fakeServer(replay("SELECT * EXCEPT", header.subarray(0, 0x26d)));
    await using connection = await connect({ ...options(port), cancelTimeoutMs: 100 });
    const result = await connection.query(response("types").query);
    expect(result.columns).toHaveLength(29);
    await result.cancel();
    expect(result.done).toBe(true);
    expect(connection.isOpen).toBe(false);
  });

  it("validates its options", async () => {
    await expect(connect({ host: "", port: 1 })).rejects.toThrow(TypeError);
    await expect(connect({ host: "h", port: 70_000 })).rejects.toThrow(TypeError);
    await expect(connect({ host: "h", port: 1, limits: { maxRows: 0 } })).rejects.toThrow(TypeError);
  });
});
