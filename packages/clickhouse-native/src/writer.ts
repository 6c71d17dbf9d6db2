/** Builds one outgoing packet (or several) in a growable buffer. */
export class Writer {
  private buf: Buffer;
  private length = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  varUInt(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Not a varuint: ${value}`);
    this.reserve(10);
    let rest = value;
    while (rest >= 0x80) {
      this.buf[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buf[this.length++] = rest;
    return this;
  }

  uint8(value: number): this {
    this.reserve(1);
    this.buf[this.length++] = value & 0xff;
    return this;
  }

  int32(value: number): this {
    this.reserve(4);
    this.buf.writeInt32LE(value, this.length);
    this.length += 4;
    return this;
  }

  int64(value: bigint): this {
    this.reserve(8);
    this.buf.writeBigInt64LE(value, this.length);
    this.length += 8;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.reserve(value.length);
    this.buf.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** A varuint length, then the UTF-8 bytes. */
  string(value: string): this {
    const size = Buffer.byteLength(value, "utf8");
    this.varUInt(size);
    this.reserve(size);
    this.buf.write(value, this.length, "utf8");
    this.length += size;
    return this;
  }

  /** A copy of what was written. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}
