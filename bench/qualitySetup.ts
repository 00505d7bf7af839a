/**
 * What the quality diagnostics (qualityDiag, qualityGaps, qualityRetention, qualityCeiling, qualityMisses) share with
 * `decide compare`: the scenario at 2,000 customers, the catalogue (`CATALOGUE=path` tries
 * another one: an A/B of catalogue changes on the same run) and the engine's models trained
 * on the exploration run of seed + TRAINING_SEED_OFFSET, as the compare's engine arm has them.
 */
import { readFileSync } from 'node:fs';
import { parseCatalogueYaml } from '../src/index.js';
import { enginePolicy, RecentDecisionLog, trainTwinScorer } from '../src/simulation/enginePolicy.js';
import { loadScenario } from '../src/simulation/index.js';
import { TRAINING_SEED_OFFSET } from '../src/simulation/compare.js';
import { DEFAULT_RETRAIN, TwinRetrainer, type RetrainOptions } from '../src/simulation/twinRetrain.js';
import type { DecisionLog } from '../src/store/decisionLog.js';
import type { PropensityScorer } from '../src/decisioning/index.js';
import type { NamedPolicy, TruthView } from '../src/simulation/closedLoop.js';
import { ACTION_FAMILIES, OFFER_CHANNELS, type ActionFamily } from '../src/simulation/offers.js';

export async function qualitySetup(scen: string, seed: number, days: number) {
  const input = { ...loadScenario(`scenarios/${scen}.yaml`), seed, days, customers: 2000 };
  const catalogue = parseCatalogueYaml(readFileSync(process.env.CATALOGUE || 'catalogue/default.yaml', 'utf8'));
  const trained = await trainTwinScorer(input, { days: 90, seed: seed + TRAINING_SEED_OFFSET });
  const retrain: RetrainOptions = { ...DEFAULT_RETRAIN, seed: seed + TRAINING_SEED_OFFSET };
  return { input, catalogue, trained, retrain };
}

export type QualitySetup = Awaited<ReturnType<typeof qualitySetup>>;

/** The compare's engine arm on this setup: its models, retrained in the loop (or by the retrainer given), decisions in a log of recent ones (or the one given). */
export function engineArm(s: QualitySetup, o: { retrainer?: TwinRetrainer; log?: DecisionLog } = {}) {
  const retrainer = o.retrainer ?? new TwinRetrainer(s.trained.exploration, s.trained.models, s.retrain);
  return enginePolicy(s.catalogue, s.trained.scorer, 'engine', s.trained.scores, retrainer, { log: o.log ?? new RecentDecisionLog() });
}

/**
 * The same engine (catalogue, arbitration, contact policy, channel order) with the twin's true
 * take-up chance of each action on each channel in place of every propensity, and no
 * retraining ("engine-truth"). It reads the twin's truth, as the oracles do: diagnosis only.
 */
export function truthEngineArm(s: QualitySetup, o: { log?: DecisionLog } = {}) {
  /** The truth about the customer being decided (set before each decision). */
  let truth: TruthView | undefined;
  const families = new Set<string>(ACTION_FAMILIES);
  const scorer: PropensityScorer = {
    score(action, rows) {
      const channel = OFFER_CHANNELS[Number(rows.values.channel_code)];
      if (!truth || channel === undefined || !families.has(action.family)) return undefined;
      return { propensity: truth.acceptProbability(action.family as ActionFamily, channel), modelVersion: 'truth' };
    },
    explain: () => [],
    versionFor: () => 'truth',
  };
  const inner = enginePolicy(s.catalogue, scorer, 'engine-truth', s.trained.scores, undefined, { log: o.log ?? new RecentDecisionLog() });
  const decide: NamedPolicy['decide'] = (view, ctx) => {
    truth = ctx.truth;
    return inner.decide(view, ctx);
  };
  return { ...inner, seesTruth: true, decide };
}
