import { isIP, type Socket, connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { ByteQueue } from "./byte-queue.js";
import { encodeAddendum, encodeHello } from "./client-packets.js";
import { exceptionError, NativeError } from "./errors.js";
import { isTlsErrorCode } from "./network-errors.js";
import type { ResolvedOptions } from "./options.js";
import {
  CLIENT_REVISION,
  MIN_SERVER_REVISION,
  REVISION,
  type ServerHello,
  type ServerMessage,
} from "./protocol.js";
import { type Parse, RawSource } from "./reader.js";
import { type ReadContext, readServerMessage } from "./server-packets.js";

// Opening a socket (TCP or TLS) and the Hello exchange; ending one gracefully.

const CLOSE_GRACE_MS = 2_000;

/** A socket after the Hello exchange, with the bytes that arrived after the Hello. */
export interface OpenedSocket {
  socket: Socket;
  queue: ByteQueue;
  hello: ServerHello;
}

/**
 * Connects (TCP or TLS) and logs in at revision 54460. Fails with CONNECT_FAILED, TLS_FAILED,
 * AUTH_FAILED, SERVER_EXCEPTION or UNSUPPORTED_SERVER; never with the password in the message.
 */
export async function openSocket(
  resolved: ResolvedOptions,
  signal: AbortSignal | undefined,
): Promise<OpenedSocket> {
  const { host, port, credentials } = resolved;
  const where = `${host}:${port}`;
  const tls = resolved.tls;
  const socket: Socket = tls
    ? tlsConnect({
        host,
        port,
        ...(isIP(host) ? {} : { servername: host }),
        ...(tls.servername === undefined ? {} : { servername: tls.servername }),
        ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        ...(tls.cert === undefined ? {} : { cert: tls.cert }),
        ...(tls.key === undefined ? {} : { key: tls.key }),
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
      })
    : tcpConnect({ host, port });
  socket.setNoDelay(true);
  const queue = new ByteQueue();
  let connected = false;

  const hello = await new Promise<ServerHello>((resolve, reject) => {
    let settled = false;
    let parser: Parse<ServerMessage> | undefined;
    let need = 0;
    const finish = (error: NativeError | undefined, value?: ServerHello) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.off(tls ? "secureConnect" : "connect", onConnect);
      if (error) {
        socket.on("error", () => {});
        // A graceful end: the embedded test server dies on a reset right after a refused login.
        if (connected) void endSocket(socket);
        else socket.destroy();
        reject(error);
      } else resolve(value!);
    };
    const onAbort = () => finish(new NativeError("CONNECT_FAILED", `Connecting to ${where} was aborted`));
    const onConnect = () => {
      connected = true;
      socket.write(
        encodeHello({
          clientName: resolved.clientName,
          database: credentials.database,
          username: credentials.username,
          password: credentials.password,
        }),
      );
    };
    const onError = (error: NodeJS.ErrnoException) => {
      const systemCode = error.code;
      const tlsFailure = tls !== undefined && (isTlsErrorCode(systemCode) || systemCode === "ECONNRESET");
      const code = tlsFailure ? "TLS_FAILED" : "CONNECT_FAILED";
      const what = tlsFailure ? "TLS connection to" : "Could not connect to";
      finish(
        new NativeError(code, `${what} ClickHouse at ${where} failed: ${error.message}`, {
          ...(systemCode === undefined ? {} : { systemCode }),
          cause: error,
        }),
      );
    };
    const onClose = () =>
      finish(
        new NativeError(
          tls !== undefined && connected ? "TLS_FAILED" : "CONNECT_FAILED",
          `ClickHouse at ${where} closed the connection during the handshake`,
        ),
      );
    const context: ReadContext = {
      raw: new RawSource(queue),
      data: new RawSource(queue),
      revision: CLIENT_REVISION,
      limits: resolved.limits,
      decoding: { timezone: "UTC", limits: resolved.limits },
      zones: new Map(),
      decoders: new Map(),
    };
    const onData = (chunk: Buffer) => {
      queue.push(chunk);
      if (queue.available < need) return;
      parser ??= readServerMessage(context);
      let step: IteratorResult<number, ServerMessage>;
      try {
        step = parser.next();
      } catch (error) {
        finish(
          error instanceof NativeError
            ? error
            : new NativeError("PROTOCOL_ERROR", `Malformed handshake from ${where}: ${String(error)}`),
        );
        return;
      }
      if (!step.done) {
        need = step.value;
        return;
      }
      const message = step.value;
      if (message.type === "hello") finish(undefined, message.hello);
      else if (message.type === "exception") finish(exceptionError(message.exceptions));
      else
        finish(
          new NativeError(
            "PROTOCOL_ERROR",
            `Unexpected ${message.type} packet instead of the server's Hello`,
          ),
        );
    };
    const timer = setTimeout(
      () =>
        finish(
          new NativeError(
            "CONNECT_FAILED",
            `Connecting to ${where} timed out after ${resolved.connectTimeoutMs} ms`,
            {
              systemCode: "ETIMEDOUT",
            },
          ),
        ),
      resolved.connectTimeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.on(tls ? "secureConnect" : "connect", onConnect);
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
  });

  if (hello.revision < MIN_SERVER_REVISION) {
    socket.on("error", () => {});
    void endSocket(socket);
    throw new NativeError(
      "UNSUPPORTED_SERVER",
      `ClickHouse at ${where} speaks protocol revision ${hello.revision}; this client needs at least ${MIN_SERVER_REVISION}`,
    );
  }
  if (Math.min(hello.revision, CLIENT_REVISION) >= REVISION.ADDENDUM) socket.write(encodeAddendum());
  return { socket, queue, hello };
}

/** Ends a socket gracefully (FIN, not reset) and waits for the server to close its side. */
export function endSocket(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    // Keep reading so that the server's FIN (and anything before it) is consumed.
    socket.resume();
    socket.end();
  });
}
