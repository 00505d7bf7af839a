/**
 * Exact path-dependent TreeSHAP from precomputed tables (after Fast TreeSHAP v2, Yang 2021,
 * arXiv 2109.09847): explaining a row is a few table reads per small subtree instead of
 * the O(depth²)-per-leaf recursion.
 *
 * One leaf with value v and unique path features P (d of them; a feature split on twice is
 * merged, as TreeSHAP merges it): feature k has a zero fraction z_k (the product of the
 * cover ratios of its path edges) and a one fraction, 1 when the row takes every edge of k
 * on the path, else 0. With b the set of features whose one fraction is 1, Shapley
 * weights w(s) = s!(d-s-1)!/d! and W(Q) = v · Σ_{S ⊆ Q} w(|S|) Π_{k ∈ P∖S} z_k, the leaf adds
 *   −W(b)                       to every feature k ∉ b,
 *   (1 − z_k) · W(b ∖ k) / z_k   to every feature k ∈ b.
 * These depend on the leaf and on b alone, so they can be tabulated over all 2^d patterns.
 *
 * A table per leaf would still cost one update per (leaf, path feature). Each tree is cut
 * instead into blocks, subtrees of height <= 2 (lower when their tables would be large),
 * and a block's table is indexed by the pattern b of the path above it plus the row's
 * direction at each of its internal nodes. The nodes above the blocks are walked once per
 * row to get every block's b. A block stores, per index, either:
 *  - vector form: the whole block's contribution to each feature it touches, or
 *  - compact form: U = Σ W over its leaves, from which a path feature k not split on
 *    inside the block gets −U(b) or (1 − z_k)/z_k · U(b ∖ k), plus each inside feature's
 *    contribution. Smaller when many path features pass through; a little slower to read.
 */
import type { Tree } from './tree.js';

const FEATURE_MASK = 0x3fffffff;
const MISSING_RIGHT = 0x40000000;

/** The tables of a set of trees, ready for row passes. */
export interface ShapTables {
  /** Distinct thresholds of each feature, ascending: feature f's are `splitValues[splitStart[f] .. splitStart[f + 1])`. */
  splitValues: Float64Array;
  splitStart: Int32Array;
  /**
   * Nodes above the blocks, parents first, 5 ints each: feature (bit 30: missing goes
   * right), threshold rank, the id of its own pattern, the id of its left child's pattern
   * (the right child's is one more), and its feature's path slot (low 16 bits) with bit 16
   * set when the feature is new on the path.
   */
  upper: Int32Array;
  /** Number of pattern ids (id 0 is a tree root's empty pattern). */
  nIds: number;
  /** Blocks in vector form, then in compact form, 2 ints each: root pattern id, and dn | m << 8 | ns << 16 | ng << 24. */
  blocks: Int32Array;
  /** How many of `blocks` are in vector form. */
  nVector: number;
  /**
   * Per block, in order: m × (feature | index bit << 24 | missing goes right << 30,
   * threshold rank), then the touched features: vector form ns + ng features; compact
   * form ns × (feature | slot << 16), then ng features.
   */
  blockInt: Int32Array;
  /** Per compact-form path feature: −1 and (1 − z)/z, the factors of U for an unmet and a met feature. */
  coef: Float64Array;
  /** Per block: vector form 2^(dn+m) × (ns + ng); compact form U for each index, then each index's ng inside contributions. */
  table: Float64Array;
  /** The features of every vector-form block's columns, block after block (the row pass adds its gathered entries to them in this order). */
  vectorCols: Int32Array;
}

/**
 * A row pass's scratch: where each vector-form block's row starts and how many columns it
 * has, and the entries gathered from those rows.
 */
export interface RowScratch {
  rowAt: Int32Array;
  gathered: Float64Array;
}

/** Scratch for row passes over `e` (one explainer's: a pass is not reentrant). */
export function rowScratch(e: ShapTables): RowScratch {
  return { rowAt: new Int32Array(2 * e.nVector), gathered: new Float64Array(e.vectorCols.length) };
}

/** How finely to cut trees, and how much table one block may hold. */
export interface BlockLimits {
  /** Tallest subtree tabulated as one block. */
  height: number;
  /** Most table entries in one block. */
  entries: number;
  /** How blocks store their tables. */
  form: 'vector' | 'compact';
}

/** Thresholds and threshold ranks shared by every tree of a model. */
export interface Thresholds {
  splitValues: Float64Array;
  splitStart: Int32Array;
}

/** One tree's part of the tables, before it is appended. */
export interface TreePlan {
  upper: number[];
  blocks: BlockPlan[];
  entries: number;
}

interface BlockPlan {
  rootId: number;
  vector: boolean;
  shape: number;
  ints: number[];
  coef: number[];
  table: Float64Array;
}

/** Every feature's distinct split thresholds over the given trees, ascending, back to back. */
export function distinctThresholds(trees: readonly Tree[], nFeatures: number): Thresholds {
  const per: Set<number>[] = Array.from({ length: nFeatures }, () => new Set());
  for (const t of trees) t.feature.forEach((f, n) => f >= 0 && per[f]!.add(t.threshold[n]!));
  const lists = per.map((s) => [...s].sort((a, b) => a - b));
  const splitStart = new Int32Array(nFeatures + 1);
  for (let f = 0; f < nFeatures; f++) splitStart[f + 1] = splitStart[f]! + lists[f]!.length;
  return { splitValues: Float64Array.from(lists.flat()), splitStart };
}

/** Path features so far: which feature each slot is, and the product of its edges' cover ratios. */
interface Path {
  f: number[];
  z: number[];
}

/** The path after one more edge, on feature f with cover ratio `ratio`. */
function extend(p: Path, f: number, ratio: number): Path {
  const out = { f: [...p.f], z: [...p.z] };
  const k = out.f.indexOf(f);
  // The same product, in the same order, as the recursion's zero fractions.
  if (k < 0) {
    out.f.push(f);
    out.z.push(ratio * 1);
  } else out.z[k] = ratio * out.z[k]!;
  return out;
}

/**
 * Plans one tree's tables; undefined when they would exceed `maxEntries` or cannot be
 * built (the caller then explains the tree by the recursion). Pattern ids are numbered
 * from `firstId`. With `sizeOnly` the plan only counts the entries.
 */
export function planTree(t: Tree, th: Thresholds, limits: BlockLimits, maxEntries: number, firstId: number, sizeOnly = false): { plan: TreePlan; nextId: number } | undefined {
  const height = new Int32Array(t.feature.length);
  const fillHeight = (n: number): number => (t.feature[n]! < 0 ? 0 : (height[n] = 1 + Math.max(fillHeight(t.left[n]!), fillHeight(t.right[n]!))));
  fillHeight(0);
  const rankOf = (n: number): number => {
    const f = t.feature[n]!;
    const thr = t.threshold[n]!;
    let a = th.splitStart[f]!;
    let b = th.splitStart[f + 1]!;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (th.splitValues[m]! < thr) a = m + 1;
      else b = m;
    }
    return a - th.splitStart[f]!;
  };
  const featureWord = (n: number): number => t.feature[n]! | (t.defaultLeft[n] ? 0 : MISSING_RIGHT);
  const plan: TreePlan = { upper: [], blocks: [], entries: 0 };
  const ws = new Workspace();
  let nextId = firstId;
  const descend = (n: number, path: Path, id: number): boolean => {
    const internal = internalNodes(t, n);
    const inside = [...new Set(internal.map((x) => t.feature[x]!))];
    const ns = path.f.filter((f) => !inside.includes(f)).length;
    const bits = path.f.length + internal.length;
    const vector = limits.form === 'vector';
    const entries = 2 ** bits * (vector ? ns + inside.length : 1 + inside.length);
    if (height[n]! <= limits.height && entries <= limits.entries) {
      if (bits > 30 || plan.entries + entries > maxEntries) return false;
      plan.entries += entries;
      if (sizeOnly) return true;
      const block = tabulateBlock(t, n, path, internal, inside, vector, ws);
      if (!block.coef.every(Number.isFinite)) return false; // a zero fraction underflowed to 0
      for (let j = 0; j < internal.length; j++) block.ints.splice(2 * j, 0, featureWord(internal[j]!) | ((path.f.length + j) << 24), rankOf(internal[j]!));
      block.rootId = id;
      plan.blocks.push(block);
      return true;
    }
    if (t.feature[n]! < 0) return false; // a leaf too deep to tabulate
    const f = t.feature[n]!;
    let k = path.f.indexOf(f);
    const first = k < 0;
    if (first) k = path.f.length;
    if (k >= 30) return false;
    const child = nextId;
    nextId += 2;
    plan.upper.push(featureWord(n), rankOf(n), id, child, k | (first ? 1 << 16 : 0));
    const l = t.left[n]!;
    const r = t.right[n]!;
    return descend(l, extend(path, f, t.cover[l]! / t.cover[n]!), child) && descend(r, extend(path, f, t.cover[r]! / t.cover[n]!), child + 1);
  };
  return descend(0, { f: [], z: [] }, 0) ? { plan, nextId } : undefined;
}

/** Internal nodes of the subtree under n, breadth first. */
function internalNodes(t: Tree, n: number): number[] {
  const out: number[] = [];
  for (let q = [n]; q.length > 0; ) {
    const next: number[] = [];
    for (const x of q) {
      if (t.feature[x]! < 0) continue;
      out.push(x);
      next.push(t.left[x]!, t.right[x]!);
    }
    q = next;
  }
  return out;
}

/**
 * A block's table over every index (the path's pattern b in the low dn bits, the row's
 * direction at internal node j in bit dn + j), leaf by leaf.
 */
function tabulateBlock(t: Tree, root: number, path: Path, internal: readonly number[], inside: readonly number[], vector: boolean, ws: Workspace): BlockPlan {
  const dn = path.f.length;
  const m = internal.length;
  const ng = inside.length;
  const outside: number[] = [];
  path.f.forEach((f, k) => !inside.includes(f) && outside.push(k));
  const ns = outside.length;
  const nIdx = 1 << (dn + m);
  const width = vector ? ns + ng : ng;
  const table = new Float64Array(vector ? nIdx * width : nIdx * (1 + ng));
  const gBase = vector ? 0 : nIdx; // where the per-index columns start
  const bitOf = new Map(internal.map((x, j) => [x, dn + j]));
  // Each leaf: its path (the block's, extended by the edges inside) and, per edge inside,
  // which slot it is on, which index bit is its direction and which way the edge goes.
  const visit = (n: number, p: Path, need: number[]): void => {
    if (t.feature[n]! >= 0) {
      const f = t.feature[n]!;
      const k = p.f.indexOf(f);
      const slot = k < 0 ? p.f.length : k;
      const l = t.left[n]!;
      const r = t.right[n]!;
      visit(l, extend(p, f, t.cover[l]! / t.cover[n]!), [...need, slot, bitOf.get(n)!, 0]);
      visit(r, extend(p, f, t.cover[r]! / t.cover[n]!), [...need, slot, bitOf.get(n)!, 1]);
      return;
    }
    const d = p.f.length;
    if (d === 0) return; // a lone leaf: only the bias
    const contrib = leafContributions(t.value[n]!, p.z, ws);
    // The slots with a column of their own, and the column (in compact form, path
    // features not split inside have none: they are read through U).
    const cols: number[] = [];
    p.f.forEach((f, k) => {
      const col = inside.includes(f) ? (vector ? ns : 0) + inside.indexOf(f) : vector ? outside.indexOf(k) : -1;
      if (col >= 0) cols.push(k, col);
    });
    const size = 1 << d;
    const lowMask = (1 << dn) - 1;
    const newSlots = ((1 << d) - 1) & ~lowMask;
    for (let idx = 0; idx < nIdx; idx++) {
      // The leaf's pattern: the path's slots met above, and every slot losing any edge inside not taken.
      let b = (idx & lowMask) | newSlots;
      for (let e = 0; e < need.length; e += 3) b &= ~((((idx >>> need[e + 1]!) & 1) ^ need[e + 2]!) << need[e]!);
      if (!vector) table[idx] += contrib[d * size + b]!;
      const row = gBase + idx * width;
      for (let j = 0; j < cols.length; j += 2) table[row + cols[j + 1]!] += contrib[cols[j]! * size + b]!;
    }
  };
  visit(root, path, []);
  const ints: number[] = [];
  const coef: number[] = [];
  if (vector) ints.push(...outside.map((k) => path.f[k]!), ...inside);
  else {
    for (const k of outside) {
      ints.push(path.f[k]! | (k << 16));
      coef.push(-1, (1 - path.z[k]!) / path.z[k]!);
    }
    ints.push(...inside);
  }
  return { rootId: 0, vector, shape: dn | (m << 8) | (ns << 16) | (ng << 24), ints, coef, table };
}

/**
 * One leaf's contributions for every pattern b (bit k: path feature k met): entry
 * k · 2^d + b is feature k's, entry d · 2^d + b is W(b).
 *
 * With h(Q) = Σ_j w(j) c_j(Q), c_j(Q) the coefficient of t^j in Π_{k ∈ Q} (z_k + t), and
 * π(b) = Π_{k ∉ b} z_k: W(b) = v h(b) π(b), and a met feature's (1 − z_k) W(b ∖ k) / z_k is
 * (1 − z_k) v h(b ∖ k) π(b), with no division. All terms of h are positive, so the sums
 * lose no precision. (h of the full set would need w(d); no entry reads it.)
 */
function leafContributions(v: number, z: readonly number[], ws: Workspace): Float64Array {
  const d = z.length;
  const n = 1 << d;
  const { w, poly, h, pi, out } = ws.sized(d);
  // w(j) = j! (d-j-1)! / d!, by ratios from w(0) = 1/d.
  w[0] = 1 / d;
  for (let j = 1; j < d; j++) w[j] = (w[j - 1]! * j) / (d - j);
  poly[0] = 1;
  for (let j = 1; j <= d; j++) poly[j] = 0;
  h[0] = v * w[0]!;
  for (let q = 1; q < n; q++) {
    const k = 31 - Math.clz32(q & -q);
    const p = (q & (q - 1)) * (d + 1);
    const o = q * (d + 1);
    const zk = z[k]!;
    poly[o] = poly[p]! * zk;
    for (let j = 1; j <= d; j++) poly[o + j] = poly[p + j]! * zk + poly[p + j - 1]!;
    let s = 0;
    for (let j = 0; j < d; j++) s += w[j]! * poly[o + j]!;
    h[q] = v * s;
  }
  pi[n - 1] = 1;
  for (let q = n - 2; q >= 0; q--) {
    const k = 31 - Math.clz32(~q & (q + 1)); // lowest unmet feature
    pi[q] = pi[q | (1 << k)]! * z[k]!;
  }
  for (let b = 0; b < n; b++) {
    const unmet = h[b]! * pi[b]!;
    out[d * n + b] = unmet;
    for (let k = 0; k < d; k++) out[k * n + b] = (b >>> k) & 1 ? (1 - z[k]!) * h[b & ~(1 << k)]! * pi[b]! : -unmet;
  }
  return out;
}

/** Scratch arrays for leafContributions, grown to the deepest path seen. */
class Workspace {
  private depth = -1;
  private arrays = { w: new Float64Array(0), poly: new Float64Array(0), h: new Float64Array(0), pi: new Float64Array(0), out: new Float64Array(0) };
  sized(d: number): Workspace['arrays'] {
    if (d > this.depth) {
      const n = 1 << d;
      this.depth = d;
      this.arrays = { w: new Float64Array(d), poly: new Float64Array(n * (d + 1)), h: new Float64Array(n), pi: new Float64Array(n), out: new Float64Array((d + 1) * n) };
    }
    return this.arrays;
  }
}

/** Joins tree plans into one set of tables: vector-form blocks first, each form ordered by shape so the row pass's loop counts repeat. */
export function joinPlans(plans: readonly TreePlan[], th: Thresholds, nIds: number): ShapTables {
  const all = plans.flatMap((p) => p.blocks);
  all.sort((a, b) => Number(b.vector) - Number(a.vector) || a.shape - b.shape);
  const blocks = new Int32Array(2 * all.length);
  const blockInt = new Int32Array(all.reduce((s, b) => s + b.ints.length, 0));
  const coef = new Float64Array(all.reduce((s, b) => s + b.coef.length, 0));
  const table = new Float64Array(all.reduce((s, b) => s + b.table.length, 0));
  let io = 0;
  let co = 0;
  let to = 0;
  all.forEach((b, i) => {
    blocks[2 * i] = b.rootId;
    blocks[2 * i + 1] = b.shape;
    blockInt.set(b.ints, io);
    io += b.ints.length;
    coef.set(b.coef, co);
    co += b.coef.length;
    table.set(b.table, to);
    to += b.table.length;
  });
  const upper = Int32Array.from(plans.flatMap((p) => p.upper));
  const vectorCols = Int32Array.from(all.filter((b) => b.vector).flatMap((b) => b.ints.slice(2 * ((b.shape >>> 8) & 0xff))));
  return { splitValues: th.splitValues, splitStart: th.splitStart, upper, nIds, blocks, nVector: all.filter((b) => b.vector).length, blockInt, coef, table, vectorCols };
}

/** Bytes held by the tables and their scratch. */
export function tableBytes(e: ShapTables): number {
  // The scratch: pattern ids, and per vector-form block a row start and column count, and its gathered entries.
  return [e.splitValues, e.splitStart, e.upper, e.blocks, e.blockInt, e.coef, e.table, e.vectorCols].reduce((s, a) => s + a.byteLength, 0) + 4 * e.nIds + 8 * e.nVector + 8 * e.vectorCols.length;
}

/**
 * Each feature of a (float32-rounded if need be) row as a threshold rank: how many of its
 * thresholds are <= x, or -1 when x is missing.
 */
export function rankRow(th: Thresholds, x: ArrayLike<number>, base: number, f32: boolean, key: Int32Array): void {
  const { splitValues, splitStart } = th;
  for (let f = 0; f < key.length; f++) {
    const v = f32 ? Math.fround(x[base + f]!) : x[base + f]!;
    if (v !== v) {
      key[f] = -1;
      continue;
    }
    let a = splitStart[f]!;
    let b = splitStart[f + 1]!;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (splitValues[m]! <= v) a = m + 1;
      else b = m;
    }
    key[f] = a - splitStart[f]!;
  }
}

/**
 * Adds the tabulated trees' contributions for a ranked row to `phi`, with `pattern` (nIds
 * ints) as scratch. Which way a row goes is a coin flip to the branch predictor, so nothing
 * here branches on it: a direction is an integer, 1 when rank > threshold rank (x >= the
 * threshold) or when x is missing (rank -1) and missing goes right, and it selects table
 * entries by index. `phi` is a plain array of doubles rather than a Float64Array: V8
 * re-checks every typed array after each store into one, about 8% of this loop.
 *
 * Vector-form blocks go in three passes: every block's row, then the rows' entries copied
 * out, then added to `phi`. The tables of a 200-tree model are megabytes, read at one
 * random row per block, so a pass is bound by waiting on memory; a copy loop has no
 * dependency from one read to the next and keeps many reads in flight, where adding as it
 * reads held a few. Each feature still receives the same additions in the same order, so
 * the sums are the same to the bit.
 */
export function addContributions(e: ShapTables, key: Int32Array, pattern: Int32Array, phi: number[], scratch: RowScratch): void {
  const { upper, blocks, blockInt, coef, table, vectorCols } = e;
  const { rowAt, gathered } = scratch;
  for (let i = 0; i < upper.length; i += 5) {
    const fw = upper[i]!;
    const r = key[fw & FEATURE_MASK]!;
    const right = ((upper[i + 1]! - r) >>> 31) | ((r >>> 31) & (fw >>> 30));
    const slot = upper[i + 4]!;
    const bit = 1 << (slot & 0xffff);
    const b = pattern[upper[i + 2]!]!;
    const hot = b | (bit & -(slot >>> 16)); // a feature new on the path is met on the edge taken
    const cold = b & ~bit;
    const toRight = -right;
    const child = upper[i + 3]!;
    pattern[child] = (cold & toRight) | (hot & ~toRight);
    pattern[child + 1] = (hot & toRight) | (cold & ~toRight);
  }
  let o = 0; // into blockInt
  let t = 0; // into table
  const nVector = 2 * e.nVector;
  for (let i = 0; i < nVector; i += 2) {
    const shape = blocks[i + 1]!;
    const m = (shape >>> 8) & 0xff;
    let idx = pattern[blocks[i]!]!;
    for (let j = 0; j < m; j++, o += 2) {
      const fw = blockInt[o]!;
      const r = key[fw & 0xffffff]!;
      idx |= (((blockInt[o + 1]! - r) >>> 31) | ((r >>> 31) & (fw >>> 30))) << ((fw >>> 24) & 31);
    }
    const nc = ((shape >>> 16) & 0xff) + (shape >>> 24);
    rowAt[i] = t + idx * nc;
    rowAt[i + 1] = nc;
    o += nc;
    t += nc << ((shape & 0xff) + m);
  }
  let g = 0;
  for (let i = 0; i < nVector; i += 2) {
    const row = rowAt[i]!;
    const nc = rowAt[i + 1]!;
    for (let j = 0; j < nc; j++) gathered[g++] = table[row + j]!;
  }
  for (let q = 0; q < g; q++) phi[vectorCols[q]!] += gathered[q]!;
  let c = 0; // into coef
  for (let i = nVector; i < blocks.length; i += 2) {
    const b = pattern[blocks[i]!]!;
    const shape = blocks[i + 1]!;
    const m = (shape >>> 8) & 0xff;
    const ns = (shape >>> 16) & 0xff;
    const ng = shape >>> 24;
    let idx = b;
    for (let j = 0; j < m; j++, o += 2) {
      const fw = blockInt[o]!;
      const r = key[fw & 0xffffff]!;
      idx |= (((blockInt[o + 1]! - r) >>> 31) | ((r >>> 31) & (fw >>> 30))) << ((fw >>> 24) & 31);
    }
    for (let s = 0; s < ns; s++, o++, c += 2) {
      const w = blockInt[o]!;
      const k = w >>> 16;
      // Unmet: −1 · U(b). Met: (1 − z)/z · U(b ∖ k).
      phi[w & 0xffff] += coef[c + ((b >>> k) & 1)]! * table[t + (idx & ~(1 << k))]!;
    }
    const nIdx = 1 << ((shape & 0xff) + m);
    const row = t + nIdx + idx * ng;
    for (let g = 0; g < ng; g++, o++) phi[blockInt[o]!] += table[row + g]!;
    t += nIdx * (1 + ng);
  }
}
