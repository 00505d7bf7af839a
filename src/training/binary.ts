/**
 * One binary GBDT job: time split, early stopping on the validation slice, report on the
 * test slice, drift reference from the training slice, model card, registration.
 */
import { buildModelCard } from './card.js';
import { buildDriftReference } from '../models/metrics/driftCheck.js';
import { modelToJson, predictBatch, type FeatureMatrix, type GbdtModel } from '../models/gbdt/index.js';
import { boostHere } from './boostPool.js';
import { GBDT_DEFAULTS, iso, type SkippedModel, type TrainContext, type TrainedModel } from './context.js';
import { takeRows, timeSplit, type Dataset, type TimeSplit } from './dataset.js';
import { aucInterval } from './aucInterval.js';
import { binaryReport, rounded } from './report.js';
import { auditModelFairness, fairnessStatement, protectedGroups } from './fairness.js';

/** What the card says about a binary model. */
export interface BinarySpec {
  name: string;
  title: string;
  intendedUse: string;
  outOfScope: string;
  label: string;
  limitations: string[];
  purgeDays: number;
  /** Fewer positive training rows than this and the job is skipped. */
  minPositives?: number;
}

/** Trains, evaluates and registers a binary model on the rows `subset` of the dataset. */
export async function trainBinaryModel(ctx: TrainContext, spec: BinarySpec, ds: Dataset, subset: readonly number[]): Promise<TrainedModel | SkippedModel> {
  const started = startBinaryModel(ctx, spec, ds, subset);
  return 'reason' in started ? started : started.finish();
}

/** A binary model whose boosting is under way: `finish` waits for it, then evaluates and registers. */
export interface BoostingBinary {
  finish(): Promise<TrainedModel>;
}

/**
 * The first half of `trainBinaryModel`: split and submit the boosting (to `ctx.boosting`,
 * which may run it on another thread). Several can be started before the first is
 * finished; finishing them in order registers them in order.
 */
export function startBinaryModel(ctx: TrainContext, spec: BinarySpec, ds: Dataset, subset: readonly number[]): BoostingBinary | SkippedModel {
  const rows = subset.map((i) => ds.rows[i]!);
  if (rows.length === 0) return { name: spec.name, reason: 'no labelled rows in the window' };
  const local = timeSplit(rows, spec.purgeDays);
  const pick = (idx: number[]) => idx.map((k) => subset[k]!);
  const [tr, va, te] = [pick(local.train), pick(local.validation), pick(local.test)];
  const W = ds.names.length;
  const labelOf = (idx: number[]) => Float64Array.from(idx, (i) => ds.rows[i]!.label);
  const yTr = labelOf(tr);
  const yVa = labelOf(va);
  const yTe = labelOf(te);
  const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
  const minPos = spec.minPositives ?? 10;
  if (sum(yTr) < minPos) return { name: spec.name, reason: `only ${sum(yTr)} positive training rows (need ${minPos})` };
  if (sum(yTe) === 0 || sum(yTe) === yTe.length || va.length === 0) return { name: spec.name, reason: 'the validation or test slice has no rows of one class' };
  const xTr = { nRows: tr.length, nFeatures: W, values: takeRows(ds.values, W, tr) };
  const xVa = { nRows: va.length, nFeatures: W, values: takeRows(ds.values, W, va) };
  const xTe = { nRows: te.length, nFeatures: W, values: takeRows(ds.values, W, te) };
  const params = { ...GBDT_DEFAULTS, seed: ctx.seed, ...ctx.gbdt };
  const rounds = Number(params.rounds ?? 300);
  const task = (ctx.boosting ?? boostHere()).submit({ features: xTr, label: yTr, featureNames: ds.names, validation: { features: xVa, label: yVa }, onRound: (r) => ctx.progress?.(spec.name, r + 1, rounds) }, params);
  return { finish: async () => evaluateAndRegister(ctx, spec, ds, { local, tr, va, te, yTr, yVa, yTe, xTr, xTe, params }, (await task.result()).model) };
}

async function evaluateAndRegister(
  ctx: TrainContext,
  spec: BinarySpec,
  ds: Dataset,
  s: { local: TimeSplit; tr: number[]; va: number[]; te: number[]; yTr: Float64Array; yVa: Float64Array; yTe: Float64Array; xTr: FeatureMatrix; xTe: FeatureMatrix; params: Record<string, unknown> },
  model: GbdtModel,
): Promise<TrainedModel> {
  const { local, tr, va, te, yTr, yVa, yTe, xTr, xTe, params } = s;
  const sum = (a: Float64Array) => a.reduce((t, v) => t + v, 0);
  const pTe = predictBatch(model, xTe);
  const pTr = predictBatch(model, xTr);
  const baseRate = sum(yTr) / yTr.length;
  const report = rounded(binaryReport(pTe, yTe, baseRate));
  // The promotion guard reads the lower bound: a model whose test AUC may be chance is not promoted.
  const aucLower95 = Number(aucInterval(pTe, yTe).lower.toPrecision(6));
  const window = { from: iso(ctx.window.from), to: iso(ctx.window.to) };
  const fairness = ctx.customers ? await fairnessOf(ctx.customers, te.map((i) => ds.rows[i]!), pTe) : undefined;
  const metrics = { auc: report.auc, aucLower95, logLoss: report.logLoss, logLossBaseline: report.logLossBaseline, liftTopDecile: report.liftTopDecile, ece: report.ece, testRows: report.rows, testPositives: report.positives, trainRows: tr.length, validationRows: va.length, rounds: model.bestIteration, testFrom: iso(local.testFrom) };
  const card = buildModelCard({
    title: spec.title,
    intendedUse: spec.intendedUse,
    outOfScope: spec.outOfScope,
    window,
    rows: tr.length + va.length + te.length,
    positives: sum(yTr) + sum(yVa) + sum(yTe),
    label: spec.label,
    split: `time-based: train as-of before ${iso(local.validationFrom)}, validation (early stopping) to ${iso(local.testFrom)}, test after; ${spec.purgeDays}-day purge gaps`,
    definitionsHash: ctx.features.version,
    features: ds.names,
    metrics: { auc: report.auc, aucLower95, logLoss: report.logLoss, liftTopDecile: report.liftTopDecile, ece: report.ece },
    limitations: spec.limitations,
    ...(fairness ? { fairness: fairnessStatement(fairness), fairnessAudit: fairness } : {}),
  });
  const record = await ctx.registry.register({
    name: spec.name,
    kind: 'gbdt',
    trainingWindow: window,
    features: ds.names,
    definitionsHash: ctx.features.version,
    params: { ...params, bestIteration: model.bestIteration },
    metrics: { ...metrics, calibration: report.calibration },
    card,
    artefact: modelToJson(model),
    driftReference: buildDriftReference(ds.names, xTr.values, pTr, { probs: pTe, outcomes: yTe }),
    createdAt: ctx.createdAt,
  });
  return { id: record.id, name: spec.name, kind: 'gbdt', metrics: { ...metrics, calibration: report.calibration } };
}

/** The fairness audit on the test slice: each row's protected groups as of its time. */
async function fairnessOf(customers: NonNullable<TrainContext['customers']>, rows: readonly { customerId: string; asOf: number; label: number }[], scores: Float64Array) {
  const ids = [...new Set(rows.map((r) => r.customerId))];
  const found = await customers(ids);
  const byId = new Map(ids.map((id, i) => [id, found[i]]));
  return auditModelFairness(rows.map((r, i) => ({ groups: protectedGroups(byId.get(r.customerId), r.asOf), score: scores[i]!, label: r.label })));
}
