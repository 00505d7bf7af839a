/**
 * The twin as an experiment's ground truth. One closed-loop run per policy on the same seed
 * (the same population) gives every customer's outcome under that policy: their potential
 * outcomes. Customers enter on a day drawn from their id (uniform over `entryDays`) and are
 * decided for from then on, so exposures are spread over time as in a live experiment and
 * daily looks see customers arrive. An experiment is then a sample of customers from the
 * population (with replacement: the population is the superpopulation, its mean difference
 * the true uplift), split by the product's own hashing, each customer's outcome read from
 * the run of the arm they were given; the product's own analysis (experimentResults) judges it.
 */
import { mulberry32 } from '../src/core/random.js';
import { hashToUnit } from '../src/experiments/assignment.js';
import { parseExperiment, type Experiment } from '../src/experiments/definition.js';
import { customerOutcomes, type CustomerOutcome, type ExposureDecision } from '../src/experiments/outcomes.js';
import { experimentResults, type ExperimentResults } from '../src/experiments/results.js';
import { keptEvents } from '../src/simulation/experimentLoop.js';
import { acceptedValue, generateDemoBank, REFERENCE_POLICIES, type NamedPolicy } from '../src/simulation/index.js';

/** Event types the outcomes read; the rest of the twin's stream is dropped as it arrives (memory). */
const KEPT = new Set(['offer_response', 'login', 'loan_repayment', 'contact_centre', 'consent_change', 'card_payment']);

export interface Population {
  policy: string;
  outcomes: CustomerOutcome[];
  from: number;
  until: number;
}

/** Every customer's outcomes under one reference policy. */
export async function runPolicy(policyName: string, o: { customers: number; days: number; seed: number; entryDays: number }): Promise<Population> {
  const decisions: ExposureDecision[] = [];
  const inner = REFERENCE_POLICIES[policyName]!;
  const policy: NamedPolicy = {
    name: `entry-${policyName}`,
    decide: async (view, ctx) => {
      if (ctx.day < Math.floor(hashToUnit('entry', view.customerId) * o.entryDays)) return null;
      const offer = await inner.decide(view, ctx);
      const chosen = offer ? [{ actionId: offer.family, family: offer.family, value: acceptedValue(offer.family, false) }] : [];
      decisions.push({ decisionId: `d-${o.seed}-${view.customerId}-${ctx.day}`, customerId: view.customerId, decidedAt: Date.parse(ctx.date) + 9 * 3_600_000, experiment: { experimentId: 'twin', arm: 'all', heldOut: false }, chosen });
      return offer;
    },
  };
  const bank = generateDemoBank({ customers: o.customers, days: o.days, seed: o.seed, policy });
  const { events, from, until } = await keptEvents(bank.events, o.days, KEPT);
  const outcomes = customerOutcomes(decisions, events, { experimentId: 'twin', until }).sort((a, b) => a.customerId.localeCompare(b.customerId));
  return { policy: policyName, outcomes, from, until };
}

/** A two-arm experiment definition (arms a and b, a the control). */
export function twoArms(id: string): Experiment {
  return parseExperiment({ id, status: 'running', control: 'a', arms: [{ name: 'a', kind: 'policy', policy: 'engine' }, { name: 'b', kind: 'policy', policy: 'engine' }] });
}

/**
 * One experiment: `n` customers drawn with replacement (seeded), each split 50/50 by the
 * product's hash on a run-specific id, given arm A's outcome from `a` or arm B's from `b`.
 * `drop` loses that share of arm B's customers from the log (an injected exposure-logging bug).
 */
export function sampleExperiment(a: Population, b: Population, o: { run: number; n: number; drop?: number }): { results: ExperimentResults; outcomes: CustomerOutcome[] } {
  const e = twoArms(`run-${o.run}`);
  const rng = mulberry32(1_000 + o.run);
  const outcomes: CustomerOutcome[] = [];
  for (let k = 0; k < o.n; k++) {
    const i = Math.floor(rng.next() * a.outcomes.length);
    const arm = hashToUnit(e.id, `${k}`) < 0.5 ? 'a' : 'b';
    if (arm === 'b' && o.drop !== undefined && rng.next() < o.drop) continue;
    const src = (arm === 'a' ? a : b).outcomes[i]!;
    outcomes.push({ ...src, customerId: `${k}`, arm });
  }
  return { results: experimentResults(e, outcomes, { from: a.from, until: a.until }), outcomes };
}

/** The population's mean difference (B − A): the uplift an experiment estimates. */
export function trueUplift(a: Population, b: Population): { acceptance: number; value: number } {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    acceptance: mean(b.outcomes.map((c) => (c.offersAccepted > 0 ? 1 : 0))) - mean(a.outcomes.map((c) => (c.offersAccepted > 0 ? 1 : 0))),
    value: mean(b.outcomes.map((c) => c.value)) - mean(a.outcomes.map((c) => c.value)),
  };
}
