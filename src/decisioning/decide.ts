/**
 * The decision itself, as pure functions of the compiled catalogue and the logged
 * inputs: `evaluate` runs every policy and scores what passes; `select` takes the top N
 * for the channel under the contact caps, session limit and volume capacity. The service
 * adds the I/O; replay runs the same two functions on a logged record.
 */
import type { CapacityTake, CapCheck } from '../store/contactStore.js';
import type { Levers } from './catalogue.js';
import { evaluateNumber, evaluatePredicate } from '../rules/index.js';
import type { CompiledAction, CompiledCatalogue } from './compile.js';
import { capacityFor as volumeCounters, capsFor as contactCaps, POLICIES, type DecisionScope, type SelectionScope } from './policies/index.js';
import { netValue, netValueScope, type NetValue } from './netValue.js';
import { FeatureRows, type PropensityScorer } from './scoring.js';
import type { CandidateTrace, DecisionInputs } from './trace.js';
import { localTime, type LocalTime } from './view.js';

/** The outcome of running the policies and scoring: one trace per catalogue action. */
export interface Evaluation {
  traces: CandidateTrace[];
  /** Indexes into `traces` of actions that passed every static policy, best first. */
  ranked: number[];
  signals: Record<string, boolean>;
  models: Record<string, string>;
  rows: FeatureRows;
  local: LocalTime;
}

export interface EvaluateOptions {
  now: number;
  channel: string;
  levers: Levers;
  scorer: PropensityScorer;
}

/** Runs every policy over every action and scores the ones that pass. */
export function evaluate(cat: CompiledCatalogue, inputs: DecisionInputs, opts: EvaluateOptions): Evaluation {
  const { now, channel } = opts;
  const local = localTime(now, inputs.customer.timeZone);
  // Features and scores the rules read but the inputs lack are NaN (comparisons false),
  // unknown context keys are "": rules then fail closed instead of throwing per action.
  // Rules see the features they name (a rule that indexes the whole map sees every one).
  // Features whose absence has a meaning (no savings account: zero savings) read their default.
  const defaults = cat.catalogue.featureDefaults;
  const profile: Record<string, number> = {};
  if (cat.reads.wholeProfile) for (const [k, v] of Object.entries(inputs.profile)) profile[k] = v === null ? (defaults[k] ?? Number.NaN) : v;
  for (const k of cat.reads.profile) {
    const v = inputs.profile[k];
    profile[k] = v === null || v === undefined ? (defaults[k] ?? Number.NaN) : v;
  }
  const scores: Record<string, number> = {};
  for (const k of cat.reads.scores) scores[k] = Number.NaN;
  Object.assign(scores, inputs.scores);
  const context: Record<string, unknown> = {};
  for (const k of cat.reads.context) context[k] = '';
  Object.assign(context, inputs.context, { channel, hour: local.hour, minute: local.minute, weekday: local.weekday, localDate: local.date, sessionId: inputs.sessionId ?? '' });
  const vars: Record<string, unknown> = { customer: inputs.customer, profile, scores, signals: {}, context, action: undefined };
  const signals: Record<string, boolean> = {};
  for (const s of cat.signals) signals[s.name] = evaluatePredicate(s.program, vars).pass;
  vars.signals = signals;
  const nv = netValueScope(cat, inputs, vars, signals, channel, now);

  const rows = new FeatureRows(inputs.profile);
  // Objecting to profiling (UK GDPR Art. 21) means no model scores: priors only.
  const useModels = inputs.consents.profiling !== false;
  const scope: DecisionScope = { cat, inputs, now, channel, local, vars, memo: new Array(cat.sharedSlots) };
  // Each policy opens once per decision, by its place in POLICIES; an action lists the ones that screen it.
  const screens = POLICIES.map((p) => p.screen?.(scope));
  const ranks = POLICIES.flatMap((p) => (p.rank ? [p.rank(scope)] : []));
  const models = dictionary();
  const traces: CandidateTrace[] = [];
  const ranked: number[] = [];

  const levers = leverWeights(cat, opts.levers);
  // Each trace is made whole in one literal, with its keys in the order the record shows
  // them: one allocation, where adding a dozen fields one by one grew it three times.
  actions: for (const a of cat.actions) {
    const actionId = a.action.id;
    const family = a.action.family;
    vars.action = a.vars;
    for (const k of a.screens) {
      const screen = screens[k];
      if (screen === undefined) continue;
      const excludedBy = screen(a, a.prepared[k]);
      if (excludedBy) {
        traces.push({ actionId, family, status: 'excluded', excludedBy });
        continue actions;
      }
    }
    const scored = useModels ? opts.scorer.score(a.vars, rows) : undefined;
    const propensity = scored ? scored.propensity : a.action.prior;
    const propensitySource = scored ? 'model' : 'prior';
    const contextWeight = a.contextWeight ? weight(evaluateNumber(a.contextWeight, vars)) : 1;
    const lever = levers ? levers[a.index]! : leverWeight(opts.levers, a);
    const n = netValue(cat.catalogue, a, inputs.customer, nv, propensity, contextWeight, lever);
    for (const rank of ranks) {
      const excludedBy = rank(a, propensity, n.net);
      if (excludedBy) {
        // Losing to "no action" is shown with the figures it lost on, and what a bandit
        // needs to explore it (its value per acceptance): it lost on a point estimate, not to a policy.
        traces.push(
          excludedBy.rule === 'no_action'
            ? { actionId, family, status: 'excluded', propensity, propensitySource, priority: n.net, netValue: netParts(n), contextWeight, value: n.value, lever, excludedBy }
            : { actionId, family, status: 'excluded', propensity, propensitySource, excludedBy },
        );
        continue actions;
      }
    }
    // `rank` is set below, once every action is ranked.
    if (scored) {
      traces.push({ actionId, family, status: 'ranked', propensity, propensitySource, modelVersion: scored.modelVersion, contextWeight, value: n.value, lever, priority: n.net, netValue: netParts(n), rank: 0 });
      models[actionId] = scored.modelVersion;
    } else traces.push({ actionId, family, status: 'ranked', propensity, propensitySource, contextWeight, value: n.value, lever, priority: n.net, netValue: netParts(n), rank: 0 });
    ranked.push(traces.length - 1);
  }
  // Deterministic: priority, then the action id, so equal priorities never flip between runs.
  ranked.sort((i, j) => traces[j]!.priority! - traces[i]!.priority! || (traces[i]!.actionId < traces[j]!.actionId ? -1 : 1));
  ranked.forEach((i, r) => (traces[i]!.rank = r + 1));
  vars.action = undefined;
  return { traces, ranked, signals, models, rows, local };
}

/** The parts of a priority as the trace records them. */
const netParts = (n: NetValue): NonNullable<CandidateTrace['netValue']> => ({ valueSource: n.valueSource, budget: n.budget, expectedValue: n.expectedValue, contactCost: n.contactCost, fatigueCost: n.fatigueCost, harmChance: n.harmChance, harmCost: n.harmCost });

/**
 * An empty plain object kept as a hash table (deleting a field that is not the last one
 * makes V8 do that): each decision gives `models` a different set of action ids, and as a
 * fast-mode object every first store of an id looked up or grew a tree of hidden classes
 * shared by all decisions. Same prototype, fields and order as `{}`.
 */
function dictionary(): Record<string, string> {
  const o: Record<string, string> = { a: '', b: '' };
  delete o.a;
  delete o.b;
  return o;
}

/** The weight the levers give an action: its family's times its own (absent: 1). */
const leverWeight = (l: Levers, a: CompiledAction): number => (l.families[a.action.family] ?? 1) * (l.actions[a.action.id] ?? 1);

/** Every action's lever weight by its index, per frozen levers and catalogue (decisions hold frozen levers: buildRecord.ts frozenLevers). */
const leverCache = new WeakMap<Levers, WeakMap<CompiledCatalogue, Float64Array>>();

/** The actions' lever weights, worked out once per frozen levers and catalogue; undefined for levers that could still change. */
let lastLevers: { l: Levers; cat: CompiledCatalogue; w: Float64Array } | undefined;
function leverWeights(cat: CompiledCatalogue, l: Levers): Float64Array | undefined {
  if (lastLevers && lastLevers.l === l && lastLevers.cat === cat) return lastLevers.w;
  if (!Object.isFrozen(l) || !Object.isFrozen(l.families) || !Object.isFrozen(l.actions)) return undefined;
  let byCat = leverCache.get(l);
  if (!byCat) leverCache.set(l, (byCat = new WeakMap()));
  let w = byCat.get(cat);
  if (!w) byCat.set(cat, (w = Float64Array.from(cat.actions, (a) => leverWeight(l, a))));
  lastLevers = { l, cat, w };
  return w;
}

/** A context weight scales a priority: no number, or a negative one, is neutral. */
const weight = (w: number): number => (w >= 0 ? w : 1);

/** The contact caps that bind a decision on `channel`, as store checks. */
export function capsFor(cat: CompiledCatalogue, channel: string): readonly CapCheck[] {
  return contactCaps(cat.catalogue.contactPolicy, channel);
}

/** The volume counters an action on a channel takes on the decision's day (UTC). */
export function capacityFor(cat: CompiledCatalogue, a: CompiledAction, channel: string, now: number): CapacityTake[] {
  return volumeCounters(cat.catalogue, a.action, channel, now);
}

export interface Selection {
  chosen: number[];
  capacity: CapacityTake[];
}

/**
 * Takes the best ranked actions, up to `n`, that keep every frequency cap and the session
 * limit (counting the ones already picked) and whose volume counters are not in `full`.
 * Marks the traces of those it passes over.
 */
export function select(cat: CompiledCatalogue, ev: Evaluation, inputs: DecisionInputs, o: { now: number; channel: string; n: number; full: ReadonlySet<string> }): Selection {
  const scope: SelectionScope = { cat, inputs, now: o.now, channel: o.channel, full: o.full, capacity: [] };
  const checks = POLICIES.flatMap((p) => (p.select ? [p.select(scope)] : []));
  const chosen: number[] = [];
  candidates: for (const i of ev.ranked) {
    const t = ev.traces[i]!;
    if (chosen.length >= o.n) break;
    const a = cat.byId.get(t.actionId)!;
    for (const c of checks) {
      const excluded = c.refuse(a);
      if (excluded) {
        t.status = 'excluded';
        t.excludedBy = excluded;
        continue candidates;
      }
    }
    for (const c of checks) c.take(a);
    t.status = 'chosen';
    chosen.push(i);
  }
  return { chosen, capacity: scope.capacity };
}
