/**
 * The model families, in one list: training runs them in this order, serving loads their
 * champions and scores a profile with each (the profile's `scores` keys follow it), drift
 * checks ask them for labels, and decision rules read the scores they expose. Adding a
 * family is a new module in this folder and a line here.
 */
import type { ModelRecord } from '../../store/modelRegistry.js';
import type { SkippedModel, TrainContext, TrainedModel } from '../context.js';
import { activity } from './activity.js';
import { churn } from './churn.js';
import { clv } from './clv.js';
import type { DriftLabel, ModelFamily } from './family.js';
import { prepayment } from './prepayment.js';
import { propensity } from './propensity.js';
import { retention } from './retention.js';
import { segments } from './segments.js';
import { stress } from './stress.js';

// Retention comes after churn: it reads the churn risk served (and the churn model a run has just registered).
export const FAMILIES = [segments, churn, prepayment, clv, activity, stress, propensity, retention] as const;

/** Any family of the list. */
export type Family = (typeof FAMILIES)[number];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFamily = ModelFamily<string, any, any>;

/** The scores a profile carries: one entry per family, under its key. */
export type ProfileScores = { [F in Family as F['key']]: F extends ModelFamily<string, infer _S, infer Score> ? Score : never };

/** The training jobs `nextbest train --model JOB` knows, in the order `train` runs them. */
export type ModelJob = NonNullable<Family['job']>;
export const MODEL_JOBS: readonly ModelJob[] = FAMILIES.flatMap((f): ModelJob[] => (f.job ? [f.job as ModelJob] : []));

/** The family a registry name belongs to. */
export function familyOf(name: string): AnyFamily | undefined {
  return (FAMILIES as readonly AnyFamily[]).find((f) => f.owns(name));
}

/** The models `record` was fitted on (its family's `fittedOn`) that are not among `champions`: while any is, it means nothing served. */
export function fittedOnGone(record: ModelRecord, champions: ReadonlySet<string>): string[] {
  return familyOf(record.name)?.fittedOn?.(record).filter((id) => !champions.has(id)) ?? [];
}

/** The job that (re)trains a model of this registry name. */
export function jobOfModel(name: string): ModelJob | undefined {
  return familyOf(name)?.job as ModelJob | undefined;
}

/** The label a drift check rebuilds for a model of this name (undefined: no label drift check). */
export function driftLabelOf(name: string): DriftLabel | undefined {
  return familyOf(name)?.driftLabel(name);
}

/** Runs one job. */
export async function runJob(job: ModelJob, ctx: TrainContext): Promise<(TrainedModel | SkippedModel)[]> {
  const family = (FAMILIES as readonly AnyFamily[]).find((f) => f.job === job);
  if (!family?.train) throw new Error(`no family trains job ${job}`);
  return family.train(ctx);
}

export type { DriftLabel, FeatureLookup, ModelFamily, PromotionRule, RuleScore, ScoreInput } from './family.js';
export type { ServedGbdt } from './gbdt.js';
export { propensityModelName } from './propensity.js';
