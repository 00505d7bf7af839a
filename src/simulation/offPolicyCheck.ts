/**
 * Off-policy evaluation checked on the twin, where the truth is known. A logging policy
 * (a softmax over family scores, mixed half and half with uniform exploration) offers one
 * action family a day on in-app to a tenth of the customers; the log keeps what it chose,
 * with what probability, and whether the customer accepted. Seeded candidate policies
 * (softmax policies with random weights; some greedy) are then estimated from that log
 * by every estimator and compared with their true value: the expected acceptance the
 * candidate would have had on the same customer-days, from the twin's hidden acceptance
 * probabilities (exact, no sampling noise). A candidate run live would also change later
 * days (who holds what, who churned); one-step estimators from a log cannot see that,
 * which is why the truth is the same-days expectation.
 */
import { mulberry32, deriveSeed, normal, type Rng } from '../core/random.js';
import { ESTIMATORS, bootstrapIntervals, effectiveSampleSize, type EstimatorName, type OpeRounds } from '../models/ope/index.js';
import { runClosedLoop, type CustomerView, type NamedPolicy } from './closedLoop.js';
import { ACTION_FAMILIES, type ActionFamily } from './offers.js';
import { eligibleFamilies } from './policies.js';
import type { ScenarioInput } from './scenario.js';

/** The families offered (service messages are worth nothing to offer). */
const FAMILIES = ACTION_FAMILIES.filter((f) => f !== 'service_message');

/** The context a policy scores on: an intercept, wealth, engagement and stress signals. */
function features(v: CustomerView): number[] {
  const wealth = Math.log1p(Math.max(0, v.balances.current + v.balances.savings)) / 10;
  const engaged = Math.min(1, v.recent.logins / 30);
  const stress = Math.min(1, v.recent.missedPayments + v.recent.overdrawnDays / 30);
  return [1, wealth, engaged, stress];
}

/** A softmax policy over eligible families: weights[family][feature] / temperature (temperature 0: argmax). */
interface SoftmaxPolicy {
  weights: number[][];
  temperature: number;
  /** Share of uniform exploration mixed in. */
  uniform: number;
}

function probabilities(p: SoftmaxPolicy, x: number[], eligible: readonly number[]): number[] {
  const scores = eligible.map((f) => p.weights[f]!.reduce((s, w, j) => s + w * x[j]!, 0));
  let probs: number[];
  if (p.temperature === 0) {
    let best = 0;
    scores.forEach((s, k) => (s > scores[best]! ? (best = k) : 0));
    probs = scores.map((_, k) => (k === best ? 1 : 0));
  } else {
    const m = Math.max(...scores);
    const e = scores.map((s) => Math.exp((s - m) / p.temperature));
    const z = e.reduce((a, b) => a + b, 0);
    probs = e.map((v) => v / z);
  }
  return probs.map((q) => (1 - p.uniform) * q + p.uniform / eligible.length);
}

/** The seeded candidates: softmax policies with random weights, every fifth greedy. */
function candidatesFor(seed: number, count: number): SoftmaxPolicy[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, (_, c) => randomPolicy(rng, c % 5 === 4));
}

/**
 * A candidate actually run in the twin (same scenario and contact schedule as the log):
 * its acceptance rate. It differs from the same-days truth by what running it changes
 * (holdings, churn, who is eligible later) and by its own sampling noise.
 */
export async function liveValue(scenario: ScenarioInput, o: { seed: number; candidate: number; contactRate?: number }): Promise<{ offers: number; acceptance: number }> {
  const cand = candidatesFor(o.seed, o.candidate + 1)[o.candidate]!;
  const rounds = await runOnTwin(scenario, cand, o.contactRate !== undefined ? { contactRate: o.contactRate } : {});
  return { offers: rounds.length, acceptance: rounds.filter((r) => r.accepted).length / rounds.length };
}

function randomPolicy(rng: Rng, greedy: boolean): SoftmaxPolicy {
  return { weights: FAMILIES.map(() => [0, 0, 0, 0].map(() => normal(rng))), temperature: greedy ? 0 : 0.3 + rng.next(), uniform: 0 };
}

/** One logged decision: the context, the eligible families, what the logger did and the truth. */
interface LoggedRound {
  x: number[];
  eligible: number[];
  chosen: number;
  pscore: number;
  accepted: boolean;
  /** True acceptance probability of each eligible family (never shown to the logger's choice). */
  truth: number[];
}

/** Runs the logging policy in the twin and returns the log. */
export async function logOnTwin(scenario: ScenarioInput, o: { contactRate?: number } = {}): Promise<LoggedRound[]> {
  return runOnTwin(scenario, LOGGER, o);
}

/** The logging policy: a softmax over family scores, half uniform exploration. */
const LOGGER: SoftmaxPolicy = { weights: FAMILIES.map((_, f) => [0.3 * ((f % 3) - 1), 0.5 * ((f % 2) * 2 - 1), 0.2, -0.3]), temperature: 0.5, uniform: 0.5 };

/** Runs a softmax policy in the twin on the logging schedule and returns what it did (the live run of a candidate, too). */
async function runOnTwin(scenario: ScenarioInput, logger: SoftmaxPolicy, o: { contactRate?: number } = {}): Promise<LoggedRound[]> {
  const rng = mulberry32(deriveSeed(scenario.seed ?? 1, 901));
  const log: LoggedRound[] = [];
  const pending: LoggedRound[] = [];
  const policy: NamedPolicy = {
    name: 'ope-logger',
    // The truth is read only to record it beside the log for the check; the choice never uses it.
    seesTruth: true,
    decide(view, ctx) {
      if (view.daysSinceContact < 7 || rng.next() >= (o.contactRate ?? 0.1)) return null;
      const eligible = eligibleFamilies(view)
        .filter((f) => f !== 'service_message')
        .map((f) => FAMILIES.indexOf(f));
      if (eligible.length === 0) return null;
      const x = features(view);
      const probs = probabilities(logger, x, eligible);
      let u = rng.next();
      let k = 0;
      while (k < probs.length - 1 && u >= probs[k]!) u -= probs[k++]!;
      const truth = eligible.map((f) => ctx.truth!.acceptProbability(FAMILIES[f]!, 'in_app'));
      pending.push({ x, eligible, chosen: k, pscore: probs[k]!, accepted: false, truth });
      return { family: FAMILIES[eligible[k]!]!, channel: 'in_app' };
    },
  };
  await runClosedLoop({
    scenario,
    policy,
    onOffer: (shown) => {
      const r = pending.shift()!;
      r.accepted = shown.accepted;
      log.push(r);
    },
  });
  return log;
}

export interface EstimatorScore {
  estimator: EstimatorName;
  bias: number;
  rmse: number;
  /** Share of candidates whose true value lies in the estimator's 95% bootstrap interval. */
  coverage: number;
}

export interface OffPolicyCheck {
  rounds: number;
  candidates: number;
  meanEffectiveSampleSize: number;
  estimators: EstimatorScore[];
  /** Per candidate: its same-days truth and the DR estimate with its interval. */
  perCandidate: { truth: number; dr: { estimate: number; low: number; high: number } }[];
}

/**
 * Scores every estimator over `candidates` seeded candidate policies on a twin log. The
 * reward model of DM and DR is a per-family mean acceptance fitted on the log (deliberately
 * blind to context, as a first model is): DR must correct what it misses.
 */
export function checkCandidates(log: readonly LoggedRound[], o: { candidates: number; seed: number; resamples?: number }): OffPolicyCheck {
  const n = log.length;
  const shown = new Float64Array(FAMILIES.length);
  const taken = new Float64Array(FAMILIES.length);
  for (const r of log) {
    shown[r.eligible[r.chosen]!]! += 1;
    if (r.accepted) taken[r.eligible[r.chosen]!]! += 1;
  }
  const qHat = Array.from(shown, (s, f) => (taken[f]! + 1) / (s + 2));
  const candidates = candidatesFor(o.seed, o.candidates);
  const perCandidate: OffPolicyCheck['perCandidate'] = [];
  const errors = ESTIMATORS.map(() => [] as number[]);
  const covered = ESTIMATORS.map(() => 0);
  let ess = 0;
  for (let c = 0; c < o.candidates; c++) {
    const cand = candidates[c]!;
    const d: OpeRounds = { reward: new Float64Array(n), pscore: new Float64Array(n), target: new Float64Array(n), qLogged: new Float64Array(n), qTarget: new Float64Array(n) };
    let truth = 0;
    log.forEach((r, i) => {
      const pe = probabilities(cand, r.x, r.eligible);
      let qt = 0;
      pe.forEach((p, k) => {
        truth += p * r.truth[k]!;
        qt += p * qHat[r.eligible[k]!]!;
      });
      d.reward[i] = r.accepted ? 1 : 0;
      d.pscore[i] = r.pscore;
      d.target[i] = pe[r.chosen]!;
      d.qLogged[i] = qHat[r.eligible[r.chosen]!]!;
      d.qTarget[i] = qt;
    });
    truth /= n;
    ess += effectiveSampleSize(d);
    const intervals = bootstrapIntervals(d, ESTIMATORS, { resamples: o.resamples ?? 200, seed: deriveSeed(o.seed, c) });
    perCandidate.push({ truth, dr: intervals.dr });
    ESTIMATORS.forEach((name, j) => {
      const e = intervals[name];
      errors[j]!.push(e.estimate - truth);
      if (e.low <= truth && truth <= e.high) covered[j]!++;
    });
  }
  return {
    rounds: n,
    candidates: o.candidates,
    meanEffectiveSampleSize: ess / o.candidates,
    perCandidate,
    estimators: ESTIMATORS.map((estimator, j) => {
      const e = errors[j]!;
      return { estimator, bias: e.reduce((a, b) => a + b, 0) / e.length, rmse: Math.sqrt(e.reduce((a, b) => a + b * b, 0) / e.length), coverage: covered[j]! / o.candidates };
    }),
  };
}

/** The check as a Markdown table (README, bench results). */
export function offPolicyTable(c: OffPolicyCheck): string {
  const rows = c.estimators.map((e) => `| ${e.estimator} | ${e.bias >= 0 ? '+' : ''}${e.bias.toFixed(4)} | ${e.rmse.toFixed(4)} | ${(100 * e.coverage).toFixed(0)}% |`);
  return [`${c.candidates} seeded candidates, ${c.rounds.toLocaleString('en-GB')} logged decisions, mean effective sample size ${c.meanEffectiveSampleSize.toFixed(0)}`, '', '| estimator | bias | RMSE | 95% interval covers the truth |', '|---|---|---|---|', ...rows].join('\n');
}

export type { ActionFamily };
