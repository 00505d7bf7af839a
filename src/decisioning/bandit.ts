/**
 * The bandit selection step: between scoring and selection, Thompson sampling reorders
 * the actions that passed every policy. Only those are ever explored (consent,
 * suitability, caps and "no action" are never gambled with), and only on a budget: on a
 * channel with budget ε, a decision explores with probability ε (one Thompson draw among
 * the allowed actions) and otherwise exploits the posterior means. The probability the
 * first pick was chosen with, (1 − ε)·1[greedy] + ε·share, is exact and recorded, so the
 * log supports off-policy evaluation; the draws come from a seed derived from the
 * decision id and are logged, so replay re-makes the same choice from the record alone.
 */
import { z } from 'zod';
import { deriveSeed, mulberry32 } from '../core/random.js';
import { betaMean, pickByShare, thompsonShares, updated, warmStart, type BetaArm, type ValuedArm } from '../models/bandit/index.js';
import { OfferChannel } from './catalogue.js';
import type { CompiledCatalogue } from './compile.js';
import { select, type Evaluation } from './decide.js';
import { POLICIES, type SelectionScope } from './policies/index.js';
import type { BanditTraceSchema } from './record.js';
import type { CandidateTrace, DecisionInputs } from './trace.js';

/** How the engine explores and learns (config `decisioning.bandit`). */
export const BanditSettings = z
  .strictObject({
    /** Exploration budget per channel: the share of its decisions that explore. A channel listed (even at 0) uses the learned posteriors and session adaptation; one not listed decides as the deterministic engine. */
    channels: z.partialRecord(OfferChannel, z.number().min(0).max(1)).default({}),
    /** `beta`: Beta-Bernoulli per segment and action; `linear`: linear Thompson sampling on `features` (per action, across segments). */
    model: z.enum(['beta', 'linear']).default('beta'),
    /** Pseudo-observations the warm start (the propensity model's or the catalogue's estimate) is worth. */
    priorStrength: z.number().positive().max(100_000).default(20),
    /** Profile features of the linear model's context (an intercept is added). */
    features: z.array(z.string().min(1).max(64)).max(32).default([]),
    ridge: z.number().positive().max(1e6).default(1),
    /** Scale of the linear model's posterior draws (the reward noise's standard deviation). */
    noise: z.number().positive().max(10).default(0.5),
    /** Thompson draws per decision that estimate each action's chance of being chosen. */
    draws: z.number().int().min(50).max(100_000).default(200),
    /** Share of an exploring decision spread evenly over the arms and "no action", so each has a positive probability in the log (off-policy evaluation can only weigh what the log could have done). */
    uniform: z.number().min(0).max(1).default(0.1),
    session: z
      .strictObject({
        /** Pseudo-failures an action gets per unaccepted showing earlier in the same session (and pseudo-successes per acceptance). */
        actionWeight: z.number().min(0).max(1000).default(4),
        /** The same for the other actions of its family. */
        familyWeight: z.number().min(0).max(1000).default(1),
        /** A session is forgotten after this long without a response. */
        ttlMinutes: z.number().positive().max(7 * 24 * 60).default(60),
      })
      .prefault({}),
  })
  .prefault({});
export type BanditSettings = z.infer<typeof BanditSettings>;
export type BanditSettingsInput = z.input<typeof BanditSettings>;

export type BanditTrace = z.infer<typeof BanditTraceSchema>;

/** Trials and acceptances. */
export interface Tally {
  trials: number;
  successes: number;
}

/** What the step reads of the learned state (the BanditLearner consumer keeps it). */
export interface BanditView {
  /** The Beta-Bernoulli tally of an action in a segment. */
  segment(segment: string, actionId: string): Tally | undefined;
  /** The linear model's predictive mean and sd of the residual acceptance, when it has one. */
  linear(actionId: string, profile: DecisionInputs['profile']): { mean: number; sd: number } | undefined;
  /** The session's tallies by action and by family. */
  session(sessionId: string): { actions: ReadonlyMap<string, Tally>; families: ReadonlyMap<string, Tally> } | undefined;
}

/** A 32-bit seed from a decision id (FNV-1a): each decision draws its own, replayable randomness. */
export function decisionSeed(decisionId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < decisionId.length; i++) h = Math.imul(h ^ decisionId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Net value per acceptance and the fixed cost of an action, from its scored trace: priority = p·gain − cost. */
export function gainAndCost(t: CandidateTrace): { gain: number; cost: number } {
  const p = t.propensity ?? 0;
  const nv = t.netValue;
  const cost = (nv?.contactCost ?? 0) + (nv?.fatigueCost ?? 0);
  const gain = (t.contextWeight ?? 1) * (t.value ?? 0) * (t.lever ?? 1) - (p > 0 && nv ? nv.harmCost / p : 0);
  return { gain, cost };
}

/** An action's posterior: the warm start, what its segment taught, the linear model's view, and this session. */
function posterior(t: CandidateTrace, inputs: DecisionInputs, s: BanditSettings, view: BanditView): BetaArm {
  const m = t.propensity ?? 0;
  let arm: BetaArm;
  const lin = s.model === 'linear' ? view.linear(t.actionId, inputs.profile) : undefined;
  if (lin) {
    // The linear model's predictive acceptance as a Beta with the same mean and variance.
    const mean = Math.min(0.999, Math.max(0.001, m + lin.mean));
    const strength = Math.min(1e6, Math.max(2, (mean * (1 - mean)) / Math.max(lin.sd * lin.sd, 1e-9) - 1));
    arm = warmStart(mean, strength);
  } else {
    const tally = view.segment(inputs.customer.segment, t.actionId);
    arm = updated(warmStart(m, s.priorStrength), tally?.successes ?? 0, (tally?.trials ?? 0) - (tally?.successes ?? 0));
  }
  const session = inputs.sessionId ? view.session(inputs.sessionId) : undefined;
  if (session) {
    const own = session.actions.get(t.actionId);
    const fam = session.families.get(t.family);
    const famTrials = (fam?.trials ?? 0) - (own?.trials ?? 0);
    const famSuccesses = (fam?.successes ?? 0) - (own?.successes ?? 0);
    arm = updated(arm, s.session.actionWeight * (own?.successes ?? 0) + s.session.familyWeight * famSuccesses, s.session.actionWeight * ((own?.trials ?? 0) - (own?.successes ?? 0)) + s.session.familyWeight * (famTrials - famSuccesses));
  }
  return arm;
}

/** An action that passed every policy and check but lost to "no action" on its point estimate (a bandit may still explore it). */
export function lostToNoAction(t: CandidateTrace): boolean {
  return t.status === 'excluded' && t.excludedBy?.rule === 'no_action' && (t.propensity ?? 0) > 0 && t.value !== undefined;
}

/** "No action" as an arm: worth £0 whatever is drawn. */
const NO_ACTION_ARM: ValuedArm = { posterior: { alpha: 1, beta: 1 }, gain: 0, cost: 0 };

/**
 * Runs the step: reorders `ev.ranked` (first the pick, then the rest by posterior mean)
 * and returns the trace the record keeps. `allowed` holds the indexes (ranked, or lost
 * to "no action") the selection checks accept on their own (the pick must be one of
 * them). With a budget, the Thompson draws run over the ranked actions, the actions that
 * lost to "no action" only on their expected value (a draw can show them worth it: that
 * is how a new action with a low guess gets tried) and "no action" itself, so an
 * exploring decision can choose any of them, and the log has every one of them in its
 * support.
 */
export function banditStep(ev: Evaluation, inputs: DecisionInputs, o: { settings: BanditSettings; budget: number; view: BanditView; seed: number; allowed: ReadonlySet<number> }): BanditTrace {
  const s = o.settings;
  const ranked = ev.ranked.filter((i) => o.allowed.has(i));
  const losers = o.budget > 0 ? ev.traces.flatMap((t, i) => (o.allowed.has(i) && lostToNoAction(t) ? [i] : [])) : [];
  const candidates = [...ranked, ...losers];
  const arms: ValuedArm[] = candidates.map((i) => {
    const t = ev.traces[i]!;
    return { posterior: posterior(t, inputs, s, o.view), ...gainAndCost(t) };
  });
  // No budget, no exploring: the shares would never be used (the greedy arm has probability 1).
  const shares = o.budget > 0 ? thompsonShares([...arms, NO_ACTION_ARM], mulberry32(deriveSeed(o.seed, 1)), s.draws) : new Float64Array(arms.length + 1);
  if (o.budget > 0) for (let k = 0; k < shares.length; k++) shares[k] = (1 - s.uniform) * shares[k]! + s.uniform / shares.length;
  const trace: BanditTrace = {
    seed: o.seed,
    budget: o.budget,
    model: s.model,
    explored: false,
    arms: candidates.map((i, k) => {
      const a = arms[k]!;
      const mean = betaMean(a.posterior);
      return { actionId: ev.traces[i]!.actionId, mean, expectedNet: mean * a.gain - a.cost, alpha: a.posterior.alpha, beta: a.posterior.beta, share: shares[k]!, ...(k >= ranked.length ? { lostToNoAction: true } : {}) };
    }),
  };
  if (o.budget > 0) trace.noAction = { share: shares[arms.length]! };
  ev.ranked = orderFrom(ev, trace);
  return trace;
}

/** The greedy order of the trace's ranked arms: expected net value, then the evaluation's order. */
function greedyOrder(trace: BanditTrace): number[] {
  return trace.arms.flatMap((a, k) => (a.lostToNoAction ? [] : [k])).sort((a, b) => trace.arms[b]!.expectedNet - trace.arms[a]!.expectedNet || a - b);
}

/**
 * The ranked order a bandit trace implies: the pick first (explore with probability
 * budget, then a share-weighted draw over the arms and "no action"; else the greedy arm),
 * the other ranked arms by expected net value, then the ranked actions no check allowed.
 * An explored action that had lost to "no action" is ranked first; an explored "no
 * action" leaves nothing ranked. Sets `explored` and `greedy`. Replay calls it on the
 * logged trace: same seed, same shares, same order.
 */
export function orderFrom(ev: Evaluation, trace: BanditTrace): number[] {
  const index = new Map(ev.traces.map((t, i) => [t.actionId, i]));
  const greedy = greedyOrder(trace);
  if (trace.arms.length === 0) return ev.ranked;
  const rng = mulberry32(trace.seed);
  const explore = rng.next() < trace.budget;
  const u = rng.next();
  const none = trace.arms.length;
  const pick = explore ? pickByShare([...trace.arms.map((a) => a.share), trace.noAction?.share ?? 0], u) : (greedy[0] ?? none);
  trace.explored = explore;
  if (greedy.length > 0) trace.greedy = trace.arms[greedy[0]!]!.actionId;
  if (pick === none) return [];
  const first = pick >= 0 ? pick : (greedy[0] ?? none);
  if (first === none) return [];
  const armOrder = [first, ...greedy.filter((k) => k !== first)];
  const ids = armOrder.map((k) => index.get(trace.arms[k]!.actionId)!);
  const picked = ev.traces[ids[0]!]!;
  if (picked.status !== 'ranked') {
    picked.status = 'ranked';
    delete picked.excludedBy;
  }
  const inArms = new Set(ids);
  return [...ids, ...ev.ranked.filter((i) => !inArms.has(i))];
}

/** The id under which "no action" is weighed in off-policy evaluation. */
export const NO_ACTION = '';

/** The probability the policy puts `actionId` first ("" for no action): (1 − ε)·1[greedy] + ε·share. */
export function firstPickProbability(trace: BanditTrace, actionId: string): number {
  if (actionId === NO_ACTION) {
    if (trace.arms.length === 0) return 1;
    return (1 - trace.budget) * (trace.greedy === undefined ? 1 : 0) + trace.budget * (trace.noAction?.share ?? 0);
  }
  const arm = trace.arms.find((a) => a.actionId === actionId);
  if (!arm) return 0;
  return (1 - trace.budget) * (trace.greedy === actionId ? 1 : 0) + trace.budget * arm.share;
}

/**
 * The probability of each chosen slot under the policy. The first slot's is exact; a
 * later slot's sums, over every first pick the policy could have made, that pick's
 * probability times whether the deterministic rest of the selection (`slate`) puts the
 * same action in the same slot.
 */
export function slotProbabilities(trace: BanditTrace, chosen: readonly string[], slate: (firstActionId: string) => readonly string[]): number[] {
  return chosen.map((id, k) => {
    if (k === 0) return firstPickProbability(trace, id);
    let p = 0;
    for (const a of trace.arms) {
      const pa = firstPickProbability(trace, a.actionId);
      if (pa > 0 && slate(a.actionId)[k] === id) p += pa;
    }
    return p;
  });
}

/** The ranked actions, and those that lost to "no action", that the selection checks (caps, session limit, capacity) accept on their own: the only ones the bandit may pick first. */
export function allowedAlone(cat: CompiledCatalogue, ev: Evaluation, inputs: DecisionInputs, o: { now: number; channel: string; full: ReadonlySet<string> }): Set<number> {
  const scope: SelectionScope = { cat, inputs, now: o.now, channel: o.channel, full: o.full, capacity: [] };
  const checks = POLICIES.flatMap((p) => (p.select ? [p.select(scope)] : []));
  const losers = ev.traces.flatMap((t, i) => (lostToNoAction(t) ? [i] : []));
  return new Set([...ev.ranked, ...losers].filter((i) => checks.every((c) => !c.refuse(cat.byId.get(ev.traces[i]!.actionId)!))));
}

/** The selection probability of each chosen action: 1 each without a bandit trace (the deterministic engine). */
export function chosenProbabilities(cat: CompiledCatalogue, ev: Evaluation, inputs: DecisionInputs, chosen: readonly number[], trace: BanditTrace | undefined, o: { now: number; channel: string; n: number; full: ReadonlySet<string> }): number[] {
  if (!trace) return chosen.map(() => 1);
  const ids = chosen.map((i) => ev.traces[i]!.actionId);
  return slotProbabilities(trace, ids, (firstId) => {
    // The rest of the selection is deterministic given the first pick: run it on a copy.
    const copy: Evaluation = { ...ev, traces: ev.traces.map((t) => ({ ...t })), ranked: [] };
    const rest = greedyOrder(trace).map((k) => trace.arms[k]!.actionId).filter((id) => id !== firstId);
    const index = new Map(ev.traces.map((t, i) => [t.actionId, i]));
    const order = [firstId, ...rest].map((id) => index.get(id)!);
    copy.ranked = [...order, ...ev.ranked.filter((i) => !order.includes(i))];
    for (const i of copy.ranked) {
      copy.traces[i]!.status = 'ranked';
      delete copy.traces[i]!.excludedBy;
    }
    return select(cat, copy, inputs, o).chosen.map((i) => copy.traces[i]!.actionId);
  });
}
