/**
 * Financial stress: a rule, not a trained model — the stress-state rules of models/markov
 * (current → stretched → arrears 30/60/90+ → default) applied to the profile. Missed
 * repayments stand in for days past due (30 a miss), overdrawn days for limit use. Served
 * in every profile, with or without champions, and to rules as `scores.financial_stress`:
 * the state's index in STRESS_STATES, imported from where the states are defined.
 *
 * Transform: `stressOf` over the profile. No training, so no drift label and no promotion.
 */
import { STRESS_STATES, stressState, type StressState } from '../../models/markov/states.js';
import { defineFamily, type FeatureLookup } from './family.js';

/** The profile's stress state and what it was read from. */
export type StressScore = { state: StressState; basis: string };

/** The transform: the stress state of a profile. */
export function stressOf(values: FeatureLookup): StressScore {
  const f = (n: string) => (Number.isFinite(values(n)) ? values(n) : 0);
  const missed = f('loan_repayments_missed_365d');
  const late = f('loan_repayments_late_365d');
  const overdrawnShare = f('overdraft_days_90d') / 90;
  const hardship = f('hardship_contacts_365d');
  const state = stressState({ daysPastDue: Math.min(missed, 3) * 30 + (late > 0 ? 1 : 0), limitUtilisation: Math.max(overdrawnShare * 1.8, hardship > 0 ? 0.9 : 0), defaulted: false });
  return { state, basis: `missed repayments ${missed}, late ${late}, overdrawn ${Math.round(overdrawnShare * 90)} of 90 days, hardship contacts ${hardship}` };
}

export const stress = defineFamily<'stress', never, StressScore>({
  key: 'stress',
  summary: 'Financial stress state from repayments, overdraft use and hardship contacts (a rule; no model).',
  transform: 'stressOf: missed and late repayments, overdrawn days, hardship contacts',
  readsFeatures: true,
  owns: () => false,
  load: () => {
    throw new Error('the stress family has no models to load');
  },
  versions: () => [],
  score: (_served, input) => stressOf(input.values),
  driftLabel: () => undefined,
  driftNote: 'a fixed rule, nothing is fitted',
  ruleScores: [{ name: 'financial_stress', description: `Stress state as its index in ${STRESS_STATES.join(', ')} (0..5)`, read: (s) => STRESS_STATES.indexOf(s.state) }],
  promotion: () => 'judged_by_card',
});
