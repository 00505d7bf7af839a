/**
 * Customers' feature states kept as their snapshot bytes (FeatureSet.encode, the format the
 * profile store saves) in a few large byte arenas outside the JS heap, instead of a graph of
 * objects and arrays per customer: about the snapshot's size per customer plus an index
 * entry, against ~10 KB of heap for the decoded objects (docs/decisions/0014-packed-online-state.md).
 *
 * Each customer has a slot: its region's position, length and size class in typed arrays.
 * Regions come in size classes (~12% apart, 16-byte steps) with a free list per class, so a
 * state that outgrows its region moves to a larger class and leaves its old one for the next
 * customer of that size; no compaction is needed. The index (id → slot) is a Map kept in
 * least-recently-used order: `touch` moves a customer to the end, `keys` walks coldest first.
 */

/** Arena chunk size: positions are chunk × CHUNK + offset; a region never spans two chunks. */
const CHUNK = 1 << 24;
/** A state larger than this gets its own buffer (a very long distinct-value list, say). */
const OVERSIZE = CHUNK >>> 2;
const OVERSIZE_CLASS = 255;

/** Region capacities: 32, 48, 64, … growing by ~1/8 (multiples of 16) up to OVERSIZE. */
const CLASS_SIZES: number[] = (() => {
  const out = [32];
  while (out[out.length - 1]! < OVERSIZE) {
    const prev = out[out.length - 1]!;
    out.push(Math.min(OVERSIZE, Math.max(prev + 16, Math.ceil((prev * 1.125) / 16) * 16)));
  }
  return out;
})();

function classOf(len: number): number {
  let lo = 0;
  let hi = CLASS_SIZES.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (CLASS_SIZES[mid]! >= len) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface PackedStats {
  customers: number;
  /** Bytes of the states themselves. */
  stateBytes: number;
  /** Arena bytes allocated (states, their class rounding, free regions and chunk tails). */
  arenaBytes: number;
}

export class PackedStates {
  private readonly index = new Map<string, number>();
  private pos = new Float64Array(1024);
  private len = new Uint32Array(1024);
  private cls = new Uint8Array(1024);
  private slots = 0;
  private readonly freeSlots: number[] = [];
  private readonly freeRegions: number[][] = CLASS_SIZES.map(() => []);
  private readonly chunks: Uint8Array[] = [];
  /** Next free byte in the last chunk. */
  private top = 0;
  private readonly oversize = new Map<number, Uint8Array>();
  private stateBytes = 0;

  get size(): number {
    return this.index.size;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  /** A view of the customer's bytes: valid until the next `set` or `delete`, so copy it to keep it. */
  get(id: string): Uint8Array | undefined {
    const slot = this.index.get(id);
    return slot === undefined ? undefined : this.view(slot);
  }

  /** Writes a customer's bytes (copied); a new customer becomes the most recently used. */
  set(id: string, bytes: Uint8Array): void {
    let slot = this.index.get(id);
    const n = bytes.length;
    if (slot === undefined) {
      slot = this.newSlot();
      this.index.set(id, slot);
      this.place(slot, n);
    } else {
      this.stateBytes -= this.len[slot]!;
      const c = this.cls[slot]!;
      const fits = c === OVERSIZE_CLASS ? n > OVERSIZE && n <= this.oversize.get(slot)!.length : n <= CLASS_SIZES[c]!;
      if (!fits) {
        this.release(slot);
        this.place(slot, n);
      }
    }
    this.len[slot] = n;
    this.stateBytes += n;
    this.view(slot).set(bytes);
  }

  /** Makes a customer the most recently used (no-op when absent). */
  touch(id: string): void {
    const slot = this.index.get(id);
    if (slot === undefined) return;
    this.index.delete(id);
    this.index.set(id, slot);
  }

  delete(id: string): boolean {
    const slot = this.index.get(id);
    if (slot === undefined) return false;
    this.index.delete(id);
    this.stateBytes -= this.len[slot]!;
    this.release(slot);
    this.freeSlots.push(slot);
    return true;
  }

  /** Customer ids, least recently used first. */
  keys(): IterableIterator<string> {
    return this.index.keys();
  }

  clear(): void {
    this.index.clear();
    this.slots = 0;
    this.freeSlots.length = 0;
    for (const f of this.freeRegions) f.length = 0;
    this.chunks.length = 0;
    this.top = 0;
    this.oversize.clear();
    this.stateBytes = 0;
  }

  stats(): PackedStats {
    let arena = 0;
    for (const c of this.chunks) arena += c.length;
    for (const b of this.oversize.values()) arena += b.length;
    return { customers: this.index.size, stateBytes: this.stateBytes, arenaBytes: arena };
  }

  /** The slot's whole region (its capacity, not only the state's length). */
  private regionOf(slot: number): Uint8Array {
    if (this.cls[slot] === OVERSIZE_CLASS) return this.oversize.get(slot)!;
    const p = this.pos[slot]!;
    const chunk = Math.floor(p / CHUNK);
    const off = p - chunk * CHUNK;
    return this.chunks[chunk]!.subarray(off, off + CLASS_SIZES[this.cls[slot]!]!);
  }

  private view(slot: number): Uint8Array {
    const n = this.len[slot]!;
    if (this.cls[slot] === OVERSIZE_CLASS) return this.oversize.get(slot)!.subarray(0, n);
    const p = this.pos[slot]!;
    const chunk = Math.floor(p / CHUNK);
    const off = p - chunk * CHUNK;
    return this.chunks[chunk]!.subarray(off, off + n);
  }

  private newSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.slots === this.pos.length) {
      const cap = this.pos.length * 2;
      const pos = new Float64Array(cap);
      pos.set(this.pos);
      this.pos = pos;
      const len = new Uint32Array(cap);
      len.set(this.len);
      this.len = len;
      const cls = new Uint8Array(cap);
      cls.set(this.cls);
      this.cls = cls;
    }
    return this.slots++;
  }

  /** Gives a slot a region for n bytes. */
  private place(slot: number, n: number): void {
    if (n > OVERSIZE) {
      this.cls[slot] = OVERSIZE_CLASS;
      this.oversize.set(slot, new Uint8Array(Math.ceil(n * 1.25)));
      return;
    }
    const c = classOf(n);
    this.cls[slot] = c;
    const reuse = this.freeRegions[c]!.pop();
    this.pos[slot] = reuse ?? this.bump(CLASS_SIZES[c]!);
  }

  /** Returns a slot's region to its class's free list. */
  private release(slot: number): void {
    // Zeroed: a region left behind (a move to a larger class, an eviction, an erasure) keeps no copy of the state.
    this.regionOf(slot).fill(0);
    const c = this.cls[slot]!;
    if (c === OVERSIZE_CLASS) this.oversize.delete(slot);
    else this.freeRegions[c]!.push(this.pos[slot]!);
  }

  /** A fresh region of `cap` bytes at the top of the last chunk, which grows (by doubling) up to CHUNK. */
  private bump(cap: number): number {
    let last = this.chunks.length - 1;
    if (last < 0 || (this.top + cap > this.chunks[last]!.length && this.chunks[last]!.length === CHUNK)) {
      this.chunks.push(new Uint8Array(Math.min(CHUNK, 1 << 16)));
      last++;
      this.top = 0;
    }
    const chunk = this.chunks[last]!;
    if (this.top + cap > chunk.length) {
      let size = chunk.length;
      while (this.top + cap > size) size *= 2;
      const grown = new Uint8Array(Math.min(CHUNK, size));
      grown.set(chunk.subarray(0, this.top));
      this.chunks[last] = grown;
    }
    const at = last * CHUNK + this.top;
    this.top += cap;
    return at;
  }
}
