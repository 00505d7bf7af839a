/**
 * Assignment at decision time: the experiment arm a decision is made under, with the
 * probability off-policy evaluation needs, and what the arm asks of the decision (hold the
 * customer out, lay other levers over the ones in force). The decisioning module receives
 * this through a dependency the engine wires; it never imports this module.
 */
import { assertUnreachable } from '../core/errors.js';
import { assignCustomer, type AssignmentPlan } from './assignment.js';
import type { Arm, ArmKind, Experiment } from './definition.js';

/** The id a decision carries when the customer is in the universal control group. */
export const UNIVERSAL_CONTROL_ID = 'universal_control';

/** One experiment a decision was made under. */
export interface ExperimentTag {
  experimentId: string;
  arm: string;
  kind: ArmKind;
  /** P(this arm | the customer is in the experiment): the arm's weight share. */
  probability: number;
  /** P(a customer is in the experiment at all), after the universal control, buckets and ramp-up. */
  inclusionProbability: number;
  layer: string;
}

/** What the decision records and obeys. */
export interface DecisionExperiment extends ExperimentTag {
  /** True for a holdout arm and the universal control: nothing is chosen, nobody is contacted. */
  heldOut: boolean;
  /** Lever weights the arm lays over those in force (a `levers` arm). */
  levers?: { families?: Record<string, number>; actions?: Record<string, number> };
  /** The arm's catalogue version, model versions or policy, recorded for the analysis (see docs/experiments.md). */
  treatment?: { catalogueVersion?: string; models?: Record<string, string>; policy?: string };
  /** A `bandit` arm: the exploration budget its decisions use on every channel. */
  bandit?: { budget: number };
  /** Experiments of other layers the customer is also in (their treatments are not applied). */
  others?: ExperimentTag[];
}

/**
 * The arm a customer's decision is made under, or undefined when the customer is in no
 * running experiment. With experiments in several layers, a holdout wins (nobody held out
 * is contacted); otherwise the first in plan order applies and the rest are listed.
 */
export function experimentForDecision(plan: AssignmentPlan, experiments: ReadonlyMap<string, Experiment>, customerId: string): DecisionExperiment | undefined {
  const a = assignCustomer(plan, customerId);
  if (a.universalControl) {
    const share = plan.universalControl?.share ?? 0;
    return { experimentId: UNIVERSAL_CONTROL_ID, arm: 'holdout', kind: 'holdout', probability: 1, inclusionProbability: share, layer: UNIVERSAL_CONTROL_ID, heldOut: true };
  }
  const tags = a.assigned.map((x) => {
    const e = experiments.get(x.experimentId)!;
    const arm = e.arms[x.armIndex]!;
    return { tag: { experimentId: x.experimentId, arm: x.arm, kind: arm.kind, probability: x.armProbability, inclusionProbability: x.inclusionProbability, layer: e.layer }, arm };
  });
  if (tags.length === 0) return undefined;
  const primary = tags.find((t) => t.arm.kind === 'holdout') ?? tags[0]!;
  const out: DecisionExperiment = { ...primary.tag, heldOut: primary.arm.kind === 'holdout', ...armEffect(primary.arm) };
  const others = tags.filter((t) => t !== primary).map((t) => t.tag);
  if (others.length > 0) out.others = others;
  return out;
}

function armEffect(arm: Arm): Pick<DecisionExperiment, 'levers' | 'treatment' | 'bandit'> {
  switch (arm.kind) {
    case 'holdout':
      return {};
    case 'levers':
      return { levers: arm.levers };
    case 'catalogue':
      return { treatment: { catalogueVersion: arm.catalogueVersion } };
    case 'model':
      return { treatment: { models: arm.models } };
    case 'policy':
      return { treatment: { policy: arm.policy } };
    case 'bandit':
      return { treatment: { policy: 'bandit' }, bandit: { budget: arm.budget } };
    default:
      return assertUnreachable(arm);
  }
}
