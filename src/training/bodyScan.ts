/**
 * Reading only some fields of an event's stored body (its canonical JSON) without
 * JSON.parse of the whole: the training snapshot's build reads millions of bodies and needs a
 * few fields of each (snapshotReads.ts). Per event type,
 * a tree of the paths wanted: at a leaf the value is taken whole (exactly as JSON.parse gives
 * it), under an inner node only the wanted fields of an object are kept, everything else is
 * skipped (but still checked). Anything it does not expect falls back to JSON.parse of the
 * whole body, so what it gives is, on every path wanted, what JSON.parse gives.
 */

/** The paths wanted under a node: `true` takes the value whole. */
export type Wanted = true | ReadonlyMap<string, Wanted>;

/** A tree of wanted paths from dotted paths (`payload.amount.minor`); a path wanted whole swallows the ones under it. */
export function wantedTree(paths: Iterable<string>): ReadonlyMap<string, Wanted> {
  const root = new Map<string, Wanted>();
  for (const path of paths) {
    const parts = path.split('.');
    let node = root;
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!;
      const last = k === parts.length - 1;
      const cur = node.get(part);
      if (cur === true) break;
      if (last) {
        node.set(part, true);
        break;
      }
      const next = cur ?? new Map<string, Wanted>();
      node.set(part, next);
      node = next as Map<string, Wanted>;
    }
  }
  return root;
}

/** Keys the scanner cannot set as plain properties: a path through one is read by JSON.parse. */
const UNSAFE_KEYS = new Set(['__proto__']);

/** Whether a tree can be read by the scanner (no key it would have to set specially). */
export function scannable(tree: ReadonlyMap<string, Wanted>): boolean {
  for (const [k, v] of tree) if (UNSAFE_KEYS.has(k) || (v !== true && !scannable(v))) return false;
  return true;
}

/** One level of a tree as parallel arrays: matched against keys in place, without slicing them out. */
interface Level {
  keys: string[];
  wanted: (true | Level)[];
}

const level = (tree: ReadonlyMap<string, Wanted>): Level => ({ keys: [...tree.keys()], wanted: [...tree.values()].map((w) => (w === true ? true : level(w))) });

const QUOTE = 34;
const BACKSLASH = 92;
/** Returned by the scanner when the text is not what it expects: the caller falls back to JSON.parse. */
const FAIL = -1;

/** What a string may hold only escaped or not at all (a backslash, a control character). */
const UNPLAIN = /[\\\u0000-\u001f]/;

/** Most top-level fields before `type` (their reading waits for it). */
const MAX_PENDING = 16;

/**
 * Reads the wanted fields of a JSON object text. Bodies of different event types want
 * different fields: top-level fields before `type` are passed over and read once the type is
 * known (the log's bodies put it before the payload). A body without a string `type`, or of a
 * type with no tree, is parsed whole.
 */
export class BodyScanner {
  private readonly levels = new Map<string, Level>();
  private s = '';
  /** Whether the last string `string` passed held an escape. */
  private escaped = false;
  /** The body holds no backslash and no control character: every string ends at the next quote. */
  private plain = false;
  /** Top-level fields before `type`: key start, key end, key escaped, value start, four numbers each. */
  private readonly pending = new Int32Array(4 * MAX_PENDING);
  /** Fallbacks to JSON.parse so far (for tests and benchmarks). */
  fallbacks = 0;

  /** `trees`: per event type, the fields wanted (must include `type`); a type without one is parsed whole. */
  constructor(trees: ReadonlyMap<string, ReadonlyMap<string, Wanted>>) {
    for (const [type, tree] of trees) {
      if (tree.get('type') !== true) throw new Error(`the fields read of ${type} events must include type`);
      if (scannable(tree)) this.levels.set(type, level(tree));
    }
  }

  /** The body's wanted fields (or all of them): on every wanted path what JSON.parse(body) has. */
  read(body: string): Record<string, unknown> {
    this.s = body;
    this.plain = !UNPLAIN.test(body);
    const out: Record<string, unknown> = {};
    const ok = this.top(out);
    this.s = '';
    if (ok) return out;
    this.fallbacks++;
    return JSON.parse(body) as Record<string, unknown>;
  }

  /** The top-level object into `out`; false when the body is not what the scanner reads. */
  private top(out: Record<string, unknown>): boolean {
    const s = this.s;
    let i = this.ws(0);
    if (s.charCodeAt(i) !== 123) return false;
    let lv: Level | undefined;
    let type: string | undefined;
    let pending = 0;
    i = this.ws(i + 1);
    if (s.charCodeAt(i) === 125) return false;
    for (;;) {
      if (s.charCodeAt(i) !== QUOTE) return false;
      const k0 = i;
      const k1 = this.string(i);
      if (k1 === FAIL) return false;
      const kEsc = this.escaped;
      i = this.ws(k1);
      if (s.charCodeAt(i) !== 58) return false;
      const v0 = this.ws(i + 1);
      if (lv) i = this.member(lv, this.match(lv, k0, k1, kEsc), v0, out);
      else {
        i = this.skip(v0);
        if (i === FAIL) return false;
        if (!kEsc && k1 - k0 === 6 && s.startsWith('type', k0 + 1)) {
          // A type with escapes, or not a string, is left to JSON.parse.
          if (s.charCodeAt(v0) !== QUOTE || this.escaped) return false;
          type = s.slice(v0 + 1, i - 1);
          lv = this.levels.get(type);
          if (!lv) return false;
          out.type = type;
        } else {
          if (pending === MAX_PENDING) return false;
          const p = this.pending;
          p[4 * pending] = k0;
          p[4 * pending + 1] = k1;
          p[4 * pending + 2] = kEsc ? 1 : 0;
          p[4 * pending + 3] = v0;
          pending++;
        }
      }
      if (i === FAIL) return false;
      i = this.ws(i);
      const c = s.charCodeAt(i);
      if (c === 125) break;
      if (c !== 44) return false;
      i = this.ws(i + 1);
    }
    if (this.ws(i + 1) !== s.length || !lv) return false;
    // Fields before the type, last first: a repeated key keeps its last value, as JSON.parse does.
    for (let k = pending - 1; k >= 0; k--) {
      const p = this.pending;
      const w = this.match(lv, p[4 * k]!, p[4 * k + 1]!, p[4 * k + 2] === 1);
      if (w < 0 || Object.hasOwn(out, lv.keys[w]!)) continue;
      if (this.member(lv, w, p[4 * k + 3]!, out) === FAIL) return false;
    }
    // A second `type` read after the first: JSON.parse keeps the last.
    return out.type === type;
  }

  /** The index in `lv` of the key whose string is [k0, k1) (quotes included), -1 when not wanted. */
  private match(lv: Level, k0: number, k1: number, escaped: boolean): number {
    if (escaped) return lv.keys.indexOf(JSON.parse(this.s.slice(k0, k1)) as string);
    const len = k1 - k0 - 2;
    for (let j = 0; j < lv.keys.length; j++) {
      const key = lv.keys[j]!;
      if (key.length === len && this.s.startsWith(key, k0 + 1)) return j;
    }
    return -1;
  }

  /** The value at `v0` of the `w`-th key of `lv` (-1: not wanted, skipped) set on `out`; the index after it, or FAIL. */
  private member(lv: Level, w: number, v0: number, out: Record<string, unknown>): number {
    if (w < 0) return this.skip(v0);
    const want = lv.wanted[w]!;
    if (want !== true && this.s.charCodeAt(v0) === 123) {
      const inner: Record<string, unknown> = {};
      out[lv.keys[w]!] = inner;
      return this.object(v0, want, inner);
    }
    // Wanted whole (or a path through something that is not an object: rules read it whole).
    const i = this.skip(v0);
    if (i !== FAIL) out[lv.keys[w]!] = this.value(v0, i);
    return i;
  }

  private ws(i: number): number {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else return i;
    }
  }

  /** The object at `i` (`{`), its wanted fields set on `out`; the index after it, or FAIL. */
  private object(i: number, lv: Level, out: Record<string, unknown>): number {
    const s = this.s;
    i = this.ws(i + 1);
    if (s.charCodeAt(i) === 125) return i + 1;
    for (;;) {
      if (s.charCodeAt(i) !== QUOTE) return FAIL;
      const k1 = this.string(i);
      if (k1 === FAIL) return FAIL;
      const w = this.match(lv, i, k1, this.escaped);
      i = this.ws(k1);
      if (s.charCodeAt(i) !== 58) return FAIL;
      i = this.member(lv, w, this.ws(i + 1), out);
      if (i === FAIL) return FAIL;
      i = this.ws(i);
      const c = s.charCodeAt(i);
      if (c === 125) return i + 1;
      if (c !== 44) return FAIL;
      i = this.ws(i + 1);
    }
  }

  /** The value in [a, b) (already checked by `skip`), as JSON.parse gives it. */
  private value(a: number, b: number): unknown {
    const s = this.s;
    const c = s.charCodeAt(a);
    if (c === QUOTE) return this.escaped ? JSON.parse(s.slice(a, b)) : s.slice(a + 1, b - 1);
    if (c === 45 || (c >= 48 && c <= 57)) return Number(s.slice(a, b));
    if (c === 116) return true;
    if (c === 102) return false;
    if (c === 110) return null;
    return JSON.parse(s.slice(a, b));
  }

  /** The index after the JSON value at `i`, or FAIL when it is not valid JSON. */
  private skip(i: number): number {
    const s = this.s;
    const c = s.charCodeAt(i);
    if (c === QUOTE) return this.string(i);
    if (c === 123) {
      i = this.ws(i + 1);
      if (s.charCodeAt(i) === 125) return i + 1;
      for (;;) {
        if (s.charCodeAt(i) !== QUOTE) return FAIL;
        i = this.string(i);
        if (i === FAIL) return FAIL;
        i = this.ws(i);
        if (s.charCodeAt(i) !== 58) return FAIL;
        i = this.skip(this.ws(i + 1));
        if (i === FAIL) return FAIL;
        i = this.ws(i);
        const d = s.charCodeAt(i);
        if (d === 125) return i + 1;
        if (d !== 44) return FAIL;
        i = this.ws(i + 1);
      }
    }
    if (c === 91) {
      i = this.ws(i + 1);
      if (s.charCodeAt(i) === 93) return i + 1;
      for (;;) {
        i = this.skip(i);
        if (i === FAIL) return FAIL;
        i = this.ws(i);
        const d = s.charCodeAt(i);
        if (d === 93) return i + 1;
        if (d !== 44) return FAIL;
        i = this.ws(i + 1);
      }
    }
    if (c === 45 || (c >= 48 && c <= 57)) return this.number(i);
    if (c === 116) return s.startsWith('true', i) ? i + 4 : FAIL;
    if (c === 102) return s.startsWith('false', i) ? i + 5 : FAIL;
    if (c === 110) return s.startsWith('null', i) ? i + 4 : FAIL;
    return FAIL;
  }

  /** The index after the string at `i` (its opening quote), or FAIL (a control character, a bad escape, no end). */
  private string(i: number): number {
    const s = this.s;
    this.escaped = false;
    if (this.plain) {
      const end = s.indexOf('"', i + 1);
      return end < 0 ? FAIL : end + 1;
    }
    i++;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === QUOTE) return i + 1;
      if (c === BACKSLASH) {
        this.escaped = true;
        const e = s.charCodeAt(i + 1);
        if (e === 117) {
          for (let h = i + 2; h < i + 6; h++) {
            const x = s.charCodeAt(h);
            if (!((x >= 48 && x <= 57) || (x >= 65 && x <= 70) || (x >= 97 && x <= 102))) return FAIL;
          }
          i += 6;
        } else if (e === QUOTE || e === BACKSLASH || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) i += 2;
        else return FAIL;
      } else if (c >= 32) i++;
      else return FAIL; // a control character, or the end (NaN)
    }
  }

  /** The index after the number at `i` (JSON's grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?), or FAIL. */
  private number(i: number): number {
    const s = this.s;
    if (s.charCodeAt(i) === 45) i++;
    let c = s.charCodeAt(i);
    if (c === 48) i++;
    else if (c >= 49 && c <= 57) {
      do i++;
      while ((c = s.charCodeAt(i)) >= 48 && c <= 57);
    } else return FAIL;
    c = s.charCodeAt(i);
    if (c === 46) {
      i++;
      c = s.charCodeAt(i);
      if (!(c >= 48 && c <= 57)) return FAIL;
      do i++;
      while ((c = s.charCodeAt(i)) >= 48 && c <= 57);
    }
    if (c === 101 || c === 69) {
      i++;
      c = s.charCodeAt(i);
      if (c === 43 || c === 45) c = s.charCodeAt(++i);
      if (!(c >= 48 && c <= 57)) return FAIL;
      do i++;
      while ((c = s.charCodeAt(i)) >= 48 && c <= 57);
    }
    return i;
  }
}
