/**
 * The hand-off of decision records from the main thread to the decision log's writer thread
 * (decisionLogWorker.ts): a ring of bytes in a SharedArrayBuffer instead of a message per
 * batch (decision 0023). A message costs the main thread a structured clone, the writer's
 * wake-up and, for the reply, a wake-up of the event loop with a MessageEvent to dispatch:
 * ~30 µs of main-thread CPU per round trip on the 2-core VM, paid by every decision that was
 * alone in its batch. Here the main thread writes a record's bytes into the ring and moves a
 * counter; it wakes the writer (Atomics.notify) only when the writer sleeps, and at most once
 * per turn of the event loop. The writer takes every record published since its last commit
 * as one transaction (group commit), writes each record's outcome beside it and moves the
 * committed counter; the main thread waits on that counter with Atomics.waitAsync, one wait
 * at a time, and acknowledges every record the commit covers.
 *
 * Layout: CONTROL_BYTES of Int32 counters, then CAPACITY bytes of frames. Counters count
 * bytes since the start, modulo 2^32 (a position is `counter & (CAPACITY - 1)`). A frame is
 * [length][status][payload, padded to 4 bytes]; a frame never wraps: where the next one does
 * not fit before the end, a WRAP length (or fewer than 8 bytes left) sends both sides to 0.
 * The payload is UTF-8: the row's columns as a JSON array, a newline, the record's JSON.
 */

/** Counters (Int32 indexes into the control words). */
export const PUBLISHED = 0; // bytes the main thread has published (frames the writer may read)
export const COMMITTED = 1; // bytes the writer has read and committed (statuses written)
export const SIGNAL = 2; // bumped by the main thread after each publish or control message
export const SLEEPING = 3; // 1 while the writer waits on SIGNAL
export const CONTROL_BYTES = 64;
/** Frame statuses, written by the writer before it moves COMMITTED. */
export const PENDING = 0;
export const STORED = 1;
export const DUPLICATE = 2;
/** The write failed: the frame's length word then holds the error text's byte length, its payload the text. */
export const FAILED = 3;
export const WRAP = -1;
const HEADER = 8;

const align4 = (n: number) => (n + 3) & ~3;
/** Atomics.waitAsync (Node 16+; not in TypeScript's ES2022 lib). */
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;

/** One record in the ring (or waiting for room), with its acknowledgement. */
export interface Frame {
  text: string;
  start: number;
  end: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** The main thread's side of the ring: writes frames, publishes them, reads their outcomes once committed. */
export class RecordRing {
  readonly buffer: SharedArrayBuffer;
  private readonly control: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Buffer;
  private readonly mask: number;
  private readonly encoder = new TextEncoder();
  /** Bytes written (published or about to be), and bytes whose frames have been acknowledged: counters mod 2^32. */
  private head = 0;
  private acked = 0;

  constructor(readonly capacity: number) {
    if (capacity < 1024 || (capacity & (capacity - 1)) !== 0) throw new Error(`ring capacity ${capacity}: a power of two of at least 1,024 bytes`);
    this.buffer = new SharedArrayBuffer(CONTROL_BYTES + capacity);
    this.control = new Int32Array(this.buffer, 0, CONTROL_BYTES / 4);
    this.words = new Int32Array(this.buffer, CONTROL_BYTES, capacity / 4);
    this.bytes = Buffer.from(this.buffer, CONTROL_BYTES, capacity);
    this.mask = capacity - 1;
  }

  /** The largest payload a frame may carry: half the ring, so it always fits once the ring has drained. */
  get maxPayload(): number {
    return this.capacity / 2 - HEADER;
  }

  /**
   * Writes a frame at the head if there is room (false: none until acknowledgements free
   * some). Not visible to the writer until `publish`.
   */
  put(f: Frame): boolean {
    let free = this.capacity - ((this.head - this.acked) >>> 0);
    let pos = this.head & this.mask;
    const toEnd = this.capacity - pos;
    if (this.tryAt(f, pos, Math.min(toEnd, free))) return true;
    if (toEnd >= free) return false; // short of room, not of the ring's end
    // The ring's end is in the way: skip to its start (the writer skips the same way).
    this.words[pos >> 2] = WRAP;
    this.head = (this.head + toEnd) >>> 0;
    free -= toEnd;
    pos = 0;
    return this.tryAt(f, pos, free);
  }

  private tryAt(f: Frame, pos: number, room: number): boolean {
    if (room < HEADER + 4) return false;
    const r = this.encoder.encodeInto(f.text, this.bytes.subarray(pos + HEADER, pos + room));
    if (r.read < f.text.length) return false;
    this.words[pos >> 2] = r.written;
    this.words[(pos >> 2) + 1] = PENDING;
    f.start = this.head;
    this.head = (this.head + align4(HEADER + r.written)) >>> 0;
    f.end = this.head;
    return true;
  }

  /** Makes every frame put so far visible to the writer; true when the writer sleeps (wake it with `wake`). */
  publish(): boolean {
    Atomics.store(this.control, PUBLISHED, this.head | 0);
    // After the publish, so a writer going to sleep either sees the frames or sees SIGNAL move.
    Atomics.add(this.control, SIGNAL, 1);
    return Atomics.load(this.control, SLEEPING) === 1;
  }

  /** Wakes the writer (it rechecks the ring and its control messages). */
  wake(): void {
    Atomics.add(this.control, SIGNAL, 1);
    Atomics.notify(this.control, SIGNAL);
  }

  /** The committed counter. */
  committed(): number {
    return Atomics.load(this.control, COMMITTED) >>> 0;
  }

  /** Whether the frame is covered by the committed counter `c`. */
  isCommitted(f: Frame, c: number): boolean {
    return ((c - f.end) | 0) >= 0;
  }

  /** A committed frame's outcome: undefined when stored, else the error to reject it with. */
  outcome(f: Frame, duplicate: string): Error | undefined {
    const pos = f.start & this.mask;
    const status = this.words[(pos >> 2) + 1];
    if (status === STORED) return undefined;
    if (status === DUPLICATE) return new Error(duplicate);
    if (status === FAILED) return new Error(this.bytes.toString('utf8', pos + HEADER, pos + HEADER + this.words[pos >> 2]!));
    return new Error(`decision log writer left a record with status ${status}`);
  }

  /** Frees the space of every frame up to the committed counter `c` (their outcomes read). */
  release(c: number): void {
    this.acked = c;
  }

  /**
   * Resolves when the committed counter moves past `seen` (at once if it already has): one
   * Atomics.waitAsync, woken by the writer's notify.
   */
  async committedPast(seen: number): Promise<void> {
    const w = waitAsync(this.control, COMMITTED, seen | 0);
    if (w.async) await w.value;
  }
}

/**
 * The writer's side, as plain CommonJS source for the worker (it runs with no TypeScript
 * loader). `takeFrames(published)` parses the frames up to `published` (at most `max`),
 * `settle` writes their outcomes and moves COMMITTED, then notifies.
 */
export const RING_READER_SOURCE = `
const HEADER = 8, WRAP = ${WRAP}, STORED = ${STORED}, DUPLICATE = ${DUPLICATE}, FAILED = ${FAILED};
function ringReader(sab, capacity) {
  const control = new Int32Array(sab, 0, ${CONTROL_BYTES / 4});
  const words = new Int32Array(sab, ${CONTROL_BYTES}, capacity / 4);
  const bytes = Buffer.from(sab, ${CONTROL_BYTES}, capacity);
  const mask = capacity - 1;
  let read = 0;
  return {
    control,
    pending: () => ((Atomics.load(control, ${PUBLISHED}) >>> 0) !== read),
    takeFrames(max) {
      const published = Atomics.load(control, ${PUBLISHED}) >>> 0;
      const frames = [];
      while (read !== published && frames.length < max) {
        const pos = read & mask;
        const toEnd = capacity - pos;
        if (toEnd < HEADER + 4 || words[pos >> 2] === WRAP) { read = (read + toEnd) >>> 0; continue; }
        const len = words[pos >> 2];
        const payload = bytes.subarray(pos + HEADER, pos + HEADER + len);
        const nl = payload.indexOf(10);
        frames.push({ pos, len, columns: payload.subarray(0, nl), record: payload.subarray(nl + 1) });
        read = (read + ((HEADER + len + 3) & ~3)) >>> 0;
      }
      return frames;
    },
    settle(frames) {
      for (const f of frames) {
        if (f.error === undefined) words[(f.pos >> 2) + 1] = f.duplicate ? DUPLICATE : STORED;
        else {
          const n = bytes.write(f.error, f.pos + HEADER, f.len, 'utf8');
          words[f.pos >> 2] = n;
          words[(f.pos >> 2) + 1] = FAILED;
        }
      }
      Atomics.store(control, ${COMMITTED}, read | 0);
      Atomics.notify(control, ${COMMITTED});
    },
  };
}
`;
