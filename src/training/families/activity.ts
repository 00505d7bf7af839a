/**
 * The monthly activity chain (Markov): how customers move between active, declining,
 * dormant and closed from one 30-day period to the next. Served per customer: their
 * current state from the profile, and from the fitted chain the probability that they are
 * dormant or closed within 90 days (`scores.activity_state`, `scores.p_dormant_90d`).
 *
 * Transform: `activityStateOf` turns profile features into a state. Training applies it to
 * point-in-time features at each month end of the window (the offline path of the same
 * definitions), serving to the live profile, so the states the chain learned are the states
 * it is asked about. `closed` comes from the log at training (a close_account contact); a
 * profile has no such feature, so serving never reports `closed` (such customers read as
 * dormant once silent). Drift: no label; the chain's card lists its transitions.
 */
import { buildModelCard } from '../card.js';
import { ACTIVITY_STATES, DEFAULT_ACTIVITY_THRESHOLDS, type ActivityState } from '../../models/markov/states.js';
import { encodeSequences, fitMarkovChain } from '../../models/markov/transitions.js';
import { iso, sourceOf, type SkippedModel, type TrainContext, type TrainedModel } from '../context.js';
import { DAY_MS } from '../labels.js';
import { defineFamily, round6, type FeatureLookup } from './family.js';

const NAME = 'activity_chain';
const PERIOD_DAYS = 30;
/** The horizon of `p_dormant_90d`, in periods. */
const HORIZON_PERIODS = 3;
/** The profile features the state is read from. */
export const ACTIVITY_FEATURES = ['days_since_last_activity', 'logins_trend_30d', 'card_spend_30d', 'card_spend_90d'] as const;

/**
 * The transform shared by training and serving. Dormant: nothing done for a whole period
 * (or never seen). Declining: the mean of the customer's own activity ratios — logins this
 * month against last month, card spend this month against their 90-day monthly average —
 * below half. Active otherwise (also when there is no baseline to compare with).
 */
export function activityStateOf(values: FeatureLookup): Exclude<ActivityState, 'closed'> {
  const since = values('days_since_last_activity');
  if (!Number.isFinite(since) || since >= PERIOD_DAYS) return 'dormant';
  const ratios: number[] = [];
  const logins = values('logins_trend_30d');
  if (Number.isFinite(logins)) ratios.push(logins);
  const spend90 = values('card_spend_90d');
  const spend30 = values('card_spend_30d');
  if (spend90 > 0 && Number.isFinite(spend30)) ratios.push(spend30 / (spend90 / 3));
  if (ratios.length > 0 && ratios.reduce((a, b) => a + b, 0) / ratios.length < DEFAULT_ACTIVITY_THRESHOLDS.decliningShare) return 'declining';
  return 'active';
}

/** The chain as stored in the registry. */
export interface ActivityArtefact {
  format: 'nextbest-markov';
  formatVersion: 2;
  states: string[];
  probabilities: number[][];
  lower: number[][];
  upper: number[][];
  counts: number[][];
  periodDays: number;
  /** The transform the states came from. */
  transform: 'activityStateOf';
}

/** P(in one of `targets` at some period within `n` periods | start in each state): first-passage recursion. */
export function probabilityReachedWithin(p: readonly (readonly number[])[], targets: readonly number[], n: number): number[] {
  const hit = new Set(targets);
  let h: number[] = p.map((_, i) => (hit.has(i) ? 1 : 0));
  for (let t = 0; t < n; t++) h = p.map((row, i) => (hit.has(i) ? 1 : row.reduce((s, q, j) => s + q * h[j]!, 0)));
  return h;
}

/** The chain fitted to month-end states of every customer seen at the start of the window. */
export async function trainActivityChain(ctx: TrainContext): Promise<TrainedModel | SkippedModel> {
  const missing = ACTIVITY_FEATURES.filter((f) => !ctx.features.names.includes(f));
  if (missing.length > 0) return { name: NAME, reason: `the feature set lacks ${missing.join(', ')}` };
  // Month ends counted back from the end of the window, so the latest state is the freshest.
  const ends: number[] = [];
  for (let t = ctx.window.to - 1; t >= ctx.window.from; t -= PERIOD_DAYS * DAY_MS) ends.unshift(t);
  if (ends.length < 2) return { name: NAME, reason: `the window holds fewer than 2 month ends ${PERIOD_DAYS} days apart` };
  const data = sourceOf(ctx);
  const ids = await data.customersSeen(ends[0]!);
  if (ids.length < 20) return { name: NAME, reason: `only ${ids.length} customers at the start of the window (need 20)` };
  const closedAt = await data.closures(ends[ends.length - 1]! + 1);
  const pairs = ids.flatMap((customerId) => ends.map((asOf) => ({ customerId, asOf })));
  const fm = { values: await data.featureMatrix(pairs, (done) => ctx.progress?.('activity features', done, undefined)) };
  const F = ctx.features.size;
  const col = new Map(ctx.features.names.map((n, j) => [n, j]));
  const sequences = ids.map((id, c) =>
    ends.map((asOf, k): ActivityState => {
      const closed = closedAt.get(id);
      if (closed !== undefined && closed <= asOf) return 'closed';
      const row = (c * ends.length + k) * F;
      return activityStateOf((name) => fm.values[row + (col.get(name) ?? -1)] ?? Number.NaN);
    }),
  );
  ctx.progress?.(NAME, 0, 1);
  const chain = fitMarkovChain(encodeSequences(sequences, ACTIVITY_STATES), { absorbing: ['closed'] });
  ctx.progress?.(NAME, 1, 1);
  const window = { from: iso(ctx.window.from), to: iso(ctx.window.to) };
  const pDormant = probabilityReachedWithin(chain.probabilities, [chain.states.indexOf('dormant'), chain.states.indexOf('closed')], HORIZON_PERIODS);
  const metrics = {
    customers: chain.customers,
    transitions: chain.transitions,
    monthEnds: ends.length,
    loglik: Number(chain.loglik.toPrecision(8)),
    probabilities: chain.probabilities.map((r) => r.map((p) => Number(p.toFixed(6)))),
    pDormantWithin90d: Object.fromEntries(chain.states.map((s, i) => [s, round6(pDormant[i]!)])),
  };
  const artefact: ActivityArtefact = { format: 'nextbest-markov', formatVersion: 2, states: chain.states, probabilities: chain.probabilities, lower: chain.lower, upper: chain.upper, counts: chain.counts, periodDays: PERIOD_DAYS, transform: 'activityStateOf' };
  const rec = await ctx.registry.register({
    name: NAME,
    kind: 'markov',
    trainingWindow: window,
    features: [...ACTIVITY_FEATURES],
    definitionsHash: ctx.features.version,
    params: { periodDays: PERIOD_DAYS, states: chain.states, absorbing: chain.absorbing, decliningShare: DEFAULT_ACTIVITY_THRESHOLDS.decliningShare, dormantAfterDays: PERIOD_DAYS },
    metrics,
    card: buildModelCard({
      title: 'Monthly activity chain (Markov)',
      intendedUse: 'How customers move between active, declining, dormant and closed month to month: each customer\'s current state and their probability of being dormant or closed within 90 days, for re-engagement and retention.',
      outOfScope: 'Not a churn model: one chain describes the whole base, so customers in the same state get the same probability.',
      window,
      rows: chain.transitions,
      label: 'next month\'s activity state',
      split: `none: every ${PERIOD_DAYS}-day step between month ends of the window`,
      definitionsHash: ctx.features.version,
      features: [...ACTIVITY_FEATURES],
      metrics: { customers: chain.customers, transitions: chain.transitions },
      limitations: ['First-order and time-homogeneous: the next month depends only on this month.', 'Serving never reports closed: a profile carries no closure feature.', ...chain.warnings],
    }),
    artefact,
    driftReference: null,
    createdAt: ctx.createdAt,
  });
  return { id: rec.id, name: NAME, kind: 'markov', metrics };
}

/** The profile's activity: current state and the chain's probability of dormancy (or closure) within 90 days. */
export type ActivityScore = { state: ActivityState; pDormant90d: number; horizonDays: number; model: string } | null;

export interface ServedChain {
  id: string;
  /** P(dormant or closed within the horizon) by state index. */
  pDormant: number[];
  states: string[];
}

export const activity = defineFamily<'activity', ServedChain, ActivityScore>({
  key: 'activity',
  job: 'activity',
  summary: 'Monthly activity chain: current state (active, declining, dormant) and P(dormant or closed within 90 days).',
  transform: 'activityStateOf: days since last activity, login trend and card spend against the customer\'s own 90-day average',
  readsFeatures: true,
  owns: (name) => name === NAME,
  train: async (ctx) => [await trainActivityChain(ctx)],
  load(records) {
    const a = records[0]!.artefact as ActivityArtefact;
    return { id: records[0]!.id, states: a.states, pDormant: probabilityReachedWithin(a.probabilities, [a.states.indexOf('dormant'), a.states.indexOf('closed')].filter((i) => i >= 0), HORIZON_PERIODS) };
  },
  versions: (s) => [s.id],
  score(served, input) {
    if (!served) return null;
    const state = activityStateOf(input.values);
    const i = served.states.indexOf(state);
    return { state, pDormant90d: i >= 0 ? round6(served.pDormant[i]!) : Number.NaN, horizonDays: HORIZON_PERIODS * PERIOD_DAYS, model: served.id };
  },
  driftLabel: () => undefined,
  driftNote: 'a chain over the whole base: refit and compare the transition matrix (its card) rather than score drift',
  ruleScores: [
    { name: 'activity_state', description: `The customer's activity state as its index in ${ACTIVITY_STATES.join(', ')} (0..3)`, read: (s) => (s ? ACTIVITY_STATES.indexOf(s.state) : undefined) },
    { name: 'p_dormant_90d', description: 'Probability of being dormant or closed within 90 days, from the activity chain (0..1)', read: (s) => s?.pDormant90d },
  ],
  promotion: () => 'judged_by_card',
});
