/**
 * Propensity models: one GBDT per action family, trained on every offer shown in the
 * window and whether it was taken up within 14 days.
 *
 * Why one model per family rather than one with the action as a feature: what drives
 * take-up differs by product (idle cash for savings, risk appetite for investments,
 * rate moves for refinancing), the decisioning scorer reads one model per family from the
 * profile's own features, and each family is promoted, rolled back and checked for drift
 * on its own, so a bad savings model never takes the loan model down with it. The cost is
 * less data per model; families with too few acceptances are skipped (and then decided on
 * their prior) until the log holds enough.
 *
 * Served as one GBDT per family; decisions score them per action (decisioning's GbdtScorer),
 * so they expose no rule score. Drift: the offer-acceptance rows of the model's family.
 */
import { startBinaryModel, type BoostingBinary } from '../binary.js';
import { type SkippedModel, type TrainContext, type TrainedModel, sourceOf } from '../context.js';
import { buildDatasetFrom } from '../dataset.js';
import { OFFER_ACCEPTANCE } from '../definitions.js';

import { defineFamily, round6 } from './family.js';
import { gbdtProbability, servedGbdt, type ServedGbdt } from './gbdt.js';

const PREFIX = 'propensity_';
/** The registry name of a family's propensity model. */
export const propensityModelName = (family: string) => `${PREFIX}${family}`;

/** Trains and registers a propensity model per action family seen in the window. */
export async function trainPropensity(ctx: TrainContext, onlyFamilies?: readonly string[]): Promise<(TrainedModel | SkippedModel)[]> {
  ctx.progress?.('propensity labels', 0, undefined);
  const data = sourceOf(ctx);
  const rows = await data.labelRows(OFFER_ACCEPTANCE, ctx.window);
  const ds = await buildDatasetFrom(data, ctx.features, rows, (done) => ctx.progress?.('propensity features', done, undefined));
  const byFamily = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const f = r.action ?? '';
    if (onlyFamilies && !onlyFamilies.includes(f)) return;
    const list = byFamily.get(f) ?? [];
    list.push(i);
    byFamily.set(f, list);
  });
  // Every family's boosting is submitted before the first is finished (other threads boost the rest meanwhile); finished, so registered, in family order.
  const started: (BoostingBinary | SkippedModel)[] = [];
  for (const [family, subset] of [...byFamily].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (!/^[a-z][a-z0-9_]{0,50}$/.test(family)) {
      started.push({ name: propensityModelName('unknown'), reason: `action id "${family}" is not a family name` });
      continue;
    }
    started.push(
      startBinaryModel(
        ctx,
        {
          name: propensityModelName(family),
          title: `Propensity to take up ${family.replace(/_/g, ' ')} offers`,
          intendedUse: `Ranks customers by the probability that they take up a ${family.replace(/_/g, ' ')} offer within 14 days of being shown it; read by decisioning to order eligible actions.`,
          outOfScope: 'Not a credit, affordability or suitability assessment: eligibility and suitability rules decide who may be offered the product. Not for customers outside the training population.',
          label: OFFER_ACCEPTANCE.description,
          limitations: [
            'Learned only from offers the bank chose to show: customers never shown this action are out of the data (selection bias of the policy that ran).',
            'The channel of the offer is not an input (the decision scorer reads profile features only), so channel effects are averaged.',
            'Trained on the profile features as defined by the definitions hash; a change of definitions needs a retrain.',
          ],
          purgeDays: OFFER_ACCEPTANCE.withinDays,
        },
        ds,
        subset,
      ),
    );
  }
  const out: (TrainedModel | SkippedModel)[] = [];
  for (const s of started) out.push('reason' in s ? s : await s.finish());
  return out;
}

/** The profile's propensities: probability of take-up per action family, with the model. */
export type PropensityScores = Record<string, { probability: number; model: string }>;

export const propensity = defineFamily<'propensities', ReadonlyMap<string, ServedGbdt>, PropensityScores>({
  key: 'propensities',
  job: 'propensity',
  summary: 'Probability of taking up an offer of each action family within 14 days of being shown it (one GBDT per family).',
  transform: 'the profile features by name, missing as NaN (gbdtRow); training reads the same columns point-in-time',
  readsFeatures: true,
  owns: (name) => name.startsWith(PREFIX),
  train: (ctx) => trainPropensity(ctx),
  load: (records) => new Map(records.map((r) => [r.name.slice(PREFIX.length), servedGbdt(r)])),
  versions: (served) => [...served.values()].map((m) => m.version),
  score(served, input) {
    const out: PropensityScores = {};
    if (!served || !input.propensities) return out;
    for (const [family, m] of [...served].sort((a, b) => a[0].localeCompare(b[0]))) out[family] = { probability: round6(gbdtProbability(m, input.values)), model: m.version };
    return out;
  },
  driftLabel: (name) => (name.startsWith(PREFIX) ? { def: OFFER_ACCEPTANCE, action: name.slice(PREFIX.length) } : undefined),
  ruleScores: [],
  promotion: () => 'binary_auc',
});
