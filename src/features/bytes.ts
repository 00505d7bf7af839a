const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** A growable little-endian byte writer for state snapshots: varints for counts, f64 for money. */
export class ByteWriter {
  private buf = new Uint8Array(2048);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Unsigned integer up to 2^53, 7 bits a byte. */
  uint(x: number): void {
    this.ensure(8);
    let v = x;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** Signed integer (zig-zag), for day numbers and deltas. */
  int(x: number): void {
    this.uint(x >= 0 ? x * 2 : -x * 2 - 1);
  }

  f64(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  /** A number that is often a small integer: 1 tag byte + varint, else f64. */
  num(x: number): void {
    if (Number.isInteger(x) && Math.abs(x) < 2 ** 48) {
      this.ensure(1);
      this.buf[this.pos++] = 0;
      this.int(x);
    } else {
      this.ensure(1);
      this.buf[this.pos++] = 1;
      this.f64(x);
    }
  }

  str(s: string): void {
    // Ids and codes are short ASCII: written as they are, without a TextEncoder allocation.
    const n = s.length;
    if (n < 128) {
      this.ensure(n + 1);
      const buf = this.buf;
      const at = this.pos;
      let i = 0;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + 1 + i] = c;
        i++;
      }
      if (i === n) {
        buf[at] = n;
        this.pos = at + 1 + n;
        return;
      }
    }
    const bytes = utf8Encoder.encode(s);
    this.uint(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** What was written, without copying: valid until the next write or reset. */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Starts over, keeping the buffer (one writer reused for many snapshots). */
  reset(): void {
    this.pos = 0;
  }

  /** Appends bytes as they are (a run copied from another snapshot). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Zeroes the buffer (it held some customer's state: an erasure leaves no copy behind). */
  wipe(): void {
    this.buf.fill(0);
    this.pos = 0;
  }
}

/** Reads what ByteWriter wrote, in the same order. */
export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  uint(): number {
    let x = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new Error('feature state snapshot is truncated');
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 0x80;
    }
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f64(): number {
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  num(): number {
    const tag = this.buf[this.pos++];
    return tag === 0 ? this.int() : this.f64();
  }

  str(): string {
    const n = this.uint();
    const s = utf8Decoder.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** The read position (bytes from the start). */
  get position(): number {
    return this.pos;
  }

  /** The bytes from `from` up to the read position, without copying. */
  since(from: number): Uint8Array {
    return this.buf.subarray(from, this.pos);
  }

  /** Consumes a zero (a uint 0 is the one byte 0) and says so; anything else is left unread. */
  zero(): boolean {
    if (this.buf[this.pos] !== 0) return false;
    this.pos++;
    return true;
  }

  /** Steps over a varint (uint or int) without decoding it. */
  skipVarint(): void {
    const buf = this.buf;
    let p = this.pos;
    while (p < buf.length && buf[p]! >= 0x80) p++;
    if (p >= buf.length) throw new Error('feature state snapshot is truncated');
    this.pos = p + 1;
  }

  /** Steps over n varints. */
  skipVarints(n: number): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      while (p < buf.length && buf[p]! >= 0x80) p++;
      p++;
    }
    if (p > buf.length) throw new Error('feature state snapshot is truncated');
    this.pos = p;
  }

  /** Steps over n bytes (f64s, string bodies). */
  skip(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('feature state snapshot is truncated');
    this.pos += n;
  }

  /** Steps over what `num` reads. */
  skipNum(): void {
    if (this.buf[this.pos++] === 0) this.skipVarint();
    else this.skip(8);
  }
}
