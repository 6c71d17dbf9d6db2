import { protocolError } from "./errors.js";

const EMPTY = Buffer.alloc(0);
// A varuint never needs more than 10 bytes (64 bits, 7 per byte).
const MAX_VARINT_BYTES = 10;

/**
 * Bytes received but not yet parsed, kept as the chunks they arrived in. Reads are synchronous
 * and only made once enough bytes are there (`available`); a read that crosses chunks copies just
 * the chunks it needs into one buffer, so every byte is copied at most a few times however the
 * input is split.
 */
export class ByteQueue {
  private current: Buffer = EMPTY;
  private pos = 0;
  private readonly pending: Buffer[] = [];
  private pendingHead = 0;
  private size = 0;

  /** Unread bytes. */
  get available(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.size += chunk.length;
  }

  /** Makes the next `n` bytes (n <= available) contiguous in `current` from `pos`. */
  private contiguous(n: number): void {
    let have = this.current.length - this.pos;
    if (have >= n) return;
    if (have === 0 && this.pendingHead < this.pending.length) {
      this.current = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = EMPTY;
      this.pos = 0;
      have = this.current.length;
      if (have >= n) {
        this.compactPending();
        return;
      }
    }
    const parts: Buffer[] = [this.current.subarray(this.pos)];
    while (have < n) {
      const next = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = EMPTY;
      parts.push(next);
      have += next.length;
    }
    this.current = Buffer.concat(parts, have);
    this.pos = 0;
    this.compactPending();
  }

  private compactPending(): void {
    if (this.pendingHead > 64 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
  }

  /** The next `n` bytes as a view (valid until the queue is read further); n <= available. */
  take(n: number): Buffer {
    this.contiguous(n);
    const out = this.current.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.size -= n;
    return out;
  }

  /** Like `take`, without consuming. */
  peek(n: number): Buffer {
    this.contiguous(n);
    return this.current.subarray(this.pos, this.pos + n);
  }

  skip(n: number): void {
    this.take(n);
  }

  /** Drops the next `n` bytes (n <= available) without making them contiguous: nothing is copied. */
  discard(n: number): void {
    this.size -= n;
    let left = n;
    for (;;) {
      const have = this.current.length - this.pos;
      if (have >= left) {
        this.pos += left;
        break;
      }
      left -= have;
      this.current = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = EMPTY;
      this.pos = 0;
    }
    this.compactPending();
  }

  /**
   * Reads a varuint if all of it is there; otherwise consumes nothing and returns -1. Values
   * above 2^53 are refused: every varuint the server sends is a code, a count or a length.
   */
  tryVarUInt(): number {
    const limit = Math.min(this.size, MAX_VARINT_BYTES);
    if (limit === 0) return -1;
    this.contiguous(limit);
    const buf = this.current;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < limit; i++) {
      const byte = buf[this.pos + i]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw protocolError("A varuint from the server exceeds 2^53");
        this.pos += i + 1;
        this.size -= i + 1;
        return result;
      }
      scale *= 128;
    }
    if (limit === MAX_VARINT_BYTES) throw protocolError("A varuint from the server is longer than 10 bytes");
    return -1;
  }

  /**
   * Reads a varuint-prefixed string of at most `maxBytes` bytes if all of it is there; otherwise
   * consumes nothing, returns undefined and sets `wanted` to the byte count to wait for.
   */
  tryBytes(maxBytes: number, what: string): Buffer | undefined {
    const before = this.size;
    const length = this.tryVarUInt();
    if (length < 0) {
      this.wanted = before + 1;
      return undefined;
    }
    if (length > maxBytes) throw protocolError(`${what} of ${length} bytes exceeds the limit of ${maxBytes}`);
    const header = before - this.size;
    if (this.size < length) {
      this.unread(header);
      this.wanted = header + length;
      return undefined;
    }
    return this.take(length);
  }

  /** Set by `tryBytes` when it returns undefined: how many bytes must be available before retrying. */
  wanted = 0;

  /** Steps back over bytes just read from `current` (only valid right after a read that did not cross chunks). */
  private unread(n: number): void {
    this.pos -= n;
    this.size += n;
  }
}
