/**
 * What decisioning does with an experiment arm. The arm itself is chosen in
 * src/experiments/ (which decisioning may not import); the engine passes it in, and this
 * module applies it to one decision:
 *
 * - `holdout` (and the universal control): nothing is chosen (n = 0).
 * - `levers`: the arm's weights laid over the levers in force.
 * - `catalogue`: the decision runs on the named stored catalogue version (its actions, rules
 *   and levers) instead of the one in force.
 * - `model`: the named model versions (registry ids, per action family) score their
 *   families; the champions score the rest.
 * - `policy: rules`: the catalogue's rules and priors only, no propensity model (what a bank
 *   runs before it has models).
 * - `policy: random`: a uniformly random order of the actions that pass every rule, seeded by
 *   the decision id so replay draws the same; with n = 1 the chosen action's probability,
 *   1/(actions the selection accepts), is recorded for off-policy evaluation.
 * - `policy: engine`: the engine as it is.
 */
import type { z } from 'zod';
import { NextbestError } from '../core/errors.js';
import { deriveSeed, mulberry32 } from '../core/random.js';
import { decisionSeed } from './bandit.js';
import { ActionFamily, type Levers } from './catalogue.js';
import type { CompiledCatalogue } from './compile.js';
import { select, type Evaluation } from './decide.js';
import type { DecisionInputs } from './trace.js';
import type { DecisionExperimentSchema } from './record.js';
import { priorOnly, type PropensityScorer } from './scoring.js';

export type DecisionExperiment = z.infer<typeof DecisionExperimentSchema>;

/** The levers in force with the arm's weights laid over them; unknown family names are ignored. */
export function withArmLevers(inForce: Levers, arm: NonNullable<DecisionExperiment['levers']>): Levers {
  const families = { ...inForce.families };
  for (const [f, w] of Object.entries(arm.families ?? {})) {
    const family = ActionFamily.safeParse(f);
    if (family.success) families[family.data] = w;
  }
  return { families, actions: { ...inForce.actions, ...arm.actions } };
}

/** Where an arm's catalogue version and model versions come from. */
export interface ArmSources {
  /** A stored catalogue version, compiled (NOT_FOUND when absent). */
  catalogue: (version: string) => Promise<CompiledCatalogue>;
  /** A scorer serving the given model versions (registry ids) by action family; absent: model arms cannot run. */
  models?: (byFamily: Readonly<Record<string, string>>) => Promise<PropensityScorer>;
}

/** How one decision runs under its arm. */
export interface ArmDecision {
  cat: CompiledCatalogue;
  levers: Levers;
  scorer: PropensityScorer;
  n: number;
  /** Reorders the ranked actions (random policy); applied after evaluate, before select. */
  reorder?: (ev: Evaluation) => void;
}

/** Applies an arm to a decision's catalogue, levers, scorer and n. */
export async function applyArm(
  experiment: DecisionExperiment | undefined,
  base: { cat: CompiledCatalogue; levers: Levers; scorer: PropensityScorer; n: number; decisionId: string },
  sources: ArmSources,
  frozen: (l: Levers) => Levers,
): Promise<ArmDecision> {
  if (!experiment) return base;
  if (experiment.heldOut) return { ...base, n: 0 };
  const t = experiment.treatment ?? {};
  let { cat, levers, scorer } = base;
  if (t.catalogueVersion !== undefined && t.catalogueVersion !== cat.version) {
    cat = await sources.catalogue(t.catalogueVersion);
    levers = frozen(cat.catalogue.levers);
  }
  if (experiment.levers) levers = withArmLevers(levers, experiment.levers);
  if (t.models !== undefined && Object.keys(t.models).length > 0) {
    if (!sources.models) throw new NextbestError('NOT_FOUND', `experiment ${experiment.experimentId} arm ${experiment.arm} names model versions, but no model registry is wired to decisioning`);
    scorer = overlayScorer(scorer, await sources.models(t.models), new Set(Object.keys(t.models)));
  }
  if (t.policy === 'rules') scorer = priorOnly;
  const out: ArmDecision = { cat, levers, scorer, n: base.n };
  if (t.policy === 'random') out.reorder = (ev) => randomOrder(ev, base.decisionId);
  return out;
}

/** Scores the families of `families` with `arm`, every other action with `base`. */
export function overlayScorer(base: PropensityScorer, arm: PropensityScorer, families: ReadonlySet<string>): PropensityScorer {
  const pick = (a: { family: string }) => (families.has(a.family) ? arm : base);
  return {
    score: (a, rows) => pick(a).score(a, rows),
    explain: (a, rows, top) => pick(a).explain(a, rows, top),
    versionFor: (a) => pick(a).versionFor(a),
  };
}

/** Fisher–Yates shuffle of the ranked actions, seeded by the decision id; ranks renumbered. */
export function randomOrder(ev: Evaluation, decisionId: string): void {
  // The decision id's seed, derived apart from the bandit's draw from the same id; a replay draws the same order.
  const rng = mulberry32(deriveSeed(decisionSeed(decisionId), 15));
  const r = ev.ranked;
  for (let i = r.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [r[i], r[j]] = [r[j]!, r[i]!];
  }
  r.forEach((i, k) => (ev.traces[i]!.rank = k + 1));
}

/**
 * Under the random policy with n = 1, the chosen action is the first of a uniform shuffle that
 * the selection checks (caps, session, volume) accept, so each acceptable action had
 * probability 1/(acceptable actions): the propensity off-policy evaluation weighs it by.
 * Each ranked action is checked alone on a copy of the evaluation.
 */
export function randomChoiceProbability(cat: CompiledCatalogue, ev: Evaluation, inputs: DecisionInputs, o: { now: number; channel: string; full: ReadonlySet<string> }): number | undefined {
  let acceptable = 0;
  for (const i of ev.ranked) {
    const copy: Evaluation = { ...ev, traces: ev.traces.map((t) => ({ ...t })), ranked: [i] };
    if (select(cat, copy, inputs, { ...o, n: 1 }).chosen.length === 1) acceptable++;
  }
  return acceptable === 0 ? undefined : 1 / acceptable;
}
