/**
 * Off-policy evaluation checked on the twin, where the truth is known, with the real
 * engine on both sides.
 *
 * 1. The logging run: the decisioning engine (enginePolicy.ts, propensity models trained on
 *    another seed) decides for every customer each morning on in-app, exploring with
 *    Thompson sampling on a budget (its bandit step), so every logged decision records the
 *    probability its first action was chosen with. Its decision log and the twin's
 *    responses are what off-policy evaluation reads, through `Decisioning.offPolicy`,
 *    as `nextbest ope` does.
 * 2. Seeded candidates: the deterministic engine with other levers (family weights drawn
 *    at random, a family sometimes switched off; candidate 0 is the engine as it is).
 * 3. Each candidate is estimated from the log, then run on-policy in the twin: the same
 *    scenario, seed, customers and days, a fresh engine with the candidate's levers.
 *
 * The estimand is the candidate's expected acceptance per decision (a decision that offers
 * nothing earns 0). Its true value in the live run is the mean, over the live run's
 * decisions, of the twin's hidden acceptance probability of what it offered: the
 * expectation, without the coin flips of the responses, which are the live run's own
 * noise and no part of the policy's value. The same-days truth is the same on the logging
 * run's decisions (what OPE identifies exactly); the gap between the two is what running
 * the candidate changes (who holds what, caps, cool-downs, churn), which a log of another
 * policy cannot show.
 */
import { deriveSeed, mulberry32, normal } from '../core/random.js';
import { decisionSeed, type Catalogue, type DecisionRecord, type LoggedOutcome, type OpeResult } from '../decisioning/index.js';
import { ESTIMATORS, type EstimatorName } from '../models/ope/index.js';
import type { NamedPolicy } from './closedLoop.js';
import { runClosedLoop } from './closedLoop.js';
import { enginePolicy, trainTwinScorer, type TrainedTwin } from './enginePolicy.js';
import { ACTION_FAMILIES, type ActionFamily } from './offers.js';
import type { ScenarioInput } from './scenario.js';

type Levers = Catalogue['levers'];

export interface OpeCheckOptions {
  scenario: ScenarioInput & { seed: number };
  catalogue: Catalogue;
  /** Seeded candidates (candidate 0: the engine's own levers). */
  candidates: number;
  /** Seed of the candidates' levers and of the bootstrap. */
  seed: number;
  /** The logging engine's exploration budget on in-app. */
  budget: number;
  /** Days of the exploration run the propensity models learn from (seed + 1000). */
  trainDays: number;
  resamples?: number;
  /** How many candidates run live (the first ones; default all). */
  live?: number;
  /**
   * `once`: each customer is decided for once, on a seeded day of the run (a campaign): the
   * requests are the same whatever the policy, so the per-decision estimand is the live one.
   * `daily`: every customer every morning, as the engine runs; a candidate's own contacts
   * then change its later requests (caps, cool-downs), which the log cannot show.
   */
  schedule?: 'once' | 'daily';
  /** Trained models to reuse (tests); else trained here. */
  trained?: TrainedTwin;
  onProgress?: (what: string) => void;
}

/** One candidate: its estimates, its truths. */
export interface CandidateCheck {
  levers: Levers;
  /** Mean probability the candidate gives the logged first action. */
  agreement: number;
  /** Mean probability it puts where the logger could not go (OpeResult.unsupported). */
  unsupported: number;
  effectiveSampleSize: number;
  estimates: Record<EstimatorName, { estimate: number; low: number; high: number }>;
  /** Expected acceptance per decision on the logging run's decisions. */
  sameDaysTruth: number;
  /** The live run: decisions made, their expected acceptance per decision (the truth), and the realised rate. */
  live?: { decisions: number; truth: number; realised: number };
}

export interface EstimatorScore {
  estimator: EstimatorName;
  /** Against the live truth (the candidate's value when it runs). */
  bias: number;
  rmse: number;
  /** Share of candidates whose live truth lies in the estimator's 95% interval. */
  coverage: number;
  /** The same against the same-days truth. */
  sameDaysCoverage: number;
}

export interface OffPolicyCheck {
  decisions: number;
  customers: number;
  loggedAcceptance: number;
  candidates: CandidateCheck[];
  estimators: EstimatorScore[];
  /** The DR interval against the realised live rate (what the first check compared with), for the record. */
  drCoversRealised: number;
  /** Mean live truth − same-days truth over the candidates run live. */
  meanLiveGap: number;
}

const IN_APP = 'in_app' as const;

/** Whether a customer is decided for on a day. */
type Due = (customerId: string, day: number) => boolean;

/** The schedule's test: `once` picks each customer's day from a hash of the id and seed (the same in every run). */
export function schedule(kind: 'once' | 'daily', days: number, seed: number): Due {
  if (kind === 'daily') return () => true;
  return (customerId, day) => decisionSeed(`${seed}:${customerId}`) % days === day;
}

/** The seeded candidates' levers: log-normal family weights, a family off one time in eight; candidate 0 as the catalogue has it. */
export function candidateLevers(catalogue: Catalogue, seed: number, count: number): Levers[] {
  const rng = mulberry32(deriveSeed(seed, 77));
  const families = [...new Set(catalogue.actions.map((a) => a.family))].sort();
  return Array.from({ length: count }, (_, c) => {
    const weights = families.map((f) => [f, rng.next() < 0.125 ? 0 : Math.round(Math.exp(0.8 * normal(rng)) * 100) / 100] as const);
    if (c === 0) return structuredClone(catalogue.levers);
    return { families: Object.fromEntries(weights), actions: { ...catalogue.levers.actions } } as Levers;
  });
}

/** The logging run: the engine exploring on in-app; each logged decision with the twin's truth per family and the responses. */
async function logOnTwin(o: OpeCheckOptions, trained: TrainedTwin, due: Due): Promise<{ outcomes: LoggedOutcome[]; truth: Map<string, Record<string, number>>; decisioning: ReturnType<typeof enginePolicy>['decisioning'] }> {
  const logger = enginePolicy(o.catalogue, trained.scorer, 'logger', trained.scores, undefined, { bandit: { channels: { [IN_APP]: o.budget } }, channels: [IN_APP] });
  const outcomes: LoggedOutcome[] = [];
  const byId = new Map<string, { decision: LoggedOutcome['decision']; accepted: Set<string> }>();
  const truth = new Map<string, Record<string, number>>();
  const policy: NamedPolicy = {
    name: 'logger',
    // The truth is recorded beside the log for the check only; the engine never sees it.
    seesTruth: true,
    observe: logger.observe!,
    async decide(view, ctx) {
      if (!due(view.customerId, ctx.day)) return null;
      const offer = await logger.decide(view, ctx);
      const id = `${view.customerId}-${ctx.day}-${IN_APP}`;
      const decision = await logger.decisioning.loggedDecision(id);
      if (decision) {
        const row = { decision, accepted: new Set<string>() };
        outcomes.push(row);
        byId.set(id, row);
        truth.set(id, Object.fromEntries(ACTION_FAMILIES.map((f) => [f, ctx.truth!.acceptProbability(f, IN_APP)])));
      }
      return offer;
    },
  };
  await runClosedLoop({
    scenario: o.scenario,
    policy,
    onOffer: (s) => {
      if (!s.accepted) return;
      const row = byId.get(`${s.customerId}-${s.day}-${s.offer.channel}`)!;
      row.accepted.add((row.decision.record as DecisionRecord).chosen[0]!.actionId);
    },
  });
  return { outcomes, truth, decisioning: logger.decisioning };
}

/** A candidate run on-policy in the twin (same scenario and seed): its decisions and their expected and realised acceptance. */
export async function liveRun(catalogue: Catalogue, levers: Levers, scenario: ScenarioInput, trained: TrainedTwin, due: Due): Promise<{ decisions: number; truth: number; realised: number }> {
  const engine = enginePolicy({ ...catalogue, levers }, trained.scorer, 'candidate', trained.scores, undefined, { channels: [IN_APP] });
  let decisions = 0;
  let expected = 0;
  let accepted = 0;
  const policy: NamedPolicy = {
    name: 'candidate',
    seesTruth: true,
    observe: engine.observe!,
    async decide(view, ctx) {
      if (!due(view.customerId, ctx.day)) return null;
      const offer = await engine.decide(view, ctx);
      if (await engine.log.get(`${view.customerId}-${ctx.day}-${IN_APP}`)) decisions++;
      if (offer) expected += ctx.truth!.acceptProbability(offer.family, IN_APP);
      return offer;
    },
  };
  await runClosedLoop({ scenario, policy, onOffer: (s) => void (s.accepted && accepted++) });
  return { decisions, truth: expected / decisions, realised: accepted / decisions };
}

/** Runs the whole check: train, log, estimate every candidate, run the first `live` of them. */
export async function checkOnTwin(o: OpeCheckOptions): Promise<OffPolicyCheck> {
  o.onProgress?.('training');
  const trained = o.trained ?? (await trainTwinScorer(o.scenario, { days: o.trainDays, seed: o.scenario.seed + 1000 }));
  o.onProgress?.('logging run');
  const due = schedule(o.schedule ?? 'once', o.scenario.days ?? 90, o.scenario.seed);
  const log = await logOnTwin(o, trained, due);
  const familyOf = new Map(o.catalogue.actions.map((a) => [a.id, a.family as ActionFamily]));
  const levers = candidateLevers(o.catalogue, o.seed, o.candidates);
  const candidates: CandidateCheck[] = [];
  let first: OpeResult | undefined;
  for (let c = 0; c < o.candidates; c++) {
    o.onProgress?.(`estimate ${c + 1}/${o.candidates}`);
    let truth = 0;
    const r = await log.decisioning.offPolicy({ levers: levers[c], resamples: o.resamples ?? 200, seed: deriveSeed(o.seed, c) % 2 ** 31 }, log.outcomes, (id, target) => {
      const t = log.truth.get(id)!;
      for (const [a, p] of target) if (a !== '') truth += p * t[familyOf.get(a)!]!;
    });
    first ??= r;
    const estimates = Object.fromEntries(ESTIMATORS.map((e) => [e, r.acceptance.estimates[e]])) as CandidateCheck['estimates'];
    candidates.push({ levers: levers[c]!, agreement: r.agreement, unsupported: r.unsupported, effectiveSampleSize: r.acceptance.effectiveSampleSize, estimates, sameDaysTruth: truth / r.decisions.used });
  }
  const live = Math.min(o.live ?? o.candidates, o.candidates);
  for (let c = 0; c < live; c++) {
    o.onProgress?.(`live ${c + 1}/${live}`);
    candidates[c]!.live = await liveRun(o.catalogue, levers[c]!, o.scenario, trained, due);
  }
  const ran = candidates.filter((c) => c.live);
  const inside = (e: { low: number; high: number }, v: number) => e.low <= v && v <= e.high;
  const estimators = ESTIMATORS.map((estimator) => {
    const errors = ran.map((c) => c.estimates[estimator].estimate - c.live!.truth);
    return {
      estimator,
      bias: mean(errors),
      rmse: Math.sqrt(mean(errors.map((e) => e * e))),
      coverage: ran.filter((c) => inside(c.estimates[estimator], c.live!.truth)).length / ran.length,
      sameDaysCoverage: candidates.filter((c) => inside(c.estimates[estimator], c.sameDaysTruth)).length / candidates.length,
    };
  });
  return {
    decisions: first!.decisions.used,
    customers: first!.customers,
    loggedAcceptance: first!.logged.acceptance,
    candidates,
    estimators,
    drCoversRealised: ran.filter((c) => inside(c.estimates.dr, c.live!.realised)).length / ran.length,
    meanLiveGap: mean(ran.map((c) => c.live!.truth - c.sameDaysTruth)),
  };
}

const mean = (x: readonly number[]) => (x.length === 0 ? Number.NaN : x.reduce((a, b) => a + b, 0) / x.length);

/** The check as a Markdown table (README, bench results). */
export function offPolicyTable(c: OffPolicyCheck): string {
  const ran = c.candidates.filter((x) => x.live).length;
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
  const rows = c.estimators.map((e) => `| ${e.estimator} | ${sign(e.bias)} | ${e.rmse.toFixed(4)} | ${(100 * e.coverage).toFixed(0)}% | ${(100 * e.sameDaysCoverage).toFixed(0)}% |`);
  const ess = mean(c.candidates.map((x) => x.effectiveSampleSize));
  return [
    `${c.candidates.length} seeded candidates (${ran} run live), ${c.decisions.toLocaleString('en-GB')} logged decisions of ${c.customers.toLocaleString('en-GB')} customers, logged acceptance ${(100 * c.loggedAcceptance).toFixed(2)}% per decision, mean effective sample size ${ess.toFixed(0)}`,
    '',
    '| estimator | bias vs live | RMSE vs live | 95% interval covers the live truth | covers the same-days truth |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
