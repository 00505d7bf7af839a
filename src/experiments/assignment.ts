/**
 * Deterministic, sticky assignment of customers to experiments, as GrowthBook, Statsig and
 * Optimizely do it: no assignment table, only hashes.
 *
 * - `hashToUnit(salt, customerId)` = first 48 bits of SHA-256(salt + ':' + customerId) / 2⁴⁸,
 *   uniform in [0, 1). SHA-256 rather than a 32-bit FNV/murmur: it has no known bias on
 *   sequential ids, and any language can reproduce an assignment from the salt and the id.
 * - Universal control group: customers with hash(ucg salt) < share are never contacted by
 *   marketing and are in no experiment; they measure long-term lift of everything together.
 * - Layers: a layer hashes each customer to one of its buckets (salt of the layer); each
 *   experiment in the layer owns a range of buckets, so experiments in one layer never share
 *   a customer, while different layers (different salts) are independent of each other.
 * - Arms and ramp-up: inside its buckets, an experiment hashes again with its own salt; arm i
 *   owns [c_i, c_i + w_i·exposure) where c_i is the cumulative share of the arms before it.
 *   Raising `exposure` only lengthens every arm's range, so a customer already in an arm stays
 *   there. Changing the weights, the salt or the bucket range reshuffles, and is a new run.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';

/** Uniform number in [0, 1) from a salt and a customer id; the same inputs always give the same number. */
export function hashToUnit(salt: string, customerId: string): number {
  const digest = createHash('sha256').update(`${salt}:${customerId}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

const name = z.string().min(1).max(128);

const ArmSchema = z.strictObject({ name, weight: z.number().positive().finite() });

const ExperimentSchema = z.strictObject({
  id: name,
  salt: name,
  layer: name,
  /** Buckets [start, end) of the layer that the experiment owns. */
  buckets: z.strictObject({ start: z.number().int().min(0), end: z.number().int().positive() }),
  arms: z.array(ArmSchema).min(2).max(20),
  /** Share of the experiment's buckets exposed so far (ramp-up), 0–1. */
  exposure: z.number().min(0).max(1),
});

const LayerSchema = z.strictObject({ id: name, salt: name, buckets: z.number().int().min(1).max(1_000_000).default(1000) });

/** The plan every assignment is computed from: universal control, layers and experiments. */
export const AssignmentPlanSchema = z.strictObject({
  universalControl: z.strictObject({ salt: name, share: z.number().min(0).max(0.5) }).optional(),
  layers: z.array(LayerSchema),
  experiments: z.array(ExperimentSchema),
});

export type AssignmentPlan = z.infer<typeof AssignmentPlanSchema>;
export type ExperimentPlan = z.infer<typeof ExperimentSchema>;

/** Checks the plan's shape and its cross-field rules; throws a ValidationError naming each field. */
export function parseAssignmentPlan(input: unknown): AssignmentPlan {
  const parsed = AssignmentPlanSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  const plan = parsed.data;
  const issues: FieldIssue[] = [];
  const layers = new Map<string, number>();
  plan.layers.forEach((l, i) => {
    if (layers.has(l.id)) issues.push({ field: `layers.${i}.id`, rule: 'unique', message: `layer ${l.id} is defined twice` });
    layers.set(l.id, l.buckets);
  });
  const ids = new Set<string>();
  const taken = new Map<string, { id: string; start: number; end: number }[]>();
  plan.experiments.forEach((e, i) => {
    const at = `experiments.${i}`;
    if (ids.has(e.id)) issues.push({ field: `${at}.id`, rule: 'unique', message: `experiment ${e.id} is defined twice` });
    ids.add(e.id);
    const arms = new Set(e.arms.map((a) => a.name));
    if (arms.size !== e.arms.length) issues.push({ field: `${at}.arms`, rule: 'unique', message: 'arm names must be unique' });
    const size = layers.get(e.layer);
    if (size === undefined) {
      issues.push({ field: `${at}.layer`, rule: 'known_layer', message: `no layer ${e.layer}` });
      return;
    }
    const { start, end } = e.buckets;
    if (!(start < end && end <= size)) {
      issues.push({ field: `${at}.buckets`, rule: 'range', message: `needs 0 <= start < end <= ${size}, got [${start}, ${end})` });
      return;
    }
    const others = taken.get(e.layer) ?? [];
    const clash = others.find((o) => start < o.end && o.start < end);
    if (clash) {
      issues.push({ field: `${at}.buckets`, rule: 'exclusive', message: `[${start}, ${end}) overlaps ${clash.id}'s [${clash.start}, ${clash.end}) in layer ${e.layer}` });
    }
    others.push({ id: e.id, start, end });
    taken.set(e.layer, others);
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return plan;
}

/** Where a customer stands in one experiment. */
export type ExperimentAssignment =
  | { status: 'universal_control' }
  | { status: 'outside'; reason: 'other_buckets' | 'not_ramped' }
  | {
      status: 'assigned';
      experimentId: string;
      arm: string;
      armIndex: number;
      /** P(this arm | the customer is in the experiment): the arm's weight share. */
      armProbability: number;
      /** P(a random customer is in the experiment at all): (1 − UCG share) · bucket share · exposure. */
      inclusionProbability: number;
    };

/** True when the customer is in the universal control group (never contacted by marketing). */
export function inUniversalControl(plan: AssignmentPlan, customerId: string): boolean {
  const ucg = plan.universalControl;
  return ucg !== undefined && ucg.share > 0 && hashToUnit(ucg.salt, customerId) < ucg.share;
}

/** The bucket of a customer in a layer. */
export function layerBucket(layer: { salt: string; buckets: number }, customerId: string): number {
  return Math.floor(hashToUnit(layer.salt, customerId) * layer.buckets);
}

/** Assigns one customer in one experiment of the plan. */
export function assignExperiment(plan: AssignmentPlan, experiment: ExperimentPlan, customerId: string): ExperimentAssignment {
  if (inUniversalControl(plan, customerId)) return { status: 'universal_control' };
  return assignOutsideControl(plan, experiment, customerId);
}

/** The experiment's answer for a customer already known to be outside the universal control. */
function assignOutsideControl(
  plan: AssignmentPlan,
  experiment: ExperimentPlan,
  customerId: string,
  bucketOf: (layer: AssignmentPlan['layers'][number]) => number = (l) => layerBucket(l, customerId),
): ExperimentAssignment {
  const layer = plan.layers.find((l) => l.id === experiment.layer);
  if (!layer) throw new ValidationError([{ field: 'experiment.layer', rule: 'known_layer', message: `no layer ${experiment.layer}` }]);
  const bucket = bucketOf(layer);
  if (bucket < experiment.buckets.start || bucket >= experiment.buckets.end) return { status: 'outside', reason: 'other_buckets' };
  const u = hashToUnit(experiment.salt, customerId);
  const total = experiment.arms.reduce((s, a) => s + a.weight, 0);
  let start = 0;
  for (let i = 0; i < experiment.arms.length; i++) {
    const share = experiment.arms[i]!.weight / total;
    if (u >= start && u < start + share * experiment.exposure) {
      const ucgShare = plan.universalControl?.share ?? 0;
      return {
        status: 'assigned',
        experimentId: experiment.id,
        arm: experiment.arms[i]!.name,
        armIndex: i,
        armProbability: share,
        inclusionProbability: (1 - ucgShare) * ((experiment.buckets.end - experiment.buckets.start) / layer.buckets) * experiment.exposure,
      };
    }
    start += share;
  }
  return { status: 'outside', reason: 'not_ramped' };
}

/** A customer's place in every experiment of the plan (at most one per layer). */
export interface CustomerAssignment {
  universalControl: boolean;
  /** Experiments the customer is assigned to, in plan order. */
  assigned: Extract<ExperimentAssignment, { status: 'assigned' }>[];
}

/** Assigns a customer across the whole plan. */
export function assignCustomer(plan: AssignmentPlan, customerId: string): CustomerAssignment {
  if (inUniversalControl(plan, customerId)) return { universalControl: true, assigned: [] };
  const assigned: CustomerAssignment['assigned'] = [];
  // one hash per layer, however many experiments share it
  const buckets = new Map<string, number>();
  const bucketOf = (l: AssignmentPlan['layers'][number]): number => {
    let b = buckets.get(l.id);
    if (b === undefined) {
      b = layerBucket(l, customerId);
      buckets.set(l.id, b);
    }
    return b;
  };
  for (const e of plan.experiments) {
    const a = assignOutsideControl(plan, e, customerId, bucketOf);
    if (a.status === 'assigned') assigned.push(a);
  }
  return { universalControl: false, assigned };
}
