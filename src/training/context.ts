import type { Customer } from '../core/customer.js';
import type { FeatureSet } from '../features/featureSet.js';
import type { GbdtParams } from '../models/gbdt/index.js';
import type { EventLog } from '../store/eventLog.js';
import type { ModelRegistry } from '../store/modelRegistry.js';
import type { Boosting } from './boostPool.js';
import type { LabelWindow } from './labels.js';
import { logSource, type TrainingSource } from './source.js';

/** What every training job needs: the log, the registry, the serving features, the window. */
export interface TrainContext {
  log: EventLog;
  registry: ModelRegistry;
  /** The feature set profiles are served with: models are trained on exactly these. */
  features: FeatureSet;
  window: LabelWindow;
  /** Where the jobs read labels and features (the columnar snapshot); none: scans of `log`. */
  data?: TrainingSource;
  /** Registration time (ISO): comes from the engine clock, so runs replay. */
  createdAt: string;
  seed: number;
  gbdt?: Partial<GbdtParams>;
  /** Where binary GBDTs boost (boostPool.ts: worker threads beside this one); none: here, when each is finished. */
  boosting?: Boosting;
  /** Action ids whose offers are retention offers (the catalogue's `value.model: retention` actions and their families); none: the family name `retention` alone. */
  retentionActions?: ReadonlySet<string>;
  /** Customer records, for the fairness audit's protected groups (none: no audit). */
  customers?: (ids: readonly string[]) => Promise<(Customer | undefined)[]>;
  /** Progress of a stage (for progress bars); total is undefined when unknown. */
  progress?: (stage: string, done: number, total: number | undefined) => void;
}

/** What one job reports back. */
export interface TrainedModel {
  id: string;
  name: string;
  kind: string;
  metrics: Record<string, unknown>;
}

/** A job that had too little data to train is skipped, with the reason. */
export interface SkippedModel {
  name: string;
  reason: string;
}

export const GBDT_DEFAULTS: Partial<GbdtParams> = {
  objective: 'binary:logistic',
  rounds: 300,
  learningRate: 0.08,
  maxDepth: 4,
  minChildWeight: 5,
  subsample: 0.8,
  colsampleBytree: 0.8,
  lambda: 5,
  earlyStoppingRounds: 25,
};

export { iso } from '../core/clock.js';

/** The source a job reads: the run's snapshot, or the log. */
export function sourceOf(ctx: Pick<TrainContext, 'log' | 'features' | 'data'>): TrainingSource {
  return ctx.data ?? logSource(ctx.log, ctx.features);
}
