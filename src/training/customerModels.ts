/**
 * Customer-level models trained on the state of the base at the end of the window:
 * segments (k-means on a few behavioural features, described in words), lifetime value
 * (BG/NBD + Gamma-Gamma on card spending, weekly periods) and the monthly activity chain
 * (active → declining → dormant → closed).
 */
import { GLOBAL_CUSTOMER } from '../core/events.js';
import { buildModelCard } from './card.js';
import { buildDriftReference } from '../models/metrics/driftCheck.js';
import { buildFeatureMatrix } from '../features/offline.js';
import { fitBgNbd } from '../models/clv/bgnbd.js';
import { fitGammaGamma } from '../models/clv/gammaGamma.js';
import { predictCustomerValue } from '../models/clv/lifetimeValue.js';
import { summarizeTransactions } from '../models/clv/summary.js';
import { activityState } from '../models/markov/states.js';
import { encodeSequences, fitMarkovChain } from '../models/markov/transitions.js';
import { segmentCustomers } from '../models/segmentation/segment.js';
import type { FeatureWords } from '../models/segmentation/describe.js';
import { iso, type SkippedModel, type TrainContext, type TrainedModel } from './context.js';
import { DAY_MS } from './labels.js';

/** Segmentation columns and how each reads in words. */
export const SEGMENT_WORDS: FeatureWords[] = [
  { column: 'avg_monthly_balance', label: 'balances', high: 'cash-rich', low: 'low balances', highName: 'cash-rich savers' },
  { column: 'card_spend_90d', label: 'card spend', high: 'big spenders', low: 'light card users', highName: 'big spenders' },
  { column: 'travel_fx_share_90d', label: 'travel and FX spend', high: 'travel a lot', highName: 'frequent travellers' },
  { column: 'logins_30d', label: 'app logins', high: 'mobile-first', low: 'rarely online', highName: 'digital natives', lowName: 'offline customers' },
  { column: 'income_90d', label: 'income', high: 'high earners', low: 'low income', highName: 'high earners' },
  { column: 'overdraft_days_90d', label: 'overdraft days', high: 'often overdrawn', highName: 'stretched budgets' },
  { column: 'credit_owed_avg_90d', label: 'borrowing', high: 'borrowers', highName: 'borrowers' },
];

/** Customers with any event before `asOf`, in first-seen order. */
async function customersSeen(ctx: TrainContext, asOf: number): Promise<string[]> {
  const seen = new Set<string>();
  for await (const page of ctx.log.scan({ toT: asOf + 1, batchSize: 20_000 })) for (const e of page) if (e.event.customerId !== GLOBAL_CUSTOMER) seen.add(e.event.customerId);
  return [...seen];
}

/** The segmentation artefact: enough to place any profile in a segment. */
export interface SegmentArtefact {
  format: 'nextbest-segments';
  formatVersion: 1;
  columns: string[];
  /** Fill for a missing value (the column's training median). */
  fills: number[];
  mean: number[];
  sd: number[];
  /** Centres as z-scores, k x columns. */
  centresZ: number[];
  names: string[];
  summaries: string[];
}

/** Segments the customers active at the end of the window. */
export async function trainSegments(ctx: TrainContext, k = 6): Promise<TrainedModel | SkippedModel> {
  const columns = SEGMENT_WORDS.map((w) => w.column).filter((c) => ctx.features.names.includes(c));
  if (columns.length < 2) return { name: 'segments', reason: 'the feature set lacks the segmentation columns' };
  const asOf = ctx.window.to - 1;
  const ids = await customersSeen(ctx, asOf);
  if (ids.length < k * 10) return { name: 'segments', reason: `only ${ids.length} customers (need ${k * 10})` };
  const fm = await buildFeatureMatrix(ctx.log, ctx.features, ids.map((customerId) => ({ customerId, asOf })), { onProgress: (s) => ctx.progress?.('segments features', s, undefined) });
  const F = ctx.features.size;
  const cols = columns.map((c) => ctx.features.names.indexOf(c));
  const fills = cols.map((j) => {
    const v = ids.map((_, i) => fm.values[i * F + j]!).filter(Number.isFinite).sort((a, b) => a - b);
    return v.length > 0 ? v[Math.floor(v.length / 2)]! : 0;
  });
  const data = new Float64Array(ids.length * cols.length);
  ids.forEach((_, i) => cols.forEach((j, c) => (data[i * cols.length + c] = Number.isFinite(fm.values[i * F + j]!) ? fm.values[i * F + j]! : fills[c]!)));
  // Money and counts are skewed: cluster on signed log1p so a few millionaires do not make their own segments.
  const logData = data.map((x) => Math.sign(x) * Math.log1p(Math.abs(x)));
  ctx.progress?.('segments', 0, 1);
  const seg = segmentCustomers({ data: logData, rows: ids.length, cols: cols.length }, SEGMENT_WORDS.filter((w) => columns.includes(w.column)), { k, seed: ctx.seed, nInit: 4 });
  ctx.progress?.('segments', 1, 1);
  const window = { from: iso(ctx.window.from), to: iso(ctx.window.to) };
  const metrics = { customers: ids.length, k, inertia: Number(seg.clustering.inertia.toPrecision(6)), sizes: seg.clustering.sizes };
  const artefact: SegmentArtefact = {
    format: 'nextbest-segments',
    formatVersion: 1,
    columns,
    fills,
    mean: [...seg.scaler.mean],
    sd: [...seg.scaler.sd],
    centresZ: [...seg.centresZ],
    names: seg.descriptions.map((d) => d.name),
    summaries: seg.descriptions.map((d) => d.summary),
  };
  const rec = await ctx.registry.register({
    name: 'segments',
    kind: 'kmeans',
    trainingWindow: window,
    features: columns,
    definitionsHash: ctx.features.version,
    params: { k, nInit: 4, seed: ctx.seed, transform: 'signed_log1p then z-score' },
    metrics: { ...metrics, segments: seg.descriptions.map((d, s) => ({ segment: s, name: d.name, size: seg.clustering.sizes[s], summary: d.summary })) },
    card: buildModelCard({
      title: 'Customer segments (k-means)',
      intendedUse: 'Groups customers by behaviour for peer comparisons, reporting and as context in decisions.',
      outOfScope: 'Not a risk grade; segments are descriptive and change as behaviour changes.',
      window,
      rows: ids.length,
      label: 'none (unsupervised)',
      split: 'none: all customers seen by the end of the window, features as of its end',
      definitionsHash: ctx.features.version,
      features: columns,
      metrics: { inertia: metrics.inertia, customers: ids.length },
      limitations: ['k is fixed by configuration, not chosen from the data each run.', 'Missing values are filled with the median.'],
    }),
    artefact,
    driftReference: buildDriftReference(columns, data, Float64Array.from(seg.clustering.labels)),
    createdAt: ctx.createdAt,
  });
  return { id: rec.id, name: 'segments', kind: 'kmeans', metrics };
}

/** The CLV artefact: fitted parameters; the per-customer RFM summary is rebuilt from the log when scoring. */
export interface ClvArtefact {
  format: 'nextbest-clv';
  formatVersion: 1;
  periodDays: number;
  bgnbd: { r: number; alpha: number; a: number; b: number };
  gammaGamma: { p: number; q: number; gamma: number } | null;
  /** Horizon in periods and discount per period used for the value. */
  periods: number;
  discountRate: number;
  /** Share of card spend the bank keeps as margin (interchange), to turn spend into value. */
  marginShare: number;
}

/** BG/NBD + Gamma-Gamma on card-spending weeks. */
export async function trainClv(ctx: TrainContext): Promise<TrainedModel | SkippedModel> {
  const customerId: string[] = [];
  const day: number[] = [];
  const value: number[] = [];
  for await (const page of ctx.log.scan({ fromT: ctx.window.from, toT: ctx.window.to, types: ['card_payment'], batchSize: 20_000 })) {
    for (const e of page) {
      const ev = e.event as { customerId: string; payload: { amount: { minor: number } } };
      customerId.push(ev.customerId);
      day.push(Math.floor(e.t / DAY_MS));
      value.push(Math.abs(ev.payload.amount.minor) / 100);
    }
  }
  if (customerId.length === 0) return { name: 'clv', reason: 'no card payments in the window' };
  const endDay = Math.floor((ctx.window.to - 1) / DAY_MS);
  const periodDays = 7;
  const s = summarizeTransactions({ customerId, day, value }, endDay, periodDays);
  ctx.progress?.('clv', 0, 1);
  const bg = fitBgNbd(s);
  const rep = Array.from(s.frequency, (f, i) => (f > 0 && s.monetary[i]! > 0 ? i : -1)).filter((i) => i >= 0);
  const gg = rep.length >= 20 ? fitGammaGamma(Float64Array.from(rep, (i) => s.frequency[i]!), Float64Array.from(rep, (i) => s.monetary[i]!)) : null;
  ctx.progress?.('clv', 1, 1);
  const artefact: ClvArtefact = { format: 'nextbest-clv', formatVersion: 1, periodDays, bgnbd: bg.params, gammaGamma: gg?.params ?? null, periods: 12, discountRate: 0.01, marginShare: 0.01 };
  const values = predictCustomerValue(bg.params, gg?.params, s, { periods: 12, periodLength: 30.4375 / periodDays, discountRate: 0.01 });
  const alive = values.map((v) => v.probabilityAlive);
  const meanAlive = alive.reduce((a, b) => a + b, 0) / alive.length;
  const window = { from: iso(ctx.window.from), to: iso(ctx.window.to) };
  const metrics = { customers: s.customerId.length, logLikelihood: Number(bg.logLikelihood.toPrecision(8)), converged: bg.converged, meanProbabilityAlive: Number(meanAlive.toPrecision(6)), bgnbd: bg.params, gammaGamma: gg?.params ?? null };
  const rec = await ctx.registry.register({
    name: 'clv',
    kind: 'bgnbd_gamma_gamma',
    trainingWindow: window,
    features: ['card_payment frequency, recency, T (weeks)', 'mean spend per repeat week'],
    definitionsHash: ctx.features.version,
    params: { periodDays, periods: 12, discountRate: 0.01, marginShare: 0.01 },
    metrics,
    card: buildModelCard({
      title: 'Customer lifetime value (BG/NBD + Gamma-Gamma)',
      intendedUse: 'P(alive) and the expected value of card spending over the next 12 months, discounted at 1% a month; shown in the profile and used to weigh retention effort.',
      outOfScope: 'Not the full relationship value: deposit and lending margins are not in it.',
      window,
      rows: customerId.length,
      label: 'none (probabilistic model of repeat card-spending weeks)',
      split: 'none: fitted on the whole window (the model has 4 + 3 parameters)',
      definitionsHash: ctx.features.version,
      features: ['frequency', 'recency', 'T', 'monetary'],
      metrics: { meanProbabilityAlive: metrics.meanProbabilityAlive, customers: metrics.customers },
      limitations: ['Assumes purchases follow a Poisson process while alive and a customer may drop out after any purchase week.', 'Card spend only: margin share is a configured constant.'],
    }),
    artefact,
    driftReference: null,
    createdAt: ctx.createdAt,
  });
  return { id: rec.id, name: 'clv', kind: 'bgnbd_gamma_gamma', metrics };
}

/** Customer-initiated events that count as activity for the activity chain. */
const INTERACTIONS = new Set(['deposit', 'withdrawal', 'card_payment', 'transfer_in', 'transfer_out', 'login', 'investment_trade', 'feature_use']);

/** Monthly activity chain fitted to 30-day periods of the window. */
export async function trainActivityChain(ctx: TrainContext): Promise<TrainedModel | SkippedModel> {
  const P = 30 * DAY_MS;
  const periods = Math.floor((ctx.window.to - ctx.window.from) / P);
  if (periods < 3) return { name: 'activity_chain', reason: 'the window holds fewer than 3 months' };
  const counts = new Map<string, Float64Array>();
  const closedAt = new Map<string, number>();
  for await (const page of ctx.log.scan({ fromT: ctx.window.from, toT: ctx.window.from + periods * P, batchSize: 20_000 })) {
    for (const e of page) {
      const id = e.event.customerId;
      if (id === GLOBAL_CUSTOMER) continue;
      const k = Math.floor((e.t - ctx.window.from) / P);
      let c = counts.get(id);
      if (!c) counts.set(id, (c = new Float64Array(periods)));
      if (INTERACTIONS.has(e.event.type)) c[k]!++;
      if (e.event.type === 'contact_centre' && (e.event.payload as { topics: string[] }).topics.includes('close_account') && !closedAt.has(id)) closedAt.set(id, k);
    }
  }
  const sequences: string[][] = [];
  for (const [id, c] of counts) {
    const seq: string[] = [];
    let sum = 0;
    for (let k = 0; k < periods; k++) {
      const closed = closedAt.has(id) && closedAt.get(id)! < k;
      seq.push(activityState({ interactions: c[k]!, baseline: k > 0 ? sum / k : c[k]!, closed }));
      sum += c[k]!;
    }
    sequences.push(seq);
  }
  const chain = fitMarkovChain(encodeSequences(sequences, ['active', 'declining', 'dormant', 'closed']), { absorbing: ['closed'] });
  const window = { from: iso(ctx.window.from), to: iso(ctx.window.to) };
  const metrics = { customers: chain.customers, transitions: chain.transitions, loglik: Number(chain.loglik.toPrecision(8)), probabilities: chain.probabilities.map((r) => r.map((p) => Number(p.toFixed(6)))) };
  const rec = await ctx.registry.register({
    name: 'activity_chain',
    kind: 'markov',
    trainingWindow: window,
    features: ['monthly interactions (transactions, logins, trades, feature use) against the customer\'s own average'],
    definitionsHash: ctx.features.version,
    params: { periodDays: 30, states: chain.states, absorbing: chain.absorbing, decliningShare: 0.5 },
    metrics,
    card: buildModelCard({
      title: 'Monthly activity chain (Markov)',
      intendedUse: 'How customers move between active, declining, dormant and closed month to month: forecasts of the base and of dormancy.',
      outOfScope: 'Not an individual prediction; one chain describes the whole base.',
      window,
      rows: chain.transitions,
      label: 'next month\'s activity state',
      split: 'none: all 30-day periods of the window',
      definitionsHash: ctx.features.version,
      features: ['activity state'],
      metrics: { customers: chain.customers, transitions: chain.transitions },
      limitations: ['First-order and time-homogeneous: the next month depends only on this month.', ...chain.warnings],
    }),
    artefact: { format: 'nextbest-markov', formatVersion: 1, states: chain.states, probabilities: chain.probabilities, lower: chain.lower, upper: chain.upper, counts: chain.counts },
    driftReference: null,
    createdAt: ctx.createdAt,
  });
  return { id: rec.id, name: 'activity_chain', kind: 'markov', metrics };
}
