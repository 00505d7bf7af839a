/**
 * The yardstick run: chosen arms (the engine and the reference policies) on one scenario and
 * seed, each scored by the same yardstick. The engine's propensity models are trained on an
 * exploration run of the same scenario with another seed, so it never sees the run it is
 * scored on. `nextbest decide compare` prints what this returns.
 */
import type { Catalogue } from '../decisioning/index.js';
import { enginePolicy, measureOnTwin, trainTwinScorer } from './enginePolicy.js';
import { REFERENCE_POLICIES } from './policies.js';
import { parseScenario, type Scenario, type ScenarioInput } from './scenario.js';
import { DEFAULT_RETRAIN, TwinRetrainer, type CalibrationCheck } from './twinRetrain.js';
import { summariseComparison, type TwinComparison, type YardstickSummary } from './yardstick.js';

/** Every arm the yardstick can run, in the order the table shows them. */
export const COMPARE_ARMS = ['engine', 'rules', 'random', 'oracle', 'oracle-value', 'no-contact'] as const;
export type CompareArm = (typeof COMPARE_ARMS)[number];

/** The exploration run the engine learns from is on this seed offset (never the scored seed). */
export const TRAINING_SEED_OFFSET = 1000;

export interface CompareOptions {
  arms: readonly CompareArm[];
  /** Days of the exploration run the engine's models learn from. */
  trainDays: number;
  /** Drift → retrain in the loop (twinRetrain.ts); on unless false. */
  retrain?: boolean;
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
  const reports: TwinComparison[] = [];
  for (const arm of arms) {
    if (arm === 'engine') {
      o.onProgress?.('engine: exploration run and training');
      const seed = scenario.seed + TRAINING_SEED_OFFSET;
      const trained = await trainTwinScorer(scenario, { days: o.trainDays, seed });
      training = { seed, samples: trained.samples, accepted: trained.accepted, models: [...Object.values(trained.models).map((m) => m.version), ...trained.scores.versions] };
      o.onProgress?.('engine');
      const retrainer = o.retrain === false ? undefined : new TwinRetrainer(trained.exploration, trained.models, { ...DEFAULT_RETRAIN, seed });
      reports.push(await measureOnTwin(enginePolicy(catalogue, trained.scorer, 'engine', trained.scores, retrainer), scenario, { days: scenario.days, seed: scenario.seed }));
      if (retrainer) retraining = retrainer.checks;
    } else {
      o.onProgress?.(arm);
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
    feed: reports.find((r) => r.policy === 'engine')?.feed ?? null,
    ...summariseComparison(reports),
    reports,
  };
}
