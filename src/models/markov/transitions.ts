/**
 * Fits a discrete-time Markov chain from per-customer state sequences (one state per
 * period, e.g. month): the maximum-likelihood transition matrix is the row-normalised
 * count of observed moves, with a confidence interval on every probability.
 * Sequences are encoded once as integer codes in one flat array, so a million customers'
 * histories are counted in one pass.
 */
import { ValidationError } from '../../core/errors.js';
import { goodmanIntervals, wilsonInterval, type IntervalMethod } from './intervals.js';

/** Many customers' sequences as integer state codes, back to back. */
export interface EncodedSequences {
  /** State code per period; -1 marks a missing period (no transition is counted across it). */
  codes: Int32Array;
  /** Customer c's periods are codes[offsets[c]] .. codes[offsets[c + 1] - 1]. */
  offsets: Int32Array;
  states: string[];
}

export interface MarkovFitOptions {
  /** Confidence level of the intervals (default 0.95). */
  confLevel?: number;
  /** Wilson per cell (default) or Goodman simultaneous per row. */
  interval?: IntervalMethod;
  /** States that, once entered, are never left (e.g. `closed`, `default`). */
  absorbing?: readonly string[];
}

/** A fitted chain: counts, probabilities and their intervals, states in a fixed order. */
export interface MarkovChain {
  states: string[];
  /** counts[i][j]: observed moves from state i to state j. */
  counts: number[][];
  /** probabilities[i][j] = P(next = j | now = i). */
  probabilities: number[][];
  lower: number[][];
  upper: number[][];
  interval: IntervalMethod;
  confLevel: number;
  /** States treated as absorbing: declared, or never observed to move on. */
  absorbing: string[];
  customers: number;
  transitions: number;
  /** Log-likelihood of the observed moves under the fitted matrix. */
  loglik: number;
  warnings: string[];
}

/** Encodes string sequences; `null` or `undefined` marks a missing period. States keep the given order, new ones sorted after. */
export function encodeSequences(sequences: readonly (readonly (string | null | undefined)[])[], states?: readonly string[]): EncodedSequences {
  const order = states ? [...states] : [];
  if (!states) {
    const seen = new Set<string>();
    for (const s of sequences) for (const v of s) if (v != null) seen.add(v);
    order.push(...[...seen].sort());
  }
  const code = new Map(order.map((s, i) => [s, i]));
  let total = 0;
  for (const s of sequences) total += s.length;
  const codes = new Int32Array(total);
  const offsets = new Int32Array(sequences.length + 1);
  let k = 0;
  sequences.forEach((s, c) => {
    offsets[c] = k;
    for (const v of s) {
      if (v == null) {
        codes[k++] = -1;
        continue;
      }
      const i = code.get(v);
      if (i === undefined) {
        throw new ValidationError([{ field: `sequences[${c}]`, rule: 'known_state', message: `state "${v}" is not one of ${order.join(', ')}` }]);
      }
      codes[k++] = i;
    }
  });
  offsets[sequences.length] = k;
  return { codes, offsets, states: order };
}

/** Counts moves between consecutive periods (k x k, row-major). */
export function countTransitions(seq: EncodedSequences): Float64Array {
  const k = seq.states.length;
  const counts = new Float64Array(k * k);
  const { codes, offsets } = seq;
  const customers = offsets.length - 1;
  for (let c = 0; c < customers; c++) {
    const end = offsets[c + 1]!;
    for (let t = offsets[c]! + 1; t < end; t++) {
      const from = codes[t - 1]!;
      const to = codes[t]!;
      if (from >= 0 && to >= 0) counts[from * k + to]!++;
    }
  }
  return counts;
}

/** Maximum-likelihood chain with intervals from encoded sequences. */
export function fitMarkovChain(seq: EncodedSequences, options: MarkovFitOptions = {}): MarkovChain {
  const k = seq.states.length;
  if (k === 0) throw new ValidationError([{ field: 'states', rule: 'nonempty', message: 'no states were observed' }]);
  const confLevel = options.confLevel ?? 0.95;
  const method = options.interval ?? 'wilson';
  const declared = new Set(options.absorbing ?? []);
  for (const a of declared) {
    if (!seq.states.includes(a)) throw new ValidationError([{ field: 'absorbing', rule: 'known_state', message: `"${a}" is not one of ${seq.states.join(', ')}` }]);
  }
  const flat = countTransitions(seq);
  const counts = Array.from({ length: k }, (_, i) => Array.from(flat.subarray(i * k, (i + 1) * k)));
  const warnings: string[] = [];
  const absorbing: string[] = [];
  const probabilities: number[][] = [];
  const lower: number[][] = [];
  const upper: number[][] = [];
  let loglik = 0;
  let transitions = 0;
  counts.forEach((row, i) => {
    const state = seq.states[i]!;
    const total = row.reduce((s, c) => s + c, 0);
    transitions += total;
    const leaving = total - row[i]!;
    if (declared.has(state) || total === 0) {
      if (declared.has(state) && leaving > 0) warnings.push(`${leaving} moves out of absorbing state "${state}" were ignored`);
      if (!declared.has(state)) warnings.push(`state "${state}" was never seen moving on (only in the last period); treated as absorbing`);
      absorbing.push(state);
      const unit = row.map((_, j) => (j === i ? 1 : 0));
      probabilities.push(unit);
      lower.push([...unit]);
      upper.push([...unit]);
      return;
    }
    const p = row.map((c) => c / total);
    for (let j = 0; j < k; j++) if (row[j]! > 0) loglik += row[j]! * Math.log(p[j]!);
    probabilities.push(p);
    const ci = method === 'goodman' ? goodmanIntervals(row, confLevel) : row.map((c) => wilsonInterval(c, total, confLevel));
    lower.push(ci.map((c) => c[0]));
    upper.push(ci.map((c) => c[1]));
  });
  return {
    states: [...seq.states],
    counts,
    probabilities,
    lower,
    upper,
    interval: method,
    confLevel,
    absorbing,
    customers: seq.offsets.length - 1,
    transitions,
    loglik,
    warnings,
  };
}
