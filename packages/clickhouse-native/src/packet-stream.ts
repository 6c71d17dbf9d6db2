import type { Socket } from "node:net";
import type { ByteQueue } from "./byte-queue.js";
import type { ColumnDecoder } from "./columns.js";
import { CompressedSource } from "./compression.js";
import { NativeError } from "./errors.js";
import { endSocket, type OpenedSocket } from "./open-socket.js";
import type { ServerMessage } from "./protocol.js";
import { type Parse, RawSource, type ReadLimits } from "./reader.js";
import { type ReadContext, readServerMessage } from "./server-packets.js";
import type { TimeZoneFormatter } from "./text.js";

// Unparsed input kept while nobody reads before the socket is paused.
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/**
 * What the packet stream needs from its connection: the narrow interface between the two, so
 * that the connection keeps its state private (like QueryChannel between a result and it).
 */
export interface PacketStreamHost {
  /** The connection's failure, once it has one: a read then rejects with it. */
  failure(): NativeError | undefined;
  /** True once the connection was closed or broke: nothing more is written. */
  closed(): boolean;
  /** Drops the connection: the socket broke or closed, or its data cannot be parsed. */
  fail(error: NativeError): void;
}

/**
 * The packet loop of one connection: takes the socket's bytes, parses them into server packets
 * one `readMessage()` at a time, pauses the socket while nobody reads (backpressure) and writes
 * client packets. On a new socket (`attach`) after the old one was left (`detach`).
 */
export class PacketStream {
  /** The socket the connection speaks on now. */
  socket: Socket;
  /** How the next packets are parsed (compression, time zone, decoders, byte budget). */
  readContext: ReadContext;

  private queue: ByteQueue;
  private raw: RawSource;
  private parser: Parse<ServerMessage> | undefined;
  private need = 0;
  private waiter:
    | { resolve: (message: ServerMessage) => void; reject: (error: NativeError) => void }
    | undefined;
  private detachHandlers: () => void = () => {};

  constructor(
    private readonly host: PacketStreamHost,
    /** host:port, for messages. */
    private readonly where: string,
    private readonly revision: number,
    private readonly limits: ReadLimits,
    opened: OpenedSocket,
    timezone: string,
  ) {
    this.socket = opened.socket;
    this.queue = opened.queue;
    this.raw = new RawSource(this.queue);
    this.readContext = this.newReadContext(false, timezone);
    this.attach(opened);
  }

  /** Reads from `opened` from now on. */
  attach(opened: OpenedSocket): void {
    const { socket } = opened;
    this.socket = socket;
    this.queue = opened.queue;
    this.raw = new RawSource(this.queue);
    this.parser = undefined;
    this.need = 0;
    const onData = (chunk: Buffer) => {
      this.queue.push(chunk);
      this.pump();
    };
    const onError = (error: NodeJS.ErrnoException) => {
      this.host.fail(
        new NativeError("CONNECTION_CLOSED", `Connection to ${this.where} failed: ${error.message}`, {
          ...(error.code === undefined ? {} : { systemCode: error.code }),
          cause: error,
        }),
      );
    };
    const onClose = () =>
      this.host.fail(new NativeError("CONNECTION_CLOSED", `The connection to ${this.where} was closed`));
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    this.detachHandlers = () => {
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.on("error", () => {});
      this.detachHandlers = () => {};
    };
  }

  /** Nothing more is read from the current socket. */
  detach(): void {
    this.detachHandlers();
  }

  /** A read context for the next packets, reading from the current socket. */
  newReadContext(
    compression: boolean,
    timezone: string,
    nonFiniteFloats: "null" | "text" = "null",
    jsonTextColumns?: ReadonlySet<string>,
  ): ReadContext {
    const limits = this.limits;
    return {
      raw: this.raw,
      data: compression ? new CompressedSource(this.raw, limits.maxFrameBytes) : this.raw,
      revision: this.revision,
      limits,
      decoding: { timezone, limits, nonFiniteFloats },
      zones: new Map<string, TimeZoneFormatter>(),
      decoders: new Map<string, ColumnDecoder>(),
      ...(jsonTextColumns && { jsonTextColumns }),
    };
  }

  /**
   * The connection has failed with `failure`: bytes that arrived before the end may still
   * complete the message being read; otherwise that read rejects. Then the socket is left.
   */
  shutDown(failure: NativeError): void {
    this.pump();
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = undefined;
      reject(failure);
    }
    // Nothing more is read from this socket. Ended rather than reset: a reset can lose what the
    // server still sends, and the embedded test server exits on one.
    this.detach();
    if (!this.socket.destroyed) void endSocket(this.socket);
  }

  private pump(): void {
    while (this.waiter && this.queue.available >= this.need) {
      this.parser ??= readServerMessage(this.readContext);
      let step: IteratorResult<number, ServerMessage>;
      try {
        step = this.parser.next();
      } catch (error) {
        this.parser = undefined;
        const failure =
          error instanceof NativeError
            ? error
            : new NativeError("PROTOCOL_ERROR", `Malformed data from ${this.where}: ${String(error)}`, {
                cause: error,
              });
        // The stream cannot be resynchronised after a parse failure.
        this.host.fail(failure);
        return;
      }
      if (step.done) {
        this.parser = undefined;
        this.need = 0;
        const { resolve } = this.waiter;
        this.waiter = undefined;
        resolve(step.value);
      } else {
        this.need = step.value;
      }
    }
    if (!this.waiter && this.queue.available > HIGH_WATER_BYTES && !this.socket.isPaused())
      this.socket.pause();
  }

  /** The next packet from the server. */
  readMessage(): Promise<ServerMessage> {
    if (this.waiter) return Promise.reject(new TypeError("readMessage is already pending"));
    return new Promise<ServerMessage>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
      const failure = this.host.failure();
      if (this.waiter && failure) {
        this.waiter = undefined;
        reject(failure);
        return;
      }
      if (this.waiter && this.socket.isPaused()) this.socket.resume();
    });
  }

  /** Sends a packet, unless the connection is closed. */
  write(data: Buffer): void {
    if (this.host.closed()) return;
    this.socket.write(data);
  }
}
