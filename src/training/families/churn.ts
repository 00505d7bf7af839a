/**
 * Churn: a GBDT for the probability of leaving within 90 days (what decisions read as
 * `scores.churn_risk`) and a Cox model over a few interpretable covariates for the whole
 * survival curve (risk at 30, 90 and 365 days, and hazard ratios a risk committee can
 * read). With only the Cox model served, its 90-day risk stands in for the GBDT.
 *
 * Transform: the GBDT reads the profile features by name (gbdtRow); the Cox model reads
 * `coxRow` (chosen covariates, signed log1p on money, training-median fills), the same
 * function at training and at serving. Drift: the churn label's rows for the GBDT; the Cox
 * model has no label drift check (its drift reference is kept for feature drift).
 */
import { buildModelCard } from '../card.js';
import { buildDriftReference } from '../../models/metrics/driftCheck.js';
import { harrellConcordance } from '../../models/survival/concordance.js';
import { NextbestError } from '../../core/errors.js';
import { fitCox, type CoxModel } from '../../models/survival/cox.js';
import { riskAtHorizons } from '../../models/survival/coxPredict.js';
import type { ModelRecord } from '../../store/modelRegistry.js';
import { trainBinaryModel } from '../binary.js';
import { iso, type SkippedModel, type TrainContext, type TrainedModel, sourceOf } from '../context.js';
import { buildDatasetFrom, timeSplit, type Dataset } from '../dataset.js';
import { CHURN } from '../definitions.js';
import { DAY_MS } from '../labels.js';
import { defineFamily, round6, type FeatureLookup } from './family.js';
import { gbdtProbability, servedGbdt, type ServedGbdt } from './gbdt.js';

/** Cox covariates: engagement, money leaving, service trouble and balances; money on a signed log scale. */
export const COX_COVARIATES: readonly { name: string; transform: 'none' | 'signed_log1p' }[] = [
  { name: 'days_since_last_login', transform: 'none' },
  { name: 'logins_30d', transform: 'none' },
  { name: 'days_since_last_activity', transform: 'none' },
  { name: 'transfers_out_other_banks_90d', transform: 'signed_log1p' },
  { name: 'complaints_365d', transform: 'none' },
  { name: 'negative_contacts_90d', transform: 'none' },
  { name: 'overdraft_days_90d', transform: 'none' },
  { name: 'avg_monthly_balance', transform: 'signed_log1p' },
  { name: 'card_spend_30d', transform: 'signed_log1p' },
];

/** The Cox model as stored in the registry: enough to score a profile at any horizon. */
export interface CoxArtefact {
  format: 'nextbest-cox';
  formatVersion: 1;
  covariates: { name: string; transform: 'none' | 'signed_log1p'; fill: number }[];
  beta: number[];
  means: number[];
  baseline: { stratum: number; time: number[]; cumHazard: number[] }[];
}

const signedLog1p = (x: number) => Math.sign(x) * Math.log1p(Math.abs(x));

/** The covariate vector of a feature row (names → values), transformed and with fills for missing. */
export function coxRow(a: Pick<CoxArtefact, 'covariates'>, value: FeatureLookup): number[] {
  return a.covariates.map((c) => {
    const v = value(c.name);
    const x = Number.isFinite(v) ? v : c.fill;
    return c.transform === 'signed_log1p' ? signedLog1p(x) : x;
  });
}

/** Churn within 90 days (GBDT) and time to churn (Cox). */
export async function trainChurn(ctx: TrainContext): Promise<(TrainedModel | SkippedModel)[]> {
  ctx.progress?.('churn labels', 0, undefined);
  const data = sourceOf(ctx);
  const rows = await data.labelRows(CHURN, ctx.window);
  const ds = await buildDatasetFrom(data, ctx.features, rows, (done) => ctx.progress?.('churn features', done, undefined));
  const binary = rows.flatMap((r, i) => (Number.isNaN(r.label) ? [] : [i]));
  const gbdt = await trainBinaryModel(
    ctx,
    {
      name: 'churn_90d',
      title: 'Churn within 90 days',
      intendedUse: 'The probability that an active customer leaves (asks to close, or goes silent for 90 days) within 90 days; read by retention triggers and shown in the profile.',
      outOfScope: 'Not for pricing or for withdrawing service; a high score is a reason to help, never to treat a customer worse.',
      label: CHURN.description,
      limitations: ['Monthly snapshots of the same customer are correlated; metrics are on a later time slice, not on new customers.', 'A retention offer taken up changes the outcome it predicts: past retention activity is in the data.'],
      purgeDays: CHURN.everyDays,
    },
    ds,
    binary,
  );
  return [gbdt, await trainCox(ctx, ds)];
}

async function trainCox(ctx: TrainContext, ds: Dataset): Promise<TrainedModel | SkippedModel> {
  let covs = COX_COVARIATES.filter((c) => ds.names.includes(c.name));
  if (covs.length === 0) return { name: 'churn_cox', reason: 'none of the Cox covariates are in the feature set' };
  const split = timeSplit(ds.rows, 0, { train: 0.8, validation: 0 });
  const W = ds.names.length;
  const col = (name: string) => ds.names.indexOf(name);
  // Missing values are filled with the training median (e.g. no logins ever → median days since login).
  const fills = covs.map((c) => {
    const j = col(c.name);
    const v = split.train.map((i) => ds.values[i * W + j]!).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    return v.length > 0 ? v[Math.floor(v.length / 2)]! : 0;
  });
  const all = covs.map((c, k) => ({ name: c.name, transform: c.transform, fill: fills[k]! }));
  // A covariate constant over the training rows (e.g. no complaints at all) cannot be estimated: leave it out.
  const spec = all.filter((c) => {
    const v = split.train.map((i) => coxRow({ covariates: [c] }, (name) => ds.values[i * W + col(name)]!)[0]!);
    return v.some((x) => x !== v[0]);
  });
  if (spec.length === 0) return { name: 'churn_cox', reason: 'every Cox covariate is constant over the training rows' };
  covs = covs.filter((c) => spec.some((s) => s.name === c.name));
  const design = (idx: number[]) => {
    const x = new Float64Array(idx.length * spec.length);
    idx.forEach((i, r) => x.set(coxRow({ covariates: spec }, (name) => ds.values[i * W + col(name)]!), r * spec.length));
    return x;
  };
  // Training rows are censored at the start of the test slice: their follow-up must not see the test period.
  const cut = split.validationFrom;
  const tTr = split.train.map((i) => Math.min(ds.rows[i]!.time, (cut - ds.rows[i]!.asOf) / DAY_MS));
  const eTr = split.train.map((i, k): number => (ds.rows[i]!.event === 1 && ds.rows[i]!.time <= tTr[k]! ? 1 : 0));
  if (eTr.reduce((s, e) => s + e, 0) < 10 || split.test.length === 0) return { name: 'churn_cox', reason: 'fewer than 10 churn events in the training slice' };
  ctx.progress?.('churn_cox', 0, 1);
  let model: CoxModel;
  try {
    model = fitCox({ time: tTr, event: eTr, x: design(split.train), p: covs.length }, { names: covs.map((c) => c.name), concordance: true });
  } catch (e) {
    if (e instanceof NextbestError) return { name: 'churn_cox', reason: `Cox fit failed: ${e.message}` };
    throw e;
  }
  ctx.progress?.('churn_cox', 1, 1);
  const xTe = design(split.test);
  const p = covs.length;
  const riskTe = split.test.map((_, r) => {
    let lp = 0;
    for (let j = 0; j < p; j++) lp += (xTe[r * p + j]! - model.means[j]!) * model.beta[j]!;
    return lp;
  });
  const c = harrellConcordance(
    split.test.map((i) => ds.rows[i]!.time),
    split.test.map((i) => ds.rows[i]!.event),
    riskTe,
  );
  const artefact: CoxArtefact = { format: 'nextbest-cox', formatVersion: 1, covariates: spec, beta: model.beta, means: model.means, baseline: model.baseline.map((b) => ({ stratum: b.stratum, time: b.time, cumHazard: b.cumHazard })) };
  const risk90 = split.train.map((i) => riskAtHorizons(model, coxRow(artefact, (name) => ds.values[i * W + col(name)]!), [90])[0]!.risk);
  const window = { from: iso(ctx.window.from), to: iso(ctx.window.to) };
  const metrics = {
    concordanceTest: Number(c.cIndex.toFixed(6)),
    concordanceTrain: model.concordance ? Number(model.concordance.cIndex.toFixed(6)) : null,
    trainRows: split.train.length,
    trainEvents: eTr.reduce((s, e) => s + e, 0),
    testRows: split.test.length,
    testFrom: iso(cut),
    hazardRatios: Object.fromEntries(model.coefficients.map((k) => [k.name, { expCoef: Number(k.expCoef.toPrecision(6)), p: Number(k.p.toPrecision(4)) }])),
  };
  const record = await ctx.registry.register({
    name: 'churn_cox',
    kind: 'cox',
    trainingWindow: window,
    features: covs.map((x) => x.name),
    definitionsHash: ctx.features.version,
    params: { ties: model.ties, covariates: spec },
    metrics,
    card: buildModelCard({
      title: 'Time to churn (Cox proportional hazards)',
      intendedUse: 'Churn risk at any horizon (30, 90, 365 days) and hazard ratios that explain it; shown in the profile as churn risk with its horizon.',
      outOfScope: 'Not for pricing or for withdrawing service.',
      window,
      rows: ds.rows.length,
      positives: ds.rows.reduce((s, r) => s + r.event, 0),
      label: `time from each weekly snapshot to churn (${CHURN.description}), censored at the end of the log (training rows at the start of the test slice)`,
      split: `time-based: train as-of before ${iso(cut)}, test after`,
      definitionsHash: ctx.features.version,
      features: covs.map((x) => x.name),
      metrics: { concordanceTest: metrics.concordanceTest, concordanceTrain: metrics.concordanceTrain },
      limitations: ['Assumes proportional hazards: the effect of each covariate is the same at every horizon.', 'Missing covariates are filled with the training median.', 'Repeated snapshots of one customer enter as separate rows (a landmark design); standard errors are optimistic.'],
    }),
    artefact,
    driftReference: buildDriftReference(
      covs.map((x) => x.name),
      Float64Array.from(split.train.flatMap((i) => covs.map((x) => ds.values[i * W + col(x.name)]!))),
      risk90,
    ),
    createdAt: ctx.createdAt,
  });
  return { id: record.id, name: 'churn_cox', kind: 'cox', metrics };
}

/** The profile's churn score: 90-day probability, and the Cox risks at 30/90/365 days when served. */
export type ChurnScore = { probability: number; horizonDays: number; model: string; survival?: { horizonDays: number; risk: number | null }[]; survivalModel?: string } | null;

export interface ServedChurn {
  gbdt?: ServedGbdt;
  cox?: { id: string; artefact: CoxArtefact };
}

const HORIZONS = [30, 90, 365];

export const churn = defineFamily<'churn', ServedChurn, ChurnScore>({
  key: 'churn',
  job: 'churn',
  summary: 'Probability of leaving within 90 days (GBDT) and time to churn (Cox: risk at 30, 90, 365 days).',
  transform: 'GBDT: profile features by name (gbdtRow); Cox: coxRow (signed log1p on money, training-median fills)',
  readsFeatures: true,
  owns: (name) => name === 'churn_90d' || name === 'churn_cox',
  train: (ctx) => trainChurn(ctx),
  load(records: readonly ModelRecord[]) {
    const out: ServedChurn = {};
    for (const r of records) {
      if (r.name === 'churn_90d') out.gbdt = servedGbdt(r);
      else out.cox = { id: r.id, artefact: r.artefact as CoxArtefact };
    }
    return out;
  },
  versions: (s) => [s.gbdt?.version, s.cox?.id].filter((v): v is string => v !== undefined),
  score(served, input) {
    if (!served) return null;
    let out: ChurnScore = served.gbdt ? { probability: round6(gbdtProbability(served.gbdt, input.values)), horizonDays: 90, model: served.gbdt.version } : null;
    const cox = served.cox;
    if (cox) {
      const risks = riskAtHorizons({ beta: cox.artefact.beta, means: cox.artefact.means, baseline: cox.artefact.baseline }, coxRow(cox.artefact, input.values), HORIZONS);
      // Past the longest follow-up the baseline hazard is unknown (flat), not zero: such horizons get null.
      const maxTime = Math.max(0, ...cox.artefact.baseline.map((b) => b.time[b.time.length - 1] ?? 0));
      const survival = risks.map((r) => ({ horizonDays: r.horizon, risk: r.horizon <= maxTime ? round6(r.risk) : null }));
      out = out ? { ...out, survival, survivalModel: cox.id } : { probability: round6(risks[1]!.risk), horizonDays: 90, model: cox.id, survival, survivalModel: cox.id };
    }
    return out;
  },
  driftLabel: (name) => (name === 'churn_90d' ? { def: CHURN } : undefined),
  driftNote: 'churn_cox: a survival model has no 90-day binary score to check against outcomes; its feature drift reference is kept',
  ruleScores: [{ name: 'churn_risk', description: 'Probability of leaving within 90 days (0..1)', read: (s) => s?.probability }],
  promotion: (name) => (name === 'churn_90d' ? 'binary_auc' : 'judged_by_card'),
});
