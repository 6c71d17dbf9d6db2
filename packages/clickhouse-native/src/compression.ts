import { ByteQueue } from "./byte-queue.js";
import { cityHash128 } from "./cityhash.js";
import { protocolError } from "./errors.js";
import { lz4Compress, lz4Decompress } from "./lz4.js";
import type { Parse, Source } from "./reader.js";

// A ClickHouse compressed frame: CityHash128 of the rest (16 bytes), method (1 byte), size of
// method + sizes + payload (u32 LE), decompressed size (u32 LE), payload.
const CHECKSUM_BYTES = 16;
const HEADER_BYTES = 9;

export const METHOD_NONE = 0x02;
export const METHOD_LZ4 = 0x82;
export const METHOD_ZSTD = 0x90;

/** Wraps `data` in one compressed frame (LZ4 by default; `none` stores it as is). */
export function encodeFrame(data: Uint8Array, method: "lz4" | "none" = "lz4"): Buffer {
  const payload = method === "lz4" ? lz4Compress(data) : data;
  const frame = Buffer.allocUnsafe(CHECKSUM_BYTES + HEADER_BYTES + payload.length);
  frame[CHECKSUM_BYTES] = method === "lz4" ? METHOD_LZ4 : METHOD_NONE;
  frame.writeUInt32LE(HEADER_BYTES + payload.length, CHECKSUM_BYTES + 1);
  frame.writeUInt32LE(data.length, CHECKSUM_BYTES + 5);
  frame.set(payload, CHECKSUM_BYTES + HEADER_BYTES);
  cityHash128(frame.subarray(CHECKSUM_BYTES)).copy(frame, 0);
  return frame;
}

/** Checks and decompresses one whole frame. */
export function decodeFrame(frame: Buffer, maxFrameBytes: number): Buffer {
  if (frame.length < CHECKSUM_BYTES + HEADER_BYTES) throw protocolError("Truncated compressed frame");
  const { method, compressedSize, rawSize } = frameHeader(frame.subarray(CHECKSUM_BYTES), maxFrameBytes);
  if (frame.length !== CHECKSUM_BYTES + compressedSize) throw protocolError("Compressed frame size mismatch");
  const body = frame.subarray(CHECKSUM_BYTES);
  const expected = frame.subarray(0, CHECKSUM_BYTES);
  if (!cityHash128(body).equals(expected)) throw protocolError("Checksum mismatch in a compressed frame");
  const payload = body.subarray(HEADER_BYTES);
  if (method === METHOD_NONE) {
    if (payload.length !== rawSize) throw protocolError("Uncompressed frame size mismatch");
    return payload;
  }
  try {
    return lz4Decompress(payload, rawSize);
  } catch (error) {
    throw protocolError(error instanceof Error ? error.message : String(error));
  }
}

function frameHeader(header: Buffer, maxFrameBytes: number) {
  const method = header[0]!;
  const compressedSize = header.readUInt32LE(1);
  const rawSize = header.readUInt32LE(5);
  if (method !== METHOD_LZ4 && method !== METHOD_NONE) {
    const name = method === METHOD_ZSTD ? "ZSTD" : `0x${method.toString(16)}`;
    throw protocolError(
      `Unsupported compression method ${name} (only LZ4 is): set network_compression_method='LZ4'`,
    );
  }
  if (compressedSize < HEADER_BYTES) throw protocolError("Compressed frame shorter than its header");
  if (compressedSize > maxFrameBytes || rawSize > maxFrameBytes) {
    throw protocolError(`Compressed frame exceeds the limit of ${maxFrameBytes} bytes`);
  }
  return { method, compressedSize, rawSize };
}

/** The decompressed byte stream of a query's compressed Data packets, read frame by frame from `raw`. */
export class CompressedSource implements Source {
  readonly queue = new ByteQueue();

  constructor(
    private readonly raw: Source,
    private readonly maxFrameBytes: number,
  ) {}

  *fill(n: number): Parse<void> {
    while (this.queue.available < n) yield* this.readFrame();
  }

  private *readFrame(): Parse<void> {
    yield* this.raw.fill(CHECKSUM_BYTES + HEADER_BYTES);
    const { compressedSize } = frameHeader(
      this.raw.queue.peek(CHECKSUM_BYTES + HEADER_BYTES).subarray(CHECKSUM_BYTES),
      this.maxFrameBytes,
    );
    yield* this.raw.fill(CHECKSUM_BYTES + compressedSize);
    // decodeFrame's result may be a view of the queue's buffer: copy-free is safe because the
    // raw queue never rewrites bytes it has handed out.
    this.queue.push(decodeFrame(this.raw.queue.take(CHECKSUM_BYTES + compressedSize), this.maxFrameBytes));
  }
}
