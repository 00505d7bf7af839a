/**
 * Segments: k-means on a few behavioural features of every customer seen by the end of
 * the window, described in words (models/segmentation). Served in the profile and to rules
 * as `scores.segment` (the segment's index).
 *
 * Transform: `segmentInput` — each column's value (the training median when missing) on a
 * signed log1p scale — then z-scores against the training base; training clusters rows made
 * by `segmentInput` and serving assigns a profile with `segmentOf`, which calls the same
 * function, so a customer lands in the same segment at training and at serving.
 * Drift: no label (unsupervised); the drift reference keeps the columns and segment sizes.
 */
import { buildModelCard } from '../card.js';
import { buildDriftReference } from '../../models/metrics/driftCheck.js';
import { segmentCustomers } from '../../models/segmentation/segment.js';
import { buildPeerGroups, peerQuantiles, percentileAmong } from '../../models/segmentation/peers.js';
import type { FeatureWords } from '../../models/segmentation/describe.js';
import { iso, sourceOf, type SkippedModel, type TrainContext, type TrainedModel } from '../context.js';
import { defineFamily, type FeatureLookup } from './family.js';

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
  /** Each segment's size and each column's quantiles (0, 5, …, 100%) in original units: the peers a served customer is compared with. Absent in artefacts trained before it. */
  peers?: { sizes: number[]; quantiles: number[][][] };
}

/** Segments the customers active at the end of the window. */
export async function trainSegments(ctx: TrainContext, k = 6): Promise<TrainedModel | SkippedModel> {
  const columns = SEGMENT_WORDS.map((w) => w.column).filter((c) => ctx.features.names.includes(c));
  if (columns.length < 2) return { name: 'segments', reason: 'the feature set lacks the segmentation columns' };
  const asOf = ctx.window.to - 1;
  const source = sourceOf(ctx);
  const ids = await source.customersSeen(asOf);
  if (ids.length < k * 10) return { name: 'segments', reason: `only ${ids.length} customers (need ${k * 10})` };
  const fm = { values: await source.featureMatrix(ids.map((customerId) => ({ customerId, asOf })), (done) => ctx.progress?.('segments features', done, undefined)) };
  const F = ctx.features.size;
  const cols = columns.map((c) => ctx.features.names.indexOf(c));
  const fills = cols.map((j) => {
    const v = ids.map((_, i) => fm.values[i * F + j]!).filter(Number.isFinite).sort((a, b) => a - b);
    return v.length > 0 ? v[Math.floor(v.length / 2)]! : 0;
  });
  // One transform for training and serving: each row goes through segmentInput, as a served profile does.
  const input = { columns, fills };
  const data = new Float64Array(ids.length * cols.length);
  const logData = new Float64Array(ids.length * cols.length);
  ids.forEach((_, i) => {
    const lookup = (name: string) => fm.values[i * F + ctx.features.names.indexOf(name)]!;
    columns.forEach((c, k) => (data[i * cols.length + k] = Number.isFinite(lookup(c)) ? lookup(c) : fills[k]!));
    logData.set(segmentInput(input, lookup), i * cols.length);
  });
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
    // Peers in original units (the filled values), per segment: what "customers like you" do.
    peers: (() => {
      const groups = buildPeerGroups({ rows: ids.length, cols: cols.length, data }, seg.clustering.labels, k, columns);
      return { sizes: groups.sizes, quantiles: peerQuantiles(groups).map((perColumn) => perColumn.map((q) => q.map((x) => Number(x.toPrecision(6))))) };
    })(),
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


const signedLog1p = (x: number) => Math.sign(x) * Math.log1p(Math.abs(x));

/** The transform shared by training and serving: the columns on a signed log1p scale, missing filled with the training median. */
export function segmentInput(a: Pick<SegmentArtefact, 'columns' | 'fills'>, values: FeatureLookup): Float64Array {
  return Float64Array.from(a.columns, (c, j) => {
    const v = values(c);
    return signedLog1p(Number.isFinite(v) ? v : a.fills[j]!);
  });
}

/** The segment of a profile: the nearest centre in z-scores of `segmentInput`. */
export function segmentOf(a: SegmentArtefact, values: FeatureLookup): number {
  const x = segmentInput(a, values);
  const d = x.length;
  let best = 0;
  let bestDist = Number.POSITIVE_INFINITY;
  for (let k = 0; k < a.names.length; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += ((x[j]! - a.mean[j]!) / a.sd[j]! - a.centresZ[k * d + j]!) ** 2;
    if (s < bestDist) {
      bestDist = s;
      best = k;
    }
  }
  return best;
}

/** One feature of a customer against the customers of their segment. */
export interface PeerInsight {
  feature: string;
  label: string;
  value: number;
  /** Share of the segment below the customer, 0-100 (from the artefact's quantile summary). */
  percentile: number;
  peerMedian: number;
  /** For the customer: "Your card spend is higher than 72% of customers like you." */
  sentence: string;
}

/** The profile's segment, and how the customer compares with it (when the model keeps its peers). */
export type SegmentScore = { id: number; name: string; model: string; peers?: { size: number; insights: PeerInsight[] } } | null;

/** Where the customer stands among their segment on each segmentation column. */
export function peerComparison(a: SegmentArtefact, segment: number, values: FeatureLookup): { size: number; insights: PeerInsight[] } | undefined {
  if (!a.peers) return undefined;
  const insights: PeerInsight[] = [];
  a.columns.forEach((column, j) => {
    const value = values(column);
    const q = a.peers!.quantiles[segment]?.[j];
    if (!q || !Number.isFinite(value)) return;
    const percentile = Math.round(percentileAmong(q, value));
    if (!Number.isFinite(percentile)) return;
    const label = SEGMENT_WORDS.find((w) => w.column === column)?.label ?? column;
    const sentence = percentile >= 50 ? `Your ${label}: higher than ${percentile}% of customers like you.` : `Your ${label}: lower than ${100 - percentile}% of customers like you.`;
    insights.push({ feature: column, label, value, percentile, peerMedian: q[(q.length - 1) / 2]!, sentence });
  });
  return { size: a.peers.sizes[segment]!, insights };
}

export const segments = defineFamily<'segment', { id: string; artefact: SegmentArtefact }, SegmentScore>({
  key: 'segment',
  job: 'segments',
  summary: 'Customer segments by k-means on behaviour, described in words.',
  transform: 'segmentInput: the segmentation columns on a signed log1p scale, training-median fills; then z-scores and the nearest centre (segmentOf)',
  readsFeatures: true,
  owns: (name) => name === 'segments',
  train: async (ctx) => [await trainSegments(ctx)],
  load: (records) => ({ id: records[0]!.id, artefact: records[0]!.artefact as SegmentArtefact }),
  versions: (s) => [s.id],
  score(served, input) {
    if (!served) return null;
    const id = segmentOf(served.artefact, input.values);
    const peers = peerComparison(served.artefact, id, input.values);
    return { id, name: served.artefact.names[id]!, model: served.id, ...(peers ? { peers } : {}) };
  },
  driftLabel: () => undefined,
  driftNote: 'unsupervised: no outcome to check; the drift reference keeps column and segment-size distributions',
  ruleScores: [{ name: 'segment', description: 'Index of the customer\'s segment (0..k-1; names in the model card)', read: (s) => s?.id }],
  promotion: () => 'judged_by_card',
});
