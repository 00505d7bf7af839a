/**
 * Off-policy evaluation over the decision log: what a candidate policy (another
 * catalogue, other levers, or a bandit) would have earned on the decisions already made.
 * Each logged decision is re-evaluated from its logged inputs under the candidate (as
 * replay does); the candidate's probability of the logged first action, the logged
 * selection probability and the model's propensities feed the estimators of
 * models/ope. Two rewards: acceptance (the first action was accepted) and net value
 * (its value if accepted, less its contact cost; "no action" earns 0).
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import { offPolicyReport, type OffPolicyReport, type OpeRounds } from '../models/ope/index.js';
import type { LoggedDecision } from '../store/decisionLog.js';
import { allowedAlone, banditStep, decisionSeed, firstPickProbability, NO_ACTION, type BanditSettings, type BanditView } from './bandit.js';
import { Catalogue, Levers, OfferChannel } from './catalogue.js';
import { compileCatalogue, type CompiledCatalogue } from './compile.js';
import { evaluate, select } from './decide.js';
import { overlayScorer, type ArmSources } from './experimentArm.js';
import type { PropensityScorer } from './scoring.js';
import type { CandidateTrace, DecisionRecord } from './trace.js';

/** What to evaluate and how (HTTP body, CLI flags, library call). */
export const OpeRequest = z.strictObject({
  /** A whole catalogue to decide with instead of each decision's own (levers included). */
  catalogue: z.unknown().optional(),
  /** Levers laid in place of those each decision was made with. */
  levers: Levers.optional(),
  /** Model versions (registry ids) by action family that score their families instead of the champions; the champions stay the reward model. */
  models: z.record(z.string().min(1).max(64), z.string().min(1).max(200)).optional(),
  /** Thompson sampling on this exploration budget, with the posteriors learned so far. */
  bandit: z.strictObject({ budget: z.number().min(0).max(1) }).optional(),
  /** Only decisions on this channel. */
  channel: OfferChannel.optional(),
  /** Only decisions of the last `days`. */
  days: z.number().int().positive().max(3650).optional(),
  resamples: z.number().int().min(50).max(5000).default(500),
  /**
   * The reward model of DM and DR: the champions' propensities as they are (`scorer`), or
   * recalibrated per action family on the logged outcomes (`calibrated`, the default):
   * each family's propensities scaled by its acceptances over its predicted acceptances,
   * cross-fitted (each half of the customers is calibrated on the other half), so a
   * miscalibrated model costs DR less variance and DM less bias.
   */
  rewardModel: z.enum(['calibrated', 'scorer']).default('calibrated'),
  /** What a bootstrap resample draws: whole customers (their decisions depend on each other: caps, cool-downs, the same person) or single decisions. */
  bootstrap: z.enum(['customer', 'decision']).default('customer'),
  confidence: z.number().gt(0).lt(1).default(0.95),
  seed: z.number().int().min(0).max(2 ** 31).default(1),
  /** λ of clipped DR and τ of Switch-DR, on the importance weight. */
  clip: z.number().positive().default(10),
  switchAt: z.number().positive().default(10),
});
export type OpeRequest = z.input<typeof OpeRequest>;

export interface OpeResult {
  candidate: { catalogueVersion?: string; levers: boolean; models?: Record<string, string>; bandit?: { budget: number } };
  /** Customers the decisions belong to (the bootstrap's unit unless `bootstrap: decision`). */
  customers: number;
  /** Decisions read, used, and left out (held out by an experiment, or on another channel / before the window). */
  decisions: { read: number; used: number; heldOut: number; filtered: number };
  /** The logged policy's own mean rewards (on-policy, for comparison). */
  logged: { acceptance: number; netValue: number };
  /** Mean probability the candidate gives the logged first action (1: it agrees everywhere). */
  agreement: number;
  /**
   * Mean probability the candidate puts on a first action (or on "no action") the logging
   * policy could not have chosen (probability 0: a deterministic decision's other actions,
   * an action the bandit did not hold as an arm). Only the reward model speaks for that
   * share, so IPS and SNIPS miss it and DR is only as right there as its reward model.
   */
  unsupported: number;
  acceptance: OffPolicyReport;
  netValue: OffPolicyReport;
}

/** A logged decision, its record as read back (Decisioning.readRecord), with the offer responses that answer it. */
export interface LoggedOutcome {
  decision: Pick<LoggedDecision, 'decisionId' | 'customerId' | 'channel' | 'decidedAt' | 'catalogueVersion'> & { record: DecisionRecord };
  accepted: ReadonlySet<string>;
}

export interface OpeDeps {
  snapshot: (version: string) => Promise<CompiledCatalogue>;
  scorer: PropensityScorer;
  /** A scorer serving model versions by family (the model registry); absent: model candidates cannot be evaluated. */
  models?: ArmSources['models'];
  view: BanditView;
  settings: BanditSettings;
  now: number;
}

const NONE = NO_ACTION;

/** Parses a request; a bad field is named with its rule. */
export function parseOpeRequest(input: unknown): z.infer<typeof OpeRequest> & { compiled?: CompiledCatalogue } {
  const parsed = OpeRequest.safeParse(input ?? {});
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  const out: z.infer<typeof OpeRequest> & { compiled?: CompiledCatalogue } = parsed.data;
  if (parsed.data.catalogue !== undefined) {
    const cat = Catalogue.safeParse(parsed.data.catalogue);
    if (!cat.success) throw new ValidationError(fieldIssues(cat.error, 'catalogue'));
    out.compiled = compileCatalogue(cat.data);
  }
  return out;
}

/** The value and fixed cost of an action's acceptance as the reward counts it. */
const valueOf = (t: CandidateTrace | undefined) => ({ value: t?.value ?? 0, cost: t?.netValue?.contactCost ?? 0 });

/** Hears each round as it is used: the candidate's distribution over first actions ("" is no action). The twin's check reads it to compute the truth. */
export type OpeRoundHook = (decisionId: string, target: ReadonlyMap<string, number>) => void;

/**
 * Estimates the candidate's acceptance and net value from logged outcomes. The estimand
 * is the candidate's mean reward per logged decision, on the logged decisions' inputs:
 * what it would have earned had it answered those same requests. What the log cannot
 * show (requests the candidate would have caused or avoided, later effects of its
 * choices on the customers) is outside it.
 */
export async function evaluateCandidate(deps: OpeDeps, input: unknown, outcomes: AsyncIterable<LoggedOutcome> | Iterable<LoggedOutcome>, onRound?: OpeRoundHook): Promise<OpeResult> {
  const req = parseOpeRequest(input);
  let candidateScorer = deps.scorer;
  if (req.models !== undefined && Object.keys(req.models).length > 0) {
    if (!deps.models) throw new ValidationError([{ field: 'models', rule: 'registry', message: 'names model versions, but no model registry is wired to decisioning' }]);
    candidateScorer = overlayScorer(deps.scorer, await deps.models(req.models), new Set(Object.keys(req.models)));
  }
  const customerIndex = new Map<string, number>();
  const clusters: number[] = [];
  const models: RoundModel[] = [];
  const since = req.days !== undefined ? deps.now - req.days * 86_400_000 : Number.NEGATIVE_INFINITY;
  const acc: Record<keyof OpeRounds, number[]> = { reward: [], pscore: [], target: [], qLogged: [], qTarget: [] };
  const val: Record<keyof OpeRounds, number[]> = { reward: [], pscore: [], target: [], qLogged: [], qTarget: [] };
  const counts = { read: 0, used: 0, heldOut: 0, filtered: 0 };
  let agreement = 0;
  let unsupported = 0;
  for await (const o of outcomes) {
    counts.read++;
    const d = o.decision;
    const r = d.record;
    if (r.experiment?.heldOut) {
      counts.heldOut++;
      continue;
    }
    if ((req.channel && d.channel !== req.channel) || d.decidedAt < since) {
      counts.filtered++;
      continue;
    }
    const cat = req.compiled ?? (await deps.snapshot(d.catalogueVersion));
    const levers = req.levers ?? (req.compiled ? req.compiled.catalogue.levers : r.levers);
    const now = Date.parse(r.decidedAt);
    const ev = evaluate(cat, r.inputs, { now, channel: r.channel, levers, scorer: candidateScorer });
    // The reward model stays the champions' (deps.scorer): a candidate model is not its own judge.
    const rewardEv = candidateScorer === deps.scorer ? ev : evaluate(cat, r.inputs, { now, channel: r.channel, levers, scorer: deps.scorer });
    const full = new Set(r.capacityRefused);
    // The candidate's distribution over first actions ("" is no action).
    const target = new Map<string, number>();
    if (req.bandit) {
      const trace = banditStep(ev, r.inputs, { settings: deps.settings, budget: req.bandit.budget, view: deps.view, seed: decisionSeed(`${d.decisionId}:ope`), allowed: allowedAlone(cat, ev, r.inputs, { now, channel: r.channel, full }) });
      for (const a of trace.arms) target.set(a.actionId, firstPickProbability(trace, a.actionId));
      const none = firstPickProbability(trace, NONE);
      if (none > 0) target.set(NONE, none);
    } else {
      const sel = select(cat, ev, r.inputs, { now, channel: r.channel, n: r.n, full });
      target.set(sel.chosen.length > 0 ? ev.traces[sel.chosen[0]!]!.actionId : NONE, 1);
    }
    const candidateTrace = new Map(rewardEv.traces.map((t) => [t.actionId, t]));
    const loggedTrace = new Map(r.candidates.map((t) => [t.actionId, t]));
    // The reward model: the scorer's propensity under the candidate's evaluation, else as logged.
    const q = (actionId: string): ModelPart | undefined => {
      if (actionId === NONE) return undefined;
      const t = candidateTrace.get(actionId)?.propensity !== undefined ? candidateTrace.get(actionId) : loggedTrace.get(actionId);
      const { value, cost } = valueOf(t);
      return { family: t?.family ?? '', p: t?.propensity ?? 0, value, cost, pi: 0 };
    };
    const first = r.chosen[0];
    const logged = first?.actionId ?? NONE;
    // "No action" was chosen with probability 1 by the deterministic engine; under a bandit, with what its trace says.
    const pscore = first ? (first.selectionProbability ?? 1) : r.bandit ? firstPickProbability(r.bandit, NONE) : 1;
    const accepted = logged !== NONE && o.accepted.has(logged);
    const { value, cost } = valueOf(loggedTrace.get(logged));
    const netReward = logged === NONE ? 0 : (accepted ? value : 0) - cost;
    const parts: ModelPart[] = [];
    for (const [a, p] of target) {
      const qa = q(a);
      if (qa && p > 0) parts.push({ ...qa, pi: p });
    }
    const ql = q(logged);
    const pi = target.get(logged) ?? 0;
    agreement += pi;
    for (const [a, p] of target) if (p > 0 && !loggable(r, a, pscore)) unsupported += p;
    push(acc, accepted ? 1 : 0, pscore, pi, 0, 0);
    push(val, netReward, pscore, pi, 0, 0);
    let cluster = customerIndex.get(d.customerId);
    if (cluster === undefined) customerIndex.set(d.customerId, (cluster = customerIndex.size));
    clusters.push(cluster);
    models.push({ logged: ql, target: parts, fold: decisionSeed(`fold:${d.customerId}`) & 1 });
    onRound?.(d.decisionId, target);
    counts.used++;
  }
  if (counts.used === 0) throw new ValidationError([{ field: 'decisions', rule: 'min_length', message: `no logged decisions to evaluate on (read ${counts.read}: ${counts.heldOut} held out, ${counts.filtered} outside the channel or window)` }]);
  fillRewardModel(models, acc, val, req.rewardModel === 'calibrated');
  const o = { resamples: req.resamples, confidence: req.confidence, seed: req.seed, settings: { clip: req.clip, switchAt: req.switchAt }, ...(req.bootstrap === 'customer' ? { clusters: Uint32Array.from(clusters) } : {}) };
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const candidate: OpeResult['candidate'] = { levers: req.levers !== undefined };
  if (req.compiled) candidate.catalogueVersion = req.compiled.version;
  if (req.models) candidate.models = req.models;
  if (req.bandit) candidate.bandit = req.bandit;
  return {
    candidate,
    decisions: counts,
    customers: customerIndex.size,
    logged: { acceptance: mean(acc.reward), netValue: mean(val.reward) },
    agreement: agreement / counts.used,
    unsupported: unsupported / counts.used,
    acceptance: offPolicyReport(rounds(acc), o),
    netValue: offPolicyReport(rounds(val), o),
  };
}

/**
 * Whether the logging policy could have put `actionId` first ("" is no action): under a
 * bandit, an arm with a positive probability (no action only when it had no arm); under a
 * randomised arm (selection probability below 1) any action, as its other choices are not
 * recorded; under the deterministic engine, only what it chose.
 */
function loggable(r: DecisionRecord, actionId: string, pscore: number): boolean {
  const first = r.chosen[0]?.actionId ?? NONE;
  if (actionId === first) return true;
  if (r.bandit) return firstPickProbability(r.bandit, actionId) > 0;
  return pscore < 1;
}

/** One action's part of the reward model: its family, propensity, value and cost, and the candidate's probability of it. */
interface ModelPart {
  family: string;
  p: number;
  value: number;
  cost: number;
  pi: number;
}

interface RoundModel {
  logged: ModelPart | undefined;
  target: ModelPart[];
  fold: number;
}

/** Pseudo-acceptances a family's calibration is shrunk towards the overall one with. */
const CALIBRATION_PRIOR = 5;

/**
 * Fills q̂ of the logged action and under the target, acceptance (p) and net value
 * (p × value − cost), with p the champions' propensity, or with p scaled per family by the
 * other fold's acceptances over its predictions (shrunk to the overall ratio; at most 1).
 */
function fillRewardModel(models: readonly RoundModel[], acc: Record<keyof OpeRounds, number[]>, val: Record<keyof OpeRounds, number[]>, calibrated: boolean): void {
  // Per fold: acceptances and predicted acceptances, by family and overall.
  const sums = [new Map<string, { r: number; q: number }>(), new Map<string, { r: number; q: number }>()];
  const totals = [{ r: 0, q: 0 }, { r: 0, q: 0 }];
  models.forEach((m, i) => {
    if (!m.logged) return;
    const f = sums[m.fold]!;
    let x = f.get(m.logged.family);
    if (!x) f.set(m.logged.family, (x = { r: 0, q: 0 }));
    x.r += acc.reward[i]!;
    x.q += m.logged.p;
    totals[m.fold]!.r += acc.reward[i]!;
    totals[m.fold]!.q += m.logged.p;
  });
  const factor = (fold: number, family: string): number => {
    if (!calibrated) return 1;
    const other = 1 - fold;
    const all = totals[other]!.q > 0 ? totals[other]!.r / totals[other]!.q : 1;
    const x = sums[other]!.get(family);
    return ((x?.r ?? 0) + CALIBRATION_PRIOR * all) / ((x?.q ?? 0) + CALIBRATION_PRIOR);
  };
  models.forEach((m, i) => {
    const scaled = (x: ModelPart) => Math.min(1, x.p * factor(m.fold, x.family));
    acc.qLogged[i] = m.logged ? scaled(m.logged) : 0;
    val.qLogged[i] = m.logged ? scaled(m.logged) * m.logged.value - m.logged.cost : 0;
    let qa = 0;
    let qv = 0;
    for (const x of m.target) {
      const p = scaled(x);
      qa += x.pi * p;
      qv += x.pi * (p * x.value - x.cost);
    }
    acc.qTarget[i] = qa;
    val.qTarget[i] = qv;
  });
}

function push(c: Record<keyof OpeRounds, number[]>, reward: number, pscore: number, target: number, qLogged: number, qTarget: number): void {
  c.reward.push(reward);
  c.pscore.push(pscore);
  c.target.push(target);
  c.qLogged.push(qLogged);
  c.qTarget.push(qTarget);
}

const rounds = (c: Record<keyof OpeRounds, number[]>): OpeRounds => ({ reward: Float64Array.from(c.reward), pscore: Float64Array.from(c.pscore), target: Float64Array.from(c.target), qLogged: Float64Array.from(c.qLogged), qTarget: Float64Array.from(c.qTarget) });
