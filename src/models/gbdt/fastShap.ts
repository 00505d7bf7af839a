/**
 * Exact path-dependent TreeSHAP from precomputed tables (after Fast TreeSHAP v2, Yang 2021,
 * arXiv 2109.09847), so that explaining a row is a few table reads per small subtree
 * instead of the O(depth²)-per-leaf recursion.
 *
 * One leaf with value v and unique path features P (d of them; a feature split on twice is
 * merged, as TreeSHAP merges it): feature k has a zero fraction z_k (the product of the
 * cover ratios of its path edges) and a one fraction o_k, 1 when the row takes every edge
 * of k on the path, else 0. With b = {k : o_k = 1}, Shapley weights w(s) = s!(d-s-1)!/d!
 * and W(Q) = v · Σ_{S ⊆ Q} w(|S|) Π_{k ∈ P∖S} z_k, the leaf adds
 *   −W(b)                     to every feature k ∉ b,
 *   (1 − z_k)/z_k · W(b ∖ k)   to every feature k ∈ b.
 * W depends on the leaf alone, so it can be tabulated over all 2^d patterns b.
 *
 * Reading a table per leaf still costs one update per (leaf, path feature). Instead each
 * tree is cut into blocks: subtrees of height <= 2 (smaller when their tables would be
 * large). A block's table is indexed by the pattern b of the path above it plus the row's
 * direction at each of its internal nodes, and holds the sum U of W over the block's leaves
 * and, for each feature split on inside the block, that feature's whole contribution from
 * the block. A path feature k not split on inside the block then gets −U or
 * (1 − z_k)/z_k · U(b ∖ k) for all of the block's leaves at once. The nodes above the
 * blocks are walked once per row to get each block's b.
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
   * (the right child's is one more), and the path slot of its feature (low 16 bits) with
   * bit 16 set when the feature is new on the path.
   */
  upper: Int32Array;
  /** Number of pattern ids (id 0 is a tree root's empty pattern). */
  nIds: number;
  /**
   * Blocks, 8 ints each: pattern id of the root, path slots above it (dn), internal nodes
   * (m), path features with no split inside (ns), features split inside (ng), table
   * offset, offset in `blockInt`, offset in `coef`.
   */
  blocks: Int32Array;
  /** Per block: m × (feature word, threshold rank), then ns × (feature | slot << 16), then ng features. */
  blockInt: Int32Array;
  /** Per block path feature: −1 and (1 − z)/z, the factors of U for an unmet and a met feature. */
  coef: Float64Array;
  /** Per block: U for each of its 2^(dn+m) indices, then for each index its ng inside features' contributions. */
  table: Float64Array;
}

/** How finely to cut trees, and how much table one block may hold. */
export interface BlockLimits {
  /** Tallest subtree tabulated as one block. */
  height: number;
  /** Most table entries in one block. */
  entries: number;
}

export const DEFAULT_LIMITS: BlockLimits = { height: 2, entries: 1024 };

/** A path feature so far: which feature, and the product of its edges' cover ratios. */
interface Slot {
  f: number;
  z: number;
}

/** One tree's part of the tables, before it is appended. */
interface TreePlan {
  upper: number[];
  blocks: BlockPlan[];
  entries: number;
}

interface BlockPlan {
  rootId: number;
  dn: number;
  nodes: number[];
  slots: number[];
  coef: number[];
  inside: number[];
  table: Float64Array;
}

/** Thresholds and threshold ranks shared by every tree of a model. */
export interface Thresholds {
  splitValues: Float64Array;
  splitStart: Int32Array;
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

/**
 * Plans one tree's tables; undefined when they would exceed `maxEntries` (the caller then
 * explains the tree by the recursion). Pattern ids are numbered from `firstId`.
 */
export function planTree(t: Tree, th: Thresholds, limits: BlockLimits, maxEntries: number, firstId: number): { plan: TreePlan; nextId: number } | undefined {
  const height = new Int32Array(t.feature.length);
  const fillHeight = (n: number): number => (t.feature[n]! < 0 ? 0 : (height[n] = 1 + Math.max(fillHeight(t.left[n]!), fillHeight(t.right[n]!))));
  fillHeight(0);
  const plan: TreePlan = { upper: [], blocks: [], entries: 0 };
  let nextId = firstId;
  const rankOf = (f: number, thr: number): number => {
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
  const descend = (n: number, slots: Slot[], id: number): boolean => {
    const size = blockSize(t, n, slots);
    if (height[n]! <= limits.height && size.entries <= limits.entries) {
      if (size.bits > 30 || plan.entries + size.entries > maxEntries) return false;
      const block = tabulateBlock(t, n, slots, size.internal, rankOf, featureWord);
      if (!block.coef.every(Number.isFinite)) return false; // a zero fraction underflowed to 0
      block.rootId = id;
      plan.blocks.push(block);
      plan.entries += block.table.length;
      return true;
    }
    if (t.feature[n]! < 0) return false; // a leaf too deep to tabulate
    const f = t.feature[n]!;
    let k = slots.findIndex((s) => s.f === f);
    const first = k < 0;
    if (first) k = slots.length;
    if (k >= 16) return false;
    const child = nextId;
    nextId += 2;
    plan.upper.push(featureWord(n), rankOf(f, t.threshold[n]!), id, child, k | (first ? 1 << 16 : 0));
    const l = t.left[n]!;
    const r = t.right[n]!;
    return descend(l, extendSlots(slots, f, t.cover[l]! / t.cover[n]!), child) && descend(r, extendSlots(slots, f, t.cover[r]! / t.cover[n]!), child + 1);
  };
  return descend(0, [], 0) ? { plan, nextId } : undefined;
}

/** The path slots after one more edge on feature f with cover ratio `ratio`. */
function extendSlots(slots: readonly Slot[], f: number, ratio: number): Slot[] {
  const out = slots.map((s) => ({ ...s }));
  const k = out.findIndex((s) => s.f === f);
  // The same product, in the same order, as the recursion's zero fractions.
  if (k < 0) out.push({ f, z: ratio * 1 });
  else out[k]!.z = ratio * out[k]!.z;
  return out;
}

function blockSize(t: Tree, n: number, slots: readonly Slot[]): { bits: number; entries: number; internal: number[] } {
  const internal: number[] = [];
  for (let q = [n]; q.length > 0; ) {
    const next: number[] = [];
    for (const x of q) {
      if (t.feature[x]! < 0) continue;
      internal.push(x);
      next.push(t.left[x]!, t.right[x]!);
    }
    q = next;
  }
  const inside = new Set(internal.map((x) => t.feature[x]!)).size;
  const bits = slots.length + internal.length;
  return { bits, entries: 2 ** bits * (1 + inside), internal };
}

/**
 * A block's table: for every pattern b of the path above and every set of directions at
 * its internal nodes (index b | dirs << dn), U and each inside feature's contribution.
 */
function tabulateBlock(
  t: Tree,
  root: number,
  slots: readonly Slot[],
  internal: readonly number[],
  rankOf: (f: number, thr: number) => number,
  featureWord: (n: number) => number,
): BlockPlan {
  const dn = slots.length;
  const m = internal.length;
  const insideFeatures = [...new Set(internal.map((x) => t.feature[x]!))];
  const ng = insideFeatures.length;
  const nIdx = 1 << (dn + m);
  // U for every index first, so a row's reads of U(b) and U(b ∖ k) share a cache line or
  // two; then each index's ng inside contributions side by side.
  const table = new Float64Array(nIdx * (1 + ng));
  const bitOf = new Map(internal.map((x, j) => [x, dn + j]));
  // Each leaf of the block: its slots (the path's, extended by the block's edges), and for
  // each slot the index bits whose directions it needs (which way) to be met.
  const visit = (n: number, leafSlots: Slot[], need: { slot: number; bit: number; right: boolean }[]): void => {
    if (t.feature[n]! >= 0) {
      const f = t.feature[n]!;
      const k = leafSlots.findIndex((s) => s.f === f);
      const slot = k < 0 ? leafSlots.length : k;
      const bit = bitOf.get(n)!;
      const l = t.left[n]!;
      const r = t.right[n]!;
      visit(l, extendSlots(leafSlots, f, t.cover[l]! / t.cover[n]!), [...need, { slot, bit, right: false }]);
      visit(r, extendSlots(leafSlots, f, t.cover[r]! / t.cover[n]!), [...need, { slot, bit, right: true }]);
      return;
    }
    const d = leafSlots.length;
    if (d === 0) return; // a lone leaf: only the bias
    const z = leafSlots.map((s) => s.z);
    const h = patternSums(t.value[n]!, z);
    const gOf = leafSlots.map((s) => insideFeatures.indexOf(s.f));
    for (let idx = 0; idx < nIdx; idx++) {
      // The leaf's pattern: path slots met above (idx's low bits), cleared by any block edge not taken.
      let b = (idx & ((1 << dn) - 1)) | (((1 << d) - 1) & ~((1 << dn) - 1));
      for (const e of need) if (((idx >>> e.bit) & 1) !== (e.right ? 1 : 0)) b &= ~(1 << e.slot);
      let zOut = 1;
      for (let k = 0; k < d; k++) if (((b >>> k) & 1) === 0) zOut *= z[k]!;
      const unmet = h[b]! * zOut; // W(b)
      table[idx] += unmet;
      const o = nIdx + idx * ng;
      for (let k = 0; k < d; k++) {
        const g = gOf[k]!;
        if (g < 0) continue;
        // (1 − z_k)/z_k · W(b ∖ k) = (1 − z_k) · h(b ∖ k) · Π_{j ∉ b} z_j, with no division.
        table[o + g] += ((b >>> k) & 1) === 1 ? (1 - z[k]!) * h[b & ~(1 << k)]! * zOut : -unmet;
      }
    }
  };
  visit(root, slots.map((s) => ({ ...s })), []);
  const nodes: number[] = [];
  for (const x of internal) nodes.push(featureWord(x), rankOf(t.feature[x]!, t.threshold[x]!));
  const outside: number[] = [];
  const coef: number[] = [];
  slots.forEach((s, k) => {
    if (insideFeatures.includes(s.f)) return;
    outside.push(s.f | (k << 16));
    coef.push(-1, (1 - s.z) / s.z);
  });
  return { rootId: 0, dn, nodes, slots: outside, coef, inside: insideFeatures, table };
}

/**
 * v · h(Q) for every Q ⊆ P, h(Q) = Σ_j w(j) c_j(Q) with c_j(Q) the coefficient of t^j in
 * Π_{k ∈ Q} (z_k + t), so W(Q) = v · h(Q) · Π_{k ∉ Q} z_k. All terms are positive: the sum
 * loses no precision. The full set is never read (it would need w(d)); its entry is 0.
 */
function patternSums(v: number, z: readonly number[]): Float64Array {
  const d = z.length;
  const n = 1 << d;
  const w = new Float64Array(d);
  // w(j) = j! (d-j-1)! / d!, by ratios from w(0) = 1/d.
  w[0] = 1 / d;
  for (let j = 1; j < d; j++) w[j] = (w[j - 1]! * j) / (d - j);
  const poly = new Float64Array(n * (d + 1));
  poly[0] = 1;
  const out = new Float64Array(n);
  for (let q = 1; q < n; q++) {
    const k = 31 - Math.clz32(q & -q);
    const p = (q & (q - 1)) * (d + 1);
    const o = q * (d + 1);
    const zk = z[k]!;
    poly[o] = poly[p]! * zk;
    for (let j = 1; j <= d; j++) poly[o + j] = poly[p + j]! * zk + poly[p + j - 1]!;
  }
  for (let q = 0; q < n - 1; q++) {
    let s = 0;
    const o = q * (d + 1);
    for (let j = 0; j < d; j++) s += w[j]! * poly[o + j]!;
    out[q] = v * s;
  }
  return out;
}

/**
 * Joins tree plans into one set of tables. Blocks are ordered by shape so that the row
 * pass's inner loops run the same counts back to back (the order of a sum of tree
 * contributions does not matter beyond rounding).
 */
export function joinPlans(plans: readonly TreePlan[], th: Thresholds, nIds: number): ShapTables {
  const upper = Int32Array.from(plans.flatMap((p) => p.upper));
  const all = plans.flatMap((p) => p.blocks);
  const shape = (b: BlockPlan) => (b.nodes.length / 2) * 1e6 + b.slots.length * 1e3 + b.inside.length;
  all.sort((a, b) => shape(a) - shape(b));
  const blocks = new Int32Array(8 * all.length);
  let intLen = 0;
  let coefLen = 0;
  let tableLen = 0;
  for (const b of all) {
    intLen += b.nodes.length + b.slots.length + b.inside.length;
    coefLen += b.coef.length;
    tableLen += b.table.length;
  }
  const blockInt = new Int32Array(intLen);
  const coef = new Float64Array(coefLen);
  const table = new Float64Array(tableLen);
  let io = 0;
  let co = 0;
  let to = 0;
  all.forEach((b, i) => {
    blocks.set([b.rootId, b.dn, b.nodes.length / 2, b.slots.length, b.inside.length, to, io, co], 8 * i);
    blockInt.set(b.nodes, io);
    blockInt.set(b.slots, io + b.nodes.length);
    blockInt.set(b.inside, io + b.nodes.length + b.slots.length);
    io += b.nodes.length + b.slots.length + b.inside.length;
    coef.set(b.coef, co);
    co += b.coef.length;
    table.set(b.table, to);
    to += b.table.length;
  });
  return { splitValues: th.splitValues, splitStart: th.splitStart, upper, nIds, blocks, blockInt, coef, table };
}

/** Bytes held by the tables. */
export function tableBytes(e: ShapTables): number {
  return [e.splitValues, e.splitStart, e.upper, e.blocks, e.blockInt, e.coef, e.table].reduce((s, a) => s + a.byteLength, 0) + 4 * e.nIds;
}

/**
 * Threshold rank of each feature of a (float32-rounded if need be) row: how many of its
 * thresholds are <= x; a missing x gets rank -1 (left of every threshold) and a 1 in
 * `missing`, which sends it the default way.
 */
export function rankRow(th: Thresholds, x: ArrayLike<number>, base: number, f32: boolean, rank: Int32Array, missing: Int32Array): void {
  const { splitValues, splitStart } = th;
  for (let f = 0; f < rank.length; f++) {
    const raw = x[base + f]!;
    const v = f32 ? Math.fround(raw) : raw;
    if (v !== v) {
      rank[f] = -1;
      missing[f] = 1;
      continue;
    }
    missing[f] = 0;
    let a = splitStart[f]!;
    let b = splitStart[f + 1]!;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (splitValues[m]! <= v) a = m + 1;
      else b = m;
    }
    rank[f] = a - splitStart[f]!;
  }
}

/**
 * Adds the tabulated trees' contributions for a ranked row to `phi`, using `pattern`
 * (nIds ints) as scratch. Whether a row meets a condition is a coin flip to the branch
 * predictor, so nothing here branches on it: a direction is an integer (rank > threshold
 * rank, or the default way when missing) and selects factors and table entries by index.
 */
export function addContributions(e: ShapTables, rank: Int32Array, missing: Int32Array, pattern: Int32Array, phi: Float64Array): void {
  const { upper, blocks, blockInt, coef, table } = e;
  const nUpper = upper.length;
  for (let i = 0; i < nUpper; i += 5) {
    const fw = upper[i]!;
    const f = fw & FEATURE_MASK;
    // 1 when the row goes right: rank > threshold rank, or missing and missing goes right.
    const right = ((upper[i + 1]! - rank[f]!) >>> 31) | (missing[f]! & (fw >>> 30));
    const slot = upper[i + 4]!;
    const bit = 1 << (slot & 0xffff);
    const b = pattern[upper[i + 2]!]!;
    const hot = b | (bit & -(slot >>> 16)); // a new feature is met on the edge taken
    const cold = b & ~bit;
    const toRight = -right;
    const child = upper[i + 3]!;
    pattern[child] = (cold & toRight) | (hot & ~toRight);
    pattern[child + 1] = (hot & toRight) | (cold & ~toRight);
  }
  const nBlocks = blocks.length;
  for (let i = 0; i < nBlocks; i += 8) {
    const b = pattern[blocks[i]!]!;
    const dn = blocks[i + 1]!;
    const m = blocks[i + 2]!;
    const ns = blocks[i + 3]!;
    const ng = blocks[i + 4]!;
    const t0 = blocks[i + 5]!;
    let o = blocks[i + 6]!;
    let idx = b;
    for (let j = 0; j < m; j++, o += 2) {
      const fw = blockInt[o]!;
      const f = fw & FEATURE_MASK;
      idx |= (((blockInt[o + 1]! - rank[f]!) >>> 31) | (missing[f]! & (fw >>> 30))) << (dn + j);
    }
    let c = blocks[i + 7]!;
    for (let s = 0; s < ns; s++, o++, c += 2) {
      const w = blockInt[o]!;
      const k = w >>> 16;
      // Unmet: −1 · U(b). Met: (1 − z)/z · U(b ∖ k).
      phi[w & 0xffff] += coef[c + ((b >>> k) & 1)]! * table[t0 + (idx & ~(1 << k))]!;
    }
    const row = t0 + (1 << (dn + m)) + idx * ng;
    for (let g = 0; g < ng; g++, o++) phi[blockInt[o]!] += table[row + g]!;
  }
}
