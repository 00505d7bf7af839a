/**
 * Champions in service: loads the champion of each model from the registry and turns a
 * customer's profile into the scores the profile carries (segment, churn risk and its
 * horizon, CLV and P(alive), stress state, per-family propensities). Loading is all or
 * nothing per model and a new set replaces the old in one assignment, so a promotion
 * swaps models under live traffic without a restart.
 */
import type { StoredEvent } from '../core/events.js';
import { predictCustomerValue } from '../models/clv/lifetimeValue.js';
import { summarizeTransactions } from '../models/clv/summary.js';
import { loadModel, rowScorer, type GbdtModel } from '../models/gbdt/index.js';
import { stressState, type StressState } from '../models/markov/states.js';
import { riskAtHorizons } from '../models/survival/coxPredict.js';
import type { ModelRecord, ModelRegistry } from '../store/modelRegistry.js';
import type { ClvArtefact, SegmentArtefact } from './customerModels.js';
import { DAY_MS } from './labels.js';
import { coxRow, type CoxArtefact } from './survival.js';

/** A served GBDT: what decisioning's GbdtScorer takes (`version` + `model`). */
export interface ServedGbdt {
  version: string;
  model: GbdtModel;
  score: (x: ArrayLike<number>) => number;
}

/** The scores a profile carries. */
export interface ProfileScores {
  segment: { id: number; name: string; model: string } | null;
  churn: { probability: number; horizonDays: number; model: string; survival?: { horizonDays: number; risk: number | null }[]; survivalModel?: string } | null;
  prepayment: { probability: number; horizonDays: number; model: string } | null;
  clv: { value: number; probabilityAlive: number; expectedPurchaseDays: number; currency: 'GBP'; horizonMonths: number; model: string } | null;
  stress: { state: StressState; basis: string };
  propensities: Record<string, { probability: number; model: string }>;
}

/** Feature values by name (NaN or missing = no value). */
export type FeatureLookup = (name: string) => number;

const served = (r: ModelRecord): ServedGbdt => {
  const model = loadModel(r.artefact);
  const s = rowScorer(model);
  return { version: r.id, model, score: (x) => s.score(x) };
};

/** The champions at one moment; immutable once loaded. */
export class Champions {
  private constructor(
    readonly propensity: ReadonlyMap<string, ServedGbdt>,
    readonly churn: ServedGbdt | undefined,
    readonly prepayment: ServedGbdt | undefined,
    readonly cox: { id: string; artefact: CoxArtefact } | undefined,
    readonly segments: { id: string; artefact: SegmentArtefact } | undefined,
    readonly clv: { id: string; artefact: ClvArtefact } | undefined,
    /** Champions that were not served because they were trained on other feature definitions. */
    readonly skipped: string[],
  ) {}

  /** Loads every champion trained on `definitionsHash` (others would read the wrong columns). */
  static async load(registry: ModelRegistry, definitionsHash: string): Promise<Champions> {
    const champions = await registry.list({ stage: 'champion' });
    const propensity = new Map<string, ServedGbdt>();
    const skipped: string[] = [];
    let churn: ServedGbdt | undefined;
    let prepayment: ServedGbdt | undefined;
    let cox: Champions['cox'];
    let segments: Champions['segments'];
    let clv: Champions['clv'];
    for (const s of champions) {
      const r = (await registry.get(s.id))!;
      const featureBound = r.kind === 'gbdt' || r.kind === 'cox' || r.kind === 'kmeans';
      if (featureBound && r.definitionsHash !== definitionsHash) {
        skipped.push(r.id);
        continue;
      }
      if (r.name.startsWith('propensity_')) propensity.set(r.name.slice('propensity_'.length), served(r));
      else if (r.name === 'churn_90d') churn = served(r);
      else if (r.name === 'prepayment_90d') prepayment = served(r);
      else if (r.name === 'churn_cox') cox = { id: r.id, artefact: r.artefact as CoxArtefact };
      else if (r.name === 'segments') segments = { id: r.id, artefact: r.artefact as SegmentArtefact };
      else if (r.name === 'clv') clv = { id: r.id, artefact: r.artefact as ClvArtefact };
    }
    return new Champions(propensity, churn, prepayment, cox, segments, clv, skipped);
  }

  /** The model ids in service. */
  get versions(): string[] {
    return [...[...this.propensity.values()].map((m) => m.version), this.churn?.version, this.prepayment?.version, this.cox?.id, this.segments?.id, this.clv?.id].filter((v): v is string => v !== undefined).sort();
  }

  /**
   * Scores one profile. `cardPayments` (the customer's card_payment events) feed the CLV model; `now` is epoch ms.
   * With `propensities: false` the family propensities are left out (decisions score them per action themselves).
   */
  score(values: FeatureLookup, names: readonly string[], now: number, cardPayments: readonly StoredEvent[] = [], o: { propensities?: boolean } = {}): ProfileScores {
    const known = new Set(names);
    const row = (m: ServedGbdt) => Float64Array.from(m.model.featureNames, (n) => (known.has(n) ? values(n) : Number.NaN));
    const propensities: ProfileScores['propensities'] = {};
    if (o.propensities !== false) for (const [family, m] of [...this.propensity].sort((a, b) => a[0].localeCompare(b[0]))) propensities[family] = { probability: round(m.score(row(m))), model: m.version };
    let churn: ProfileScores['churn'] = null;
    if (this.churn) churn = { probability: round(this.churn.score(row(this.churn))), horizonDays: 90, model: this.churn.version };
    if (this.cox) {
      const risks = riskAtHorizons({ beta: this.cox.artefact.beta, means: this.cox.artefact.means, baseline: this.cox.artefact.baseline }, coxRow(this.cox.artefact, values), [30, 90, 365]);
      // Past the longest follow-up the baseline hazard is unknown (flat), not zero: such horizons get null.
      const maxTime = Math.max(0, ...this.cox.artefact.baseline.map((b) => b.time[b.time.length - 1] ?? 0));
      const survival = risks.map((r) => ({ horizonDays: r.horizon, risk: r.horizon <= maxTime ? round(r.risk) : null }));
      const at90 = round(risks[1]!.risk);
      churn = churn ? { ...churn, survival, survivalModel: this.cox.id } : { probability: at90, horizonDays: 90, model: this.cox.id, survival, survivalModel: this.cox.id };
    }
    return {
      segment: this.segments ? assignSegment(this.segments.id, this.segments.artefact, values) : null,
      churn,
      prepayment: this.prepayment ? { probability: round(this.prepayment.score(row(this.prepayment))), horizonDays: 90, model: this.prepayment.version } : null,
      clv: this.clv ? customerValue(this.clv.id, this.clv.artefact, cardPayments, now) : null,
      stress: stressOf(values),
      propensities,
    };
  }
}

const round = (x: number) => Number(x.toPrecision(6));

function assignSegment(id: string, a: SegmentArtefact, values: FeatureLookup): ProfileScores['segment'] {
  const z = a.columns.map((c, j) => {
    const v = values(c);
    const x = Number.isFinite(v) ? v : a.fills[j]!;
    return (Math.sign(x) * Math.log1p(Math.abs(x)) - a.mean[j]!) / a.sd[j]!;
  });
  const d = z.length;
  let best = 0;
  let bestDist = Number.POSITIVE_INFINITY;
  for (let k = 0; k < a.names.length; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (z[j]! - a.centresZ[k * d + j]!) ** 2;
    if (s < bestDist) {
      bestDist = s;
      best = k;
    }
  }
  return { id: best, name: a.names[best]!, model: id };
}

function customerValue(id: string, a: ClvArtefact, payments: readonly StoredEvent[], now: number): ProfileScores['clv'] {
  const endDay = Math.floor(now / DAY_MS);
  const days = payments.map((e) => Math.floor(e.t / DAY_MS)).filter((d) => d <= endDay);
  if (days.length === 0) return { value: 0, probabilityAlive: 0, expectedPurchaseDays: 0, currency: 'GBP', horizonMonths: a.periods, model: id };
  const values = payments.map((e) => Math.abs((e.event as { payload: { amount: { minor: number } } }).payload.amount.minor) / 100);
  const s = summarizeTransactions({ customerId: days.map(() => 'c'), day: days, value: values.slice(0, days.length) }, endDay, a.periodDays);
  if (!(s.T[0]! > 0)) return { value: 0, probabilityAlive: 1, expectedPurchaseDays: 0, currency: 'GBP', horizonMonths: a.periods, model: id };
  const v = predictCustomerValue(a.bgnbd, a.gammaGamma ?? undefined, s, { periods: a.periods, periodLength: 30.4375 / a.periodDays, discountRate: a.discountRate })[0]!;
  const value = Number.isFinite(v.lifetimeValue) ? v.lifetimeValue * a.marginShare : 0;
  return { value: Math.round(value * 100) / 100, probabilityAlive: round(v.probabilityAlive), expectedPurchaseDays: round(v.expectedPurchases), currency: 'GBP', horizonMonths: a.periods, model: id };
}

/**
 * Financial stress from the profile through the stress-state rules of models/markov: missed
 * repayments stand in for days past due (30 a miss), overdrawn days for limit use.
 */
function stressOf(values: FeatureLookup): ProfileScores['stress'] {
  const f = (n: string) => (Number.isFinite(values(n)) ? values(n) : 0);
  const missed = f('loan_repayments_missed_365d');
  const late = f('loan_repayments_late_365d');
  const overdrawnShare = f('overdraft_days_90d') / 90;
  const hardship = f('hardship_contacts_365d');
  const state = stressState({ daysPastDue: Math.min(missed, 3) * 30 + (late > 0 ? 1 : 0), limitUtilisation: Math.max(overdrawnShare * 1.8, hardship > 0 ? 0.9 : 0), defaulted: false });
  return { state, basis: `missed repayments ${missed}, late ${late}, overdrawn ${Math.round(overdrawnShare * 90)} of 90 days, hardship contacts ${hardship}` };
}
