/**
 * Retention take-up: the take-up rates of a retention offer among customers staying and
 * leaving, a two-group mixture over the churn score fitted by maximum likelihood
 * (models/stats/leaverMixture.ts, the same maths the twin's engine serves). What decisions
 * read is `scores.leaving_given_retention`: by Bayes' rule on the two rates, the chance that
 * a customer with this churn risk who takes a retention offer up was leaving — what a
 * retention take-up is worth (the catalogue's `arbitration.leavingGivenTakeUp`; without it
 * the churn risk, which counts churn twice, since take-up is itself concentrated among
 * leavers).
 *
 * Training: every retention offer shown in the window (an action the catalogue values as
 * retention, `value.model: retention`, or its family's name as the twin writes it) and
 * whether it was taken up within 14 days; each offer's churn score is the churn GBDT's
 * (the churn_90d champion, else the newest churn_90d candidate) on the customer's
 * point-in-time features at the offer. Re-scoring rather than reading the score served at
 * the time: offers made before any churn model served (an exploration run, offers logged by
 * another system) have one too, and the scores are on the scale of the model that serves
 * `scores.churn_risk` beside the mixture.
 *
 * Transform: `retentionOf` — the served `scores.churn_risk` (the churn family comes earlier
 * in the list) through the mixture. No drift label (the rates are refitted, not drifting
 * scores); promotion by the `mixture_fit` rule (promotion.ts).
 */
import { logLoss } from '../../models/metrics/classification.js';
import { fitLeaverTakeUpRun, leaverTakeUpPrecision, leavingGivenTakeUp, takeUpAt, type LeaverTakeUp } from '../../models/stats/leaverMixture.js';
import type { ModelRecord, ModelRegistry } from '../../store/modelRegistry.js';
import { buildModelCard } from '../card.js';
import { iso, sourceOf, type SkippedModel, type TrainContext, type TrainedModel } from '../context.js';
import { buildDatasetFrom } from '../dataset.js';
import { OFFER_ACCEPTANCE } from '../definitions.js';
import { DAY_MS } from '../labels.js';
import { defineFamily, round6 } from './family.js';
import { gbdtProbability, servedGbdt } from './gbdt.js';

const NAME = 'retention_take_up';
const CHURN_MODEL = 'churn_90d';
const CHURN_SCORE = 'churn_risk';
/** Fewer retention offers or take-ups than these in the window and the family is not trained. */
export const MIN_RETENTION_OFFERS = 100;
export const MIN_RETENTION_TAKE_UPS = 10;
/** The latest share of the offers' time span held out to test the fit on. */
const TEST_SHARE = 0.2;

/** The mixture as stored in the registry. */
export interface RetentionArtefact {
  format: 'nextbest-leaver-mixture';
  formatVersion: 1;
  stayers: number;
  leavers: number;
  /** The churn model whose scores the rates were fitted on. */
  churnModel: string;
}

/** The profile's retention score: take-up at the served churn risk, and the chance a taker was leaving. */
export type RetentionScore = { leavingGivenTakeUp: number; takeUp: number; churnRisk: number; model: string } | null;

/** What serving holds: the two rates and the model id. */
export interface ServedRetention {
  id: string;
  fit: Pick<LeaverTakeUp, 'stayers' | 'leavers'>;
}

/** The transform: the churn risk served beside it through the mixture (null without a churn risk). */
export function retentionOf(m: ServedRetention, churnRisk: number | undefined): RetentionScore {
  if (churnRisk === undefined || !Number.isFinite(churnRisk)) return null;
  return { leavingGivenTakeUp: round6(leavingGivenTakeUp(m.fit, churnRisk)), takeUp: round6(takeUpAt(m.fit, churnRisk)), churnRisk, model: m.id };
}

/** The churn model the offers are scored with: the champion, else the newest candidate, trained on these feature definitions. */
async function churnModelFor(registry: ModelRegistry, definitionsHash: string): Promise<ModelRecord | undefined> {
  const champion = await registry.champion(CHURN_MODEL);
  if (champion && champion.definitionsHash === definitionsHash && champion.kind === 'gbdt') return champion;
  const newest = (await registry.list({ name: CHURN_MODEL, stage: 'candidate' })).filter((m) => m.definitionsHash === definitionsHash && m.kind === 'gbdt').sort((a, b) => b.version - a.version)[0];
  return newest && registry.get(newest.id);
}

/** Fits and registers the mixture on the window's retention offers (or says why not). */
export async function trainRetention(ctx: TrainContext): Promise<(TrainedModel | SkippedModel)[]> {
  const skip = (reason: string): SkippedModel[] => [{ name: NAME, reason }];
  const actions = ctx.retentionActions ?? new Set(['retention']);
  if (actions.size === 0) return skip('the catalogue has no retention actions (value.model: retention)');
  ctx.progress?.('retention offers', 0, undefined);
  const data = sourceOf(ctx);
  const rows = (await data.labelRows(OFFER_ACCEPTANCE, ctx.window)).filter((r) => actions.has(r.action ?? ''));
  const takeUps = rows.reduce((s, r) => s + r.label, 0);
  if (rows.length < MIN_RETENTION_OFFERS || takeUps < MIN_RETENTION_TAKE_UPS) return skip(`${rows.length} retention offers with ${takeUps} take-ups in the window (need ${MIN_RETENTION_OFFERS} offers and ${MIN_RETENTION_TAKE_UPS} take-ups)`);
  const churnRecord = await churnModelFor(ctx.registry, ctx.features.version);
  if (!churnRecord) return skip(`no ${CHURN_MODEL} model trained on these feature definitions to score the offers with (train churn first)`);
  const churn = servedGbdt(churnRecord);
  const ds = await buildDatasetFrom(data, ctx.features, rows, (done) => ctx.progress?.('retention features', done, undefined));
  const W = ds.names.length;
  const col = new Map(ds.names.map((n, j) => [n, j]));
  // The churn family's own transform on the row as of the offer: the score it would have served then.
  const r = rows.map((_, i) => gbdtProbability(churn, (n) => (col.has(n) ? ds.values[i * W + col.get(n)!]! : Number.NaN)));
  const y = rows.map((x) => x.label);
  const run = fitLeaverTakeUpRun(r, y);
  if (!run) return skip('the mixture could not be fitted (fewer than 50 offers or no take-up)');
  const precision = leaverTakeUpPrecision(run.fit, r, y);

  // Held out: the same fit on the earlier offers, tested on the latest TEST_SHARE of the span (offers whose 14 days reach into it left out).
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of rows) {
    lo = Math.min(lo, x.asOf);
    hi = Math.max(hi, x.asOf);
  }
  const testFrom = hi - (hi - lo) * TEST_SHARE;
  const train = rows.flatMap((x, i) => (x.asOf + OFFER_ACCEPTANCE.withinDays * DAY_MS < testFrom ? [i] : []));
  const test = rows.flatMap((x, i) => (x.asOf >= testFrom ? [i] : []));
  const earlier = fitLeaverTakeUpRun(train.map((i) => r[i]!), train.map((i) => y[i]!));
  const yTe = test.map((i) => y[i]!);
  const testTakeUps = yTe.reduce((s, v) => s + v, 0);
  const trainRate = train.reduce((s, i) => s + y[i]!, 0) / Math.max(1, train.length);
  const heldOut = earlier && test.length > 0;
  const churnMean = r.reduce((s, v) => s + v, 0) / r.length;
  const churnSd = Math.sqrt(r.reduce((s, v) => s + (v - churnMean) ** 2, 0) / r.length);
  const metrics = {
    offers: run.fit.offers,
    takeUps: run.fit.takeUps,
    stayers: round6(run.fit.stayers),
    leavers: round6(run.fit.leavers),
    seStayers: Number.isFinite(precision.seStayers) ? round6(precision.seStayers) : null,
    seLeavers: Number.isFinite(precision.seLeavers) ? round6(precision.seLeavers) : null,
    correlation: Number.isFinite(precision.correlation) ? round6(precision.correlation) : null,
    converged: run.converged,
    iterations: run.iterations,
    churnScoreMean: round6(churnMean),
    churnScoreSd: round6(churnSd),
    churnModel: churnRecord.id,
    trainRows: train.length,
    testRows: test.length,
    testPositives: testTakeUps,
    testFrom: iso(testFrom),
    logLoss: heldOut ? round6(logLoss(test.map((i) => takeUpAt(earlier.fit, r[i]!)), yTe)) : null,
    logLossBaseline: heldOut ? round6(logLoss(new Float64Array(test.length).fill(trainRate), yTe)) : null,
  };
  const window = { from: iso(ctx.window.from), to: iso(ctx.window.to) };
  const artefact: RetentionArtefact = { format: 'nextbest-leaver-mixture', formatVersion: 1, stayers: run.fit.stayers, leavers: run.fit.leavers, churnModel: churnRecord.id };
  const record = await ctx.registry.register({
    name: NAME,
    kind: 'leaver_mixture',
    trainingWindow: window,
    features: [],
    definitionsHash: ctx.features.version,
    params: { churnModel: churnRecord.id, actions: [...actions].sort(), prior: 'one take-up and one decline per group', maxIterations: 200 },
    metrics,
    card: buildModelCard({
      title: 'Retention take-up among stayers and leavers',
      intendedUse: 'The chance that a customer who takes a retention offer up was leaving (scores.leaving_given_retention, from the served churn risk by Bayes\' rule): what arbitration values a retention take-up by.',
      outOfScope: 'Not a churn model and not a propensity for ranking customers; not for withdrawing service from customers who would stay anyway.',
      window,
      rows: rows.length,
      positives: takeUps,
      label: `${OFFER_ACCEPTANCE.description}; offers of ${[...actions].sort().join(', ')}; churn score of each offer: ${churnRecord.id} on the customer's features as of the offer`,
      split: `fitted on every offer; held-out check: the same fit on offers before ${iso(testFrom)} (less the 14 days before it), tested after`,
      definitionsHash: ctx.features.version,
      features: [],
      metrics: {
        stayers: metrics.stayers,
        leavers: metrics.leavers,
        seStayers: metrics.seStayers,
        seLeavers: metrics.seLeavers,
        correlation: metrics.correlation,
        iterations: metrics.iterations,
        converged: run.converged ? 1 : 0,
        logLoss: metrics.logLoss,
        logLossBaseline: metrics.logLossBaseline,
      },
      limitations: [
        'Reads the churn risk as the chance the customer is leaving: a churn model that is off in calibration moves both rates and the served chance.',
        `Fitted on ${churnRecord.id}'s scores; served on the churn champion's. A new churn champion needs this model refitted.`,
        'The churn model was trained on the same log, so the offers\' churn scores are partly in sample.',
        'Two rates for all retention actions and channels together; the catalogue in force at training says which actions are retention.',
        'Identified only when the offers\' churn scores vary: the standard errors say how well the two rates are pinned down.',
      ],
    }),
    artefact,
    createdAt: ctx.createdAt,
  });
  return [{ id: record.id, name: NAME, kind: 'leaver_mixture', metrics }];
}

export const retention = defineFamily<'retention', ServedRetention, RetentionScore>({
  key: 'retention',
  job: 'retention',
  summary: 'Take-up of a retention offer among customers staying and leaving (a two-group mixture over the churn score), and the chance a taker was leaving.',
  transform: 'retentionOf: the served scores.churn_risk through the two fitted rates (Bayes\' rule)',
  readsFeatures: false,
  readsRuleScores: [CHURN_SCORE],
  // Its two rates are fitted to one churn model's scores: served only while that model is the churn champion.
  fittedOn: (r) => [(r.artefact as RetentionArtefact).churnModel],
  owns: (name) => name === NAME,
  train: (ctx) => trainRetention(ctx),
  load(records) {
    const r = records[0]!;
    const a = r.artefact as RetentionArtefact;
    return { id: r.id, fit: { stayers: a.stayers, leavers: a.leavers } };
  },
  versions: (m) => [m.id],
  score: (m, input) => (m ? retentionOf(m, input.ruleScores[CHURN_SCORE]) : null),
  driftLabel: () => undefined,
  driftNote: 'retention_take_up: two rates refitted on the offers heard, with no score distribution of its own to check',
  ruleScores: [{ name: 'leaving_given_retention', description: 'Chance (0..1) that a customer who takes a retention offer up was leaving, from the churn risk and the fitted take-up rates of stayers and leavers', read: (s) => s?.leavingGivenTakeUp }],
  promotion: () => 'mixture_fit',
});
