/**
 * The cold-start check on the twin: a new action enters with a catalogue guess for its
 * acceptance far below its truth. The deterministic engine (argmax of prior × value)
 * never offers it, so never learns; Thompson sampling from the same warm start
 * (`models/bandit`, as the engine's bandit step uses it) explores among the eligible
 * actions, learns each family's acceptance from the responses and finds it. Both run in
 * the twin against the oracle that knows every customer's acceptance probabilities;
 * regret is the oracle's expected net value less the policy's, per decision, from the
 * twin's truth.
 */
import { deriveSeed, mulberry32, type Rng } from '../core/random.js';
import { betaMean, thompsonChoice, updated, warmStart, type ValuedArm } from '../models/bandit/index.js';
import { runClosedLoop, type CustomerView, type NamedPolicy, type PolicyContext } from './closedLoop.js';
import { ACCEPT_REVENUE, ACTION_FAMILIES, FAMILY, type ActionFamily } from './offers.js';
import { eligibleFamilies } from './policies.js';
import type { ScenarioInput } from './scenario.js';

const FAMILIES = ACTION_FAMILIES.filter((f) => f !== 'service_message');
/** GBP per acceptance: first-year revenue; guidance and retention at nominal values. */
const GAIN: Record<string, number> = Object.fromEntries(FAMILIES.map((f) => [f, f === 'guidance' ? 40 : f === 'retention' ? 50 : ACCEPT_REVENUE[FAMILY[f]]!]));
const CONTACT_COST = 1;

export interface ColdStartOptions {
  scenario: ScenarioInput;
  /** The action that enters cold. */
  newAction: ActionFamily;
  /** The catalogue's guess of its acceptance (the warm start of a model that has never seen it). */
  coldPrior: number;
  /** Pseudo-observations the warm start is worth. */
  priorStrength: number;
  /** Exploration budgets of the bandits compared (1: Thompson sampling on every decision). */
  budgets: number[];
  contactRate?: number;
}

export interface ColdStartCurve {
  policy: string;
  decisions: number;
  accepted: number;
  /** Cumulative regret against the oracle at the end of each day (GBP, expected). */
  regretByDay: number[];
  /** Exposures of the new action. */
  newActionExposures: number;
  /** The posterior mean of the new action's acceptance at the end, and the true mean over its exposures. */
  newActionEstimate?: number;
  newActionTruth?: number;
  /** Exposures after which the estimate stayed within 10% of the truth to the end (undefined: never). */
  within10PctAfter?: number;
}

export interface ColdStartReport {
  priors: Record<string, number>;
  curves: ColdStartCurve[];
}

/** Per-family acceptance among offers shown by an exploring run (another seed): the warm start a model trained on history would give. */
async function learnedPriors(o: ColdStartOptions): Promise<Record<string, number>> {
  const shown: Record<string, number> = {};
  const taken: Record<string, number> = {};
  const rng = mulberry32(deriveSeed((o.scenario.seed ?? 1) + 1, 903));
  await runClosedLoop({
    scenario: { ...o.scenario, seed: (o.scenario.seed ?? 1) + 1 },
    policy: { name: 'explore', decide: (v) => contactToday(v, rng, o) ?? null },
    onOffer: (s) => {
      shown[s.offer.family] = (shown[s.offer.family] ?? 0) + 1;
      if (s.accepted) taken[s.offer.family] = (taken[s.offer.family] ?? 0) + 1;
    },
  });
  return Object.fromEntries(FAMILIES.map((f) => [f, ((taken[f] ?? 0) + 1) / ((shown[f] ?? 0) + 2)]));
}

function contactToday(v: CustomerView, rng: Rng, o: ColdStartOptions): { family: ActionFamily; channel: 'in_app' } | undefined {
  if (v.daysSinceContact < 7 || rng.next() >= (o.contactRate ?? 0.1)) return undefined;
  const eligible = eligibleFamilies(v).filter((f) => f !== 'service_message');
  if (eligible.length === 0) return undefined;
  return { family: eligible[Math.floor(rng.next() * eligible.length)]!, channel: 'in_app' };
}

type Chooser = (eligible: ActionFamily[], ctx: PolicyContext) => ActionFamily;

async function runCurve(name: string, o: ColdStartOptions, choose: Chooser, learn?: (f: ActionFamily, accepted: boolean, truth: number) => void): Promise<ColdStartCurve> {
  const rng = mulberry32(deriveSeed(o.scenario.seed ?? 1, 904));
  const days = o.scenario.days ?? 90;
  const regretByDay = new Array<number>(days).fill(0);
  let regret = 0;
  let decisions = 0;
  let accepted = 0;
  let exposures = 0;
  const truths: number[] = [];
  const policy: NamedPolicy = {
    name,
    // The truth is read for the regret bookkeeping (and by the oracle's chooser only).
    seesTruth: true,
    decide(view, ctx) {
      if (view.daysSinceContact < 7 || rng.next() >= (o.contactRate ?? 0.1)) return null;
      const eligible = eligibleFamilies(view).filter((f) => f !== 'service_message');
      if (eligible.length === 0) return null;
      const f = choose(eligible, ctx);
      const ev = (g: ActionFamily) => ctx.truth!.acceptProbability(g, 'in_app') * GAIN[g]! - CONTACT_COST;
      regret += Math.max(...eligible.map(ev)) - ev(f);
      regretByDay[ctx.day] = regret;
      truths.push(ctx.truth!.acceptProbability(f, 'in_app'));
      decisions++;
      if (f === o.newAction) exposures++;
      return { family: f, channel: 'in_app' };
    },
  };
  await runClosedLoop({
    scenario: o.scenario,
    policy,
    onOffer: (s) => {
      const truth = truths.shift()!;
      if (s.accepted) accepted++;
      learn?.(s.offer.family, s.accepted, truth);
    },
  });
  for (let d = 1; d < days; d++) regretByDay[d] = Math.max(regretByDay[d]!, regretByDay[d - 1]!);
  return { policy: name, decisions, accepted, regretByDay, newActionExposures: exposures };
}

/** Runs the greedy engine, the bandits and the oracle on the same scenario. */
export async function coldStart(o: ColdStartOptions): Promise<ColdStartReport> {
  const priors = await learnedPriors(o);
  priors[o.newAction] = o.coldPrior;
  const greedyValue = (f: ActionFamily) => priors[f]! * GAIN[f]! - CONTACT_COST;
  const argmax = (xs: ActionFamily[], v: (f: ActionFamily) => number) => xs.reduce((b, f) => (v(f) > v(b) ? f : b));
  const curves: ColdStartCurve[] = [];
  curves.push(await runCurve('greedy engine', o, (el) => argmax(el, greedyValue)));
  for (const budget of o.budgets) {
    const tally = new Map<ActionFamily, { s: number; f: number }>(FAMILIES.map((f) => [f, { s: 0, f: 0 }]));
    const post = (f: ActionFamily) => updated(warmStart(priors[f]!, o.priorStrength), tally.get(f)!.s, tally.get(f)!.f);
    const rng = mulberry32(deriveSeed(o.scenario.seed ?? 1, 905 + Math.round(budget * 1000)));
    let exposures = 0;
    let truthSum = 0;
    let within: number | undefined;
    const curve = await runCurve(
      budget >= 1 ? 'Thompson sampling' : `Thompson, budget ${budget}`,
      o,
      (el) => {
        if (rng.next() >= budget) return argmax(el, (f) => betaMean(post(f)) * GAIN[f]! - CONTACT_COST);
        const arms: ValuedArm[] = el.map((f) => ({ posterior: post(f), gain: GAIN[f]!, cost: CONTACT_COST }));
        return el[thompsonChoice(arms, rng)]!;
      },
      (f, accepted, truth) => {
        const t = tally.get(f)!;
        if (accepted) t.s++;
        else t.f++;
        if (f !== o.newAction) return;
        exposures++;
        truthSum += truth;
        const close = Math.abs(betaMean(post(f)) - truthSum / exposures) <= 0.1 * (truthSum / exposures);
        if (close && within === undefined) within = exposures;
        if (!close) within = undefined;
      },
    );
    if (exposures > 0) {
      curve.newActionEstimate = betaMean(post(o.newAction));
      curve.newActionTruth = truthSum / exposures;
    }
    if (within !== undefined) curve.within10PctAfter = within;
    curves.push(curve);
  }
  curves.push(await runCurve('oracle', o, (el, ctx) => argmax(el, (f) => ctx.truth!.acceptProbability(f, 'in_app') * GAIN[f]! - CONTACT_COST)));
  return { priors, curves };
}

/** The report as Markdown: the regret curve every `every` days, then the new action's learning. */
export function coldStartTable(r: ColdStartReport, newAction: string, every = 15): string {
  const days = r.curves[0]!.regretByDay.length;
  const marks = Array.from({ length: Math.floor(days / every) }, (_, k) => (k + 1) * every - 1);
  const head = `| policy | decisions | accepted | ${marks.map((d) => `regret day ${d + 1}`).join(' | ')} |`;
  const rows = r.curves.map((c) => `| ${c.policy} | ${c.decisions} | ${c.accepted} | ${marks.map((d) => `£${Math.round(c.regretByDay[d]!).toLocaleString('en-GB')}`).join(' | ')} |`);
  const learn = r.curves
    .filter((c) => c.newActionTruth !== undefined)
    .map((c) => `- ${c.policy}: ${newAction} shown ${c.newActionExposures} times; estimate ${(100 * c.newActionEstimate!).toFixed(1)}% vs true ${(100 * c.newActionTruth!).toFixed(1)}%; within 10% from exposure ${c.within10PctAfter ?? 'never'}`);
  const greedy = r.curves.find((c) => c.policy === 'greedy engine');
  return [head, `|---|---|---|${marks.map(() => '---').join('|')}|`, ...rows, '', `Cold prior for ${newAction}: ${(100 * r.priors[newAction]!).toFixed(1)}%. The greedy engine showed it ${greedy?.newActionExposures ?? 0} times (it never learns).`, ...learn].join('\n');
}
