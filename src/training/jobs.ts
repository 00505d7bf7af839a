/** The training jobs by name. */
import type { SkippedModel, TrainContext, TrainedModel } from './context.js';
import { trainActivityChain, trainClv, trainSegments } from './customerModels.js';
import { trainPropensity } from './propensity.js';
import { trainChurn, trainPrepayment } from './survival.js';

/** The jobs `nextbest train --model NAME` knows, in the order `train` runs them. */
export const MODEL_JOBS = ['propensity', 'churn', 'prepayment', 'segments', 'clv', 'activity'] as const;
export type ModelJob = (typeof MODEL_JOBS)[number];

/** Runs one job. */
export async function runJob(job: ModelJob, ctx: TrainContext): Promise<(TrainedModel | SkippedModel)[]> {
  switch (job) {
    case 'propensity':
      return trainPropensity(ctx);
    case 'churn':
      return trainChurn(ctx);
    case 'prepayment':
      return trainPrepayment(ctx);
    case 'segments':
      return [await trainSegments(ctx)];
    case 'clv':
      return [await trainClv(ctx)];
    case 'activity':
      return [await trainActivityChain(ctx)];
    default: {
      const never: never = job;
      throw new Error(`unknown job ${String(never)}`);
    }
  }
}
