/**
 * The results of an experiment, per arm and over time, from its customers' outcomes: the
 * four KPIs (acceptance; revenue and CLV; churn; engagement: logins, products held) and
 * the guardrails (complaints, consent withdrawals, contacts, arrears, overdrawn), each arm
 * against the control with the statistics of src/models (two-proportion z, Welch, CUPED with
 * the pre-period value as covariate, Kaplan–Meier, Cox hazard ratio with the log-rank score
 * test), the sample-ratio check, and daily always-valid (mSPRT) intervals of the acceptance
 * and revenue lifts so the experiment can be watched daily.
 */
import { NextbestError } from '../core/errors.js';
import { alwaysValidSequence, binomialInterval, cupedTest, mixingVarianceForHorizon, sampleRatioMismatch, twoProportionTest, welchTest } from '../models/stats/index.js';
import type { CupedTest } from '../models/stats/cuped.js';
import type { WelchTest } from '../models/stats/means.js';
import { normalQuantile } from '../models/stats/normal.js';
import type { TwoProportionTest } from '../models/stats/proportions.js';
import type { SampleRatioCheck } from '../models/stats/srm.js';
import { fitCox } from '../models/survival/cox.js';
import { kaplanMeier } from '../models/survival/kaplanMeier.js';
import { controlArm, type Experiment } from './definition.js';
import { DAY_MS, EARLY_WINDOW_DAYS, type CustomerOutcome } from './outcomes.js';

/** A comparison that could not be computed (e.g. no variance in either arm) says why instead. */
export type Maybe<T> = T | { unavailable: string };

export interface ArmResult {
  arm: string;
  kind: string;
  weight: number;
  customers: number;
  decisions: number;
  contactsPerCustomer: number;
  /** Share of customers who accepted at least one offer, with its Wilson interval. */
  acceptanceRate: number;
  acceptanceInterval: [number, number];
  valuePerCustomer: number;
  /** Realised value plus the CLV model's expectation at the window's end (null without a CLV model). */
  clvPerCustomer: number | null;
  loginsPerCustomer: number;
  /** Products held at the end of the window (accounts with a recent balance snapshot). */
  productsPerCustomer: number;
  /** Change in savings, ISA, investment and pension balances since exposure (pounds). */
  savingsChangePerCustomer: number;
  /** Share of customers with a late or missed repayment after exposure. */
  arrearsRate: number;
  overdrawnRate: number;
  complaintsPerCustomer: number;
  consentWithdrawalRate: number;
  churned: number;
  /** Kaplan–Meier survival (not churned) by days since exposure. */
  survival: { time: number[]; survival: number[]; lower: number[]; upper: number[] } | null;
}

export interface ArmComparison {
  arm: string;
  control: string;
  acceptance: Maybe<TwoProportionTest>;
  /** Incremental revenue per customer: the catalogue value of accepted offers. */
  value: Maybe<WelchTest>;
  /** Realised value + the CLV model's expectation at the end, CUPED-adjusted with its expectation at exposure. */
  clv: Maybe<CupedTest>;
  /** Logins after exposure, CUPED-adjusted with logins in the pre-period. */
  engagement: Maybe<CupedTest>;
  /** Products held at the end (cross-sell), CUPED-adjusted with products held at exposure. */
  products: Maybe<CupedTest>;
  /** Savings and investment balances at the end, CUPED-adjusted with those at exposure (idle cash moved). */
  savings: Maybe<CupedTest>;
  /** Cox hazard ratio of churn (arm vs control) with its interval; the score test is the log-rank test. */
  churn: Maybe<{ hazardRatio: number; interval: [number, number]; pValue: number; logRankP: number }>;
  guardrails: { complaints: Maybe<WelchTest>; consentWithdrawals: Maybe<TwoProportionTest>; contacts: Maybe<WelchTest>; arrears: Maybe<TwoProportionTest>; overdrawn: Maybe<TwoProportionTest> };
}

export interface DailyLook {
  day: number;
  /** Days since the experiment started; customers exposed by then, outcomes up to then. */
  arm: string;
  /** acceptance: share accepting within the window; value: catalogue value accepted within it per customer. */
  metric: 'acceptance' | 'value';
  customers: number;
  controlCustomers: number;
  /** Difference (arm − control) in the metric over the DAILY_WINDOW_DAYS after exposure, with its always-valid 95% interval. */
  difference: number;
  interval: [number, number];
  pValue: number;
}

export interface ExperimentResults {
  experimentId: string;
  control: string;
  from: number;
  until: number;
  arms: ArmResult[];
  srm: SampleRatioCheck;
  comparisons: ArmComparison[];
  daily: DailyLook[];
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

function attempt<T>(f: () => T): Maybe<T> {
  try {
    return f();
  } catch (e) {
    if (e instanceof NextbestError || e instanceof RangeError) return { unavailable: e.message };
    throw e;
  }
}

/** The experiment's results from its customers' outcomes over [from, until). */
export function experimentResults(e: Experiment, outcomes: readonly CustomerOutcome[], o: { from: number; until: number; confidence?: number }): ExperimentResults {
  const control = controlArm(e);
  const byArm = new Map(e.arms.map((a) => [a.name, outcomes.filter((c) => c.arm === a.name)]));
  const arms: ArmResult[] = e.arms.map((a) => armResult(a.name, a.kind, a.weight, byArm.get(a.name)!));
  const srm = sampleRatioMismatch(
    e.arms.map((a) => byArm.get(a.name)!.length),
    e.arms.map((a) => a.weight),
  );
  const c = byArm.get(control)!;
  const comparisons = e.arms.filter((a) => a.name !== control).map((a) => compare(a.name, control, byArm.get(a.name)!, c, o.confidence ?? 0.95));
  const daily = e.arms.filter((a) => a.name !== control).flatMap((a) => [...dailyLooks(a.name, 'acceptance', byArm.get(a.name)!, c, o.from, o.until), ...dailyLooks(a.name, 'value', byArm.get(a.name)!, c, o.from, o.until)]);
  return { experimentId: e.id, control, from: o.from, until: o.until, arms, srm, comparisons, daily };
}

function armResult(arm: string, kind: string, weight: number, cs: readonly CustomerOutcome[]): ArmResult {
  const n = cs.length;
  const acc = cs.filter((c) => c.offersAccepted > 0).length;
  const km = n > 0 ? attempt(() => kaplanMeier(cs.map((c) => c.survivalDays), cs.map((c) => (c.churned ? 1 : 0)))) : { unavailable: 'no customers' };
  return {
    arm,
    kind,
    weight,
    customers: n,
    decisions: cs.reduce((s, c) => s + c.decisions, 0),
    contactsPerCustomer: mean(cs.map((c) => c.contacts)),
    acceptanceRate: n === 0 ? 0 : acc / n,
    acceptanceInterval: n === 0 ? [0, 1] : binomialInterval(acc, n),
    valuePerCustomer: mean(cs.map((c) => c.value)),
    clvPerCustomer: cs.some((c) => Number.isFinite(c.clvAfter)) ? mean(cs.filter((c) => Number.isFinite(c.clvAfter)).map((c) => c.value + c.clvAfter)) : null,
    loginsPerCustomer: mean(cs.map((c) => c.loginsAfter)),
    productsPerCustomer: mean(cs.map((c) => c.productsAfter)),
    savingsChangePerCustomer: mean(cs.map((c) => c.savingsAfter - c.savingsBefore)),
    arrearsRate: n === 0 ? 0 : cs.filter((c) => c.arrearsAfter > 0).length / n,
    overdrawnRate: n === 0 ? 0 : cs.filter((c) => c.overdrawnAtEnd).length / n,
    complaintsPerCustomer: mean(cs.map((c) => c.complaints)),
    consentWithdrawalRate: n === 0 ? 0 : cs.filter((c) => c.consentWithdrawals > 0).length / n,
    churned: cs.filter((c) => c.churned).length,
    survival: 'unavailable' in km ? null : { time: km.time, survival: km.survival, lower: km.lower, upper: km.upper },
  };
}

const proportion = (cs: readonly CustomerOutcome[], f: (c: CustomerOutcome) => boolean) => ({ conversions: cs.filter(f).length, n: cs.length });

function compare(arm: string, control: string, t: readonly CustomerOutcome[], c: readonly CustomerOutcome[], confidence: number): ArmComparison {
  const z = twoSidedZ(confidence);
  return {
    arm,
    control,
    acceptance: attempt(() => twoProportionTest(proportion(c, (x) => x.offersAccepted > 0), proportion(t, (x) => x.offersAccepted > 0), confidence)),
    value: attempt(() => welchTest(c.map((x) => x.value), t.map((x) => x.value), confidence)),
    clv: attempt(() => {
      const scored = (xs: readonly CustomerOutcome[]) => xs.filter((x) => Number.isFinite(x.clvBefore) && Number.isFinite(x.clvAfter));
      const [sc, st] = [scored(c), scored(t)];
      if (sc.length < 2 || st.length < 2) throw new RangeError('no CLV expectation: no CLV model was serving, and the decisions logged no scores.clv');
      return cuped(sc, st, (x) => x.value + x.clvAfter, (x) => x.clvBefore, confidence);
    }),
    engagement: attempt(() => cuped(c, t, (x) => x.loginsAfter, (x) => x.loginsBefore, confidence)),
    products: attempt(() => cuped(c, t, (x) => x.productsAfter, (x) => x.productsBefore, confidence)),
    savings: attempt(() => cuped(c, t, (x) => x.savingsAfter, (x) => x.savingsBefore, confidence)),
    churn: attempt(() => {
      for (const [name, xs] of [[control, c], [arm, t]] as const) if (!xs.some((x) => x.churned)) throw new RangeError(`no customer of ${name} went silent for the inactivity window: the hazard ratio is not estimable yet`);
      const rows = [...c, ...t];
      const fit = fitCox({ time: rows.map((x) => x.survivalDays), event: rows.map((x) => (x.churned ? 1 : 0)), x: rows.map((_, i) => (i < c.length ? 0 : 1)), p: 1 }, { ties: 'breslow', concordance: false, names: [arm] });
      const k = fit.coefficients[0]!;
      if (!Number.isFinite(k.se)) throw new RangeError('no churn in one arm: the hazard ratio is not estimable');
      return { hazardRatio: k.expCoef, interval: [Math.exp(k.coef - z * k.se), Math.exp(k.coef + z * k.se)] as [number, number], pValue: k.p, logRankP: fit.tests.score.p };
    }),
    guardrails: {
      complaints: attempt(() => welchTest(c.map((x) => x.complaints), t.map((x) => x.complaints), confidence)),
      consentWithdrawals: attempt(() => twoProportionTest(proportion(c, (x) => x.consentWithdrawals > 0), proportion(t, (x) => x.consentWithdrawals > 0), confidence)),
      contacts: attempt(() => welchTest(c.map((x) => x.contacts), t.map((x) => x.contacts), confidence)),
      arrears: attempt(() => twoProportionTest(proportion(c, (x) => x.arrearsAfter > 0), proportion(t, (x) => x.arrearsAfter > 0), confidence)),
      overdrawn: attempt(() => twoProportionTest(proportion(c, (x) => x.overdrawnAtEnd), proportion(t, (x) => x.overdrawnAtEnd), confidence)),
    },
  };
}

/** CUPED of a metric with its pre-period covariate, control first. */
function cuped(c: readonly CustomerOutcome[], t: readonly CustomerOutcome[], metric: (x: CustomerOutcome) => number, covariate: (x: CustomerOutcome) => number, confidence: number): CupedTest {
  return cupedTest({ metric: c.map(metric), covariate: c.map(covariate) }, { metric: t.map(metric), covariate: t.map(covariate) }, confidence);
}

/** The two-sided normal quantile of a confidence level. */
function twoSidedZ(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence ${confidence}: must be between 0 and 1`);
  return normalQuantile(1 - (1 - confidence) / 2);
}

/** Days after exposure within which an acceptance counts in the daily looks: a fixed estimand for the mSPRT. */
export const DAILY_WINDOW_DAYS = EARLY_WINDOW_DAYS;

/**
 * Day-by-day difference in a metric over the DAILY_WINDOW_DAYS after each customer's
 * exposure (the share accepting, or the value accepted per customer), among customers whose
 * window had closed by that day, with the mSPRT always-valid interval (mixing variance
 * planned for the last day's variance). The estimand is the same at every look, as the
 * mSPRT's guarantee needs; a cumulative "accepted so far" would drift upwards and is not used.
 */
function dailyLooks(arm: string, metric: DailyLook['metric'], t: readonly CustomerOutcome[], c: readonly CustomerOutcome[], from: number, until: number): DailyLook[] {
  const days = Math.max(1, Math.ceil((until - from) / DAY_MS));
  const w = DAILY_WINDOW_DAYS * DAY_MS;
  const y = metric === 'acceptance' ? (x: CustomerOutcome) => (x.firstAcceptedAt !== null && x.firstAcceptedAt < x.exposedAt + w ? 1 : 0) : (x: CustomerOutcome) => x.earlyValue;
  const moments = (xs: readonly CustomerOutcome[]) => {
    const v = xs.map(y);
    const m = mean(v);
    // Bernoulli variance for a share (as the two-proportion test), sample variance for a value.
    const s2 = metric === 'acceptance' ? m * (1 - m) : v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1);
    return { m, varMean: s2 / v.length };
  };
  const looks: { day: number; nt: number; nc: number; estimate: number; variance: number }[] = [];
  for (let d = 1; d <= days; d++) {
    const cut = from + d * DAY_MS;
    const tt = t.filter((x) => x.exposedAt + w <= cut);
    const cc = c.filter((x) => x.exposedAt + w <= cut);
    if (tt.length < 2 || cc.length < 2) continue;
    const [mt, mc] = [moments(tt), moments(cc)];
    const variance = mt.varMean + mc.varMean;
    if (!(variance > 0)) continue;
    looks.push({ day: d, nt: tt.length, nc: cc.length, estimate: mt.m - mc.m, variance });
  }
  if (looks.length === 0) return [];
  const tau2 = mixingVarianceForHorizon(looks[looks.length - 1]!.variance);
  const seq = alwaysValidSequence(looks, { mixingVariance: tau2, alpha: 0.05 });
  return looks.map((l, i) => ({ day: l.day, arm, metric, customers: l.nt, controlCustomers: l.nc, difference: l.estimate, interval: seq[i]!.interval, pValue: seq[i]!.pValue }));
}
