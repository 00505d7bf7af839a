/**
 * Experiment definitions as people write them (API, CLI, YAML): what each arm changes and
 * who is exposed. The hashing itself is assignment.ts; `toAssignmentPlan` turns the stored
 * definitions into the plan it reads. An arm is one of: a catalogue version, a lever set, a
 * model version per family, a policy (`engine`, `rules`, `random`), a bandit (an exploration budget), or a no-contact holdout.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import { parseAssignmentPlan, type AssignmentPlan } from './assignment.js';

const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _, starting with a letter or digit');

/** Lever weights (0–100) laid over the levers in force, by family or action id. */
const LeverWeights = z.record(z.string().min(1).max(64), z.number().min(0).max(100));

const base = { name: Id, weight: z.number().positive().finite().default(1), description: z.string().max(500).optional() };

/** What an arm changes, one kind per arm. */
export const ArmSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...base, kind: z.literal('catalogue'), catalogueVersion: z.string().min(1).max(128) }),
  z.strictObject({ ...base, kind: z.literal('levers'), levers: z.strictObject({ families: LeverWeights.optional(), actions: LeverWeights.optional() }) }),
  z.strictObject({ ...base, kind: z.literal('model'), models: z.record(z.string().min(1).max(64), z.string().min(1).max(128)) }),
  z.strictObject({ ...base, kind: z.literal('policy'), policy: z.enum(['engine', 'rules', 'random']) }),
  z.strictObject({ ...base, kind: z.literal('holdout') }),
  /** Thompson sampling among the actions that pass every policy, exploring on this share of decisions (docs/bandits.md). */
  z.strictObject({ ...base, kind: z.literal('bandit'), budget: z.number().min(0).max(1).default(0.1) }),
]);
export type Arm = z.infer<typeof ArmSchema>;
export type ArmKind = Arm['kind'];

export const EXPERIMENT_STATUSES = ['draft', 'running', 'stopped'] as const;

/** One experiment as stored. */
export const ExperimentSchema = z.strictObject({
  id: Id,
  description: z.string().max(2000).default(''),
  hypothesis: z.string().max(2000).optional(),
  status: z.enum(EXPERIMENT_STATUSES).default('draft'),
  /** Experiments in one layer never share a customer; other layers are independent. */
  layer: Id.default('main'),
  /** Defaults to the id; changing it reshuffles every customer (a new run). */
  salt: z.string().min(1).max(128).optional(),
  /** Buckets [start, end) of the layer's 1000 that the experiment owns. */
  buckets: z.strictObject({ start: z.number().int().min(0), end: z.number().int().positive().max(1000) }).default({ start: 0, end: 1000 }),
  /** Share of the experiment's buckets exposed so far (ramp-up, 0–1): raising it keeps everyone in their arm. */
  exposure: z.number().min(0).max(1).default(1),
  /** The arm every other arm is compared with. */
  control: Id.optional(),
  arms: z.array(ArmSchema).min(2).max(20),
  /** Primary KPI, for the report's headline. */
  primaryMetric: z.enum(['acceptance', 'revenue', 'retention', 'engagement']).default('acceptance'),
  /** Epoch ms; KPIs count from here. Set when the experiment starts running if absent. */
  startAt: z.number().int().nonnegative().optional(),
  endAt: z.number().int().nonnegative().optional(),
});
export type Experiment = z.infer<typeof ExperimentSchema>;
export type ExperimentInput = z.input<typeof ExperimentSchema>;

/** The universal control group: a small share never contacted by marketing, in no experiment. */
export const UniversalControlSchema = z.strictObject({ salt: z.string().min(1).max(128).default('ucg'), share: z.number().min(0).max(0.5) });
export type UniversalControl = z.infer<typeof UniversalControlSchema>;

/** Buckets every layer has; fixed so bucket ranges mean the same in every layer. */
export const LAYER_BUCKETS = 1000;

/** Checks one definition: shape, unique arm names, a known control arm, a sane bucket range. */
export function parseExperiment(input: unknown, prefix = ''): Experiment {
  const parsed = ExperimentSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error, prefix));
  const e = parsed.data;
  const at = (f: string) => (prefix ? `${prefix}.${f}` : f);
  const issues: FieldIssue[] = [];
  const names = e.arms.map((a) => a.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) issues.push({ field: at(`arms.${i}.name`), rule: 'unique', message: `arm ${n} is named twice` });
  });
  if (e.control !== undefined && !names.includes(e.control)) issues.push({ field: at('control'), rule: 'known_arm', message: `no arm ${e.control}` });
  if (e.buckets.start >= e.buckets.end) issues.push({ field: at('buckets'), rule: 'range', message: `needs start < end, got [${e.buckets.start}, ${e.buckets.end})` });
  if (e.startAt !== undefined && e.endAt !== undefined && e.endAt <= e.startAt) issues.push({ field: at('endAt'), rule: 'after_start', message: 'endAt must be after startAt' });
  if (issues.length > 0) throw new ValidationError(issues);
  return e;
}

/** The control arm: the named one, else the holdout, else the first arm. */
export function controlArm(e: Experiment): string {
  return e.control ?? e.arms.find((a) => a.kind === 'holdout')?.name ?? e.arms[0]!.name;
}

/** Parses a YAML file of experiments: either one experiment or `{ experiments: [...], universalControl? }`. */
export function parseExperimentsYaml(text: string): { experiments: Experiment[]; universalControl?: UniversalControl } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ValidationError([{ field: '', rule: 'yaml', message: (e as Error).message }]);
  }
  if (doc === null || typeof doc !== 'object') throw new ValidationError([{ field: '', rule: 'type', message: 'expected a mapping: one experiment, or `experiments:` with a list' }]);
  const d = doc as Record<string, unknown>;
  if (!('experiments' in d)) return { experiments: [parseExperiment(d)] };
  if (!Array.isArray(d.experiments)) throw new ValidationError([{ field: 'experiments', rule: 'type', message: 'expected a list' }]);
  const experiments = d.experiments.map((x, i) => parseExperiment(x, `experiments.${i}`));
  const out: { experiments: Experiment[]; universalControl?: UniversalControl } = { experiments };
  if (d.universalControl !== undefined) {
    const u = UniversalControlSchema.safeParse(d.universalControl);
    if (!u.success) throw new ValidationError(fieldIssues(u.error, 'universalControl'));
    out.universalControl = u.data;
  }
  return out;
}

/**
 * The assignment plan of the running experiments: one layer per layer name (salted by the
 * name, so layers are independent), each experiment with its own salt. Throws a
 * ValidationError when two running experiments of a layer overlap.
 */
export function toAssignmentPlan(experiments: readonly Experiment[], universalControl?: UniversalControl): AssignmentPlan {
  const running = experiments.filter((e) => e.status === 'running');
  const layers = [...new Set(running.map((e) => e.layer))].sort();
  return parseAssignmentPlan({
    ...(universalControl && universalControl.share > 0 ? { universalControl } : {}),
    layers: layers.map((id) => ({ id, salt: `layer:${id}`, buckets: LAYER_BUCKETS })),
    experiments: running.map((e) => ({ id: e.id, salt: e.salt ?? e.id, layer: e.layer, buckets: e.buckets, arms: e.arms.map((a) => ({ name: a.name, weight: a.weight })), exposure: e.exposure })),
  });
}
