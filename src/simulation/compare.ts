/**
 * The yardstick run: chosen arms (the engine and the reference policies) on one scenario and
 * seed, each scored by the same yardstick. The engine's propensity models are trained on an
 * exploration run of the same scenario with another seed, so it never sees the run it is
 * scored on. `nextbest decide compare` prints what this returns.
 */
import type { Catalogue } from '../decisioning/index.js';
import { ValidationError } from '../core/errors.js';
import { compileTriggers, type TriggerSet } from '../triggers/index.js';
import { enginePolicy, measureOnTwin, RecentDecisionLog, trainTwinScorer, type TrainedTwin, type TriggerTally } from './enginePolicy.js';
import { REFERENCE_POLICIES } from './policies.js';
import { parseScenario, type Scenario, type ScenarioInput } from './scenario.js';
import { DEFAULT_RETRAIN, TwinRetrainer, type CalibrationCheck } from './twinRetrain.js';
import { summariseComparison, type TwinComparison, type YardstickSummary } from './yardstick.js';

/**
 * Every arm the yardstick can run, in the order the table shows them. `engine` decides in
 * batch (every customer every morning); `engine-triggered` acts first on the moments its
 * triggers catch in the day's events, then in batch; `triggers-only` acts on the moments alone.
 */
export const COMPARE_ARMS = ['engine', 'engine-triggered', 'triggers-only', 'rules', 'random', 'oracle', 'oracle-value', 'no-contact'] as const;
export type CompareArm = (typeof COMPARE_ARMS)[number];

/** The arms that are the engine (trained on the exploration run); the rest are reference policies. */
const ENGINE_ARMS: ReadonlySet<CompareArm> = new Set(['engine', 'engine-triggered', 'triggers-only']);

/** The exploration run the engine learns from is on this seed offset (never the scored seed). */
export const TRAINING_SEED_OFFSET = 1000;

export interface CompareOptions {
  arms: readonly CompareArm[];
  /** Days of the exploration run the engine's models learn from. */
  trainDays: number;
  /** Drift → retrain in the loop (twinRetrain.ts); on unless false. */
  retrain?: boolean;
  /** The triggers the triggered arms act on (catalogue/triggers.yaml); required with those arms. */
  triggers?: TriggerSet;
  onProgress?: (what: string) => void;
}

export interface CompareResult extends YardstickSummary {
  scenario: string;
  seed: number;
  customers: number;
  days: number;
  trainDays: number;
  /** The engine's training run (null without an engine arm). */
  training: { seed: number; samples: number; accepted: number; models: string[] } | null;
  /** Each triggered arm's fires and the offers they led to, by trigger (empty without those arms). */
  triggerFires: Record<string, TriggerTally>;
  /** The engine's drift checks in the loop, each family's calibration and whether it was retrained (null: no engine arm, or retraining off). */
  retraining: CalibrationCheck[] | null;
  /** The scenario's data faults as the engine's feed met them (null: none injected, or no engine arm). */
  feed: TwinComparison['feed'];
  reports: TwinComparison[];
}

/** Runs the arms on the scenario (its seed, customers and days) and summarises them on the yardstick. */
export async function compareOnScenario(catalogue: Catalogue, input: Scenario | ScenarioInput, o: CompareOptions): Promise<CompareResult> {
  const scenario = parseScenario(input);
  const arms = COMPARE_ARMS.filter((a) => o.arms.includes(a));
  let training: CompareResult['training'] = null;
  let retraining: CalibrationCheck[] | null = null;
  const triggerFires: Record<string, TriggerTally> = {};
  const reports: TwinComparison[] = [];
  const engineArms = arms.filter((a) => ENGINE_ARMS.has(a));
  const triggered = arms.filter((a) => a !== 'engine' && ENGINE_ARMS.has(a));
  if (triggered.length > 0 && !o.triggers) throw new ValidationError([{ field: 'triggers', rule: 'required', message: `the ${triggered.join(' and ')} arm needs a trigger set` }]);
  const compiled = o.triggers ? compileTriggers(o.triggers) : [];
  // One exploration run and one set of models for every engine arm: they differ only in when they act.
  let trained: TrainedTwin | undefined;
  const seed = scenario.seed + TRAINING_SEED_OFFSET;
  if (engineArms.length > 0) {
    o.onProgress?.('engine: exploration run and training');
    trained = await trainTwinScorer(scenario, { days: o.trainDays, seed });
    training = { seed, samples: trained.samples, accepted: trained.accepted, models: [...Object.values(trained.models).map((m) => m.version), ...trained.scores.versions] };
  }
  for (const arm of arms) {
    o.onProgress?.(arm);
    if (trained && ENGINE_ARMS.has(arm)) {
      const retrainer = o.retrain === false ? undefined : new TwinRetrainer(trained.exploration, trained.models, { ...DEFAULT_RETRAIN, seed });
      const triggers = arm === 'engine' ? undefined : { triggers: compiled, batch: arm === 'engine-triggered' };
      const policy = enginePolicy(catalogue, trained.scorer, arm, trained.scores, retrainer, { log: new RecentDecisionLog(), ...(triggers && { triggers }) });
      reports.push(await measureOnTwin(policy, scenario, { days: scenario.days, seed: scenario.seed }));
      if (triggers) triggerFires[arm] = policy.triggerTally;
      if (retrainer && arm === 'engine') retraining = retrainer.checks;
    } else {
      reports.push(await measureOnTwin(REFERENCE_POLICIES[arm]!, scenario, { days: scenario.days, seed: scenario.seed }));
    }
  }
  return {
    scenario: scenario.name,
    seed: scenario.seed,
    customers: scenario.customers,
    days: scenario.days,
    trainDays: o.trainDays,
    training,
    retraining,
    triggerFires,
    feed: reports.find((r) => r.policy === 'engine')?.feed ?? null,
    ...summariseComparison(reports),
    reports,
  };
}
