import type { Customer } from '../core/customer.js';
import { VulnerabilityFlag } from '../core/customer.js';
import { ConsentPurpose } from '../core/events.js';
import { ACTION_FAMILIES, HOLD, OFFER_CHANNELS, holdingNames, type ActionFamily } from './offers.js';
import { CHANNEL_AFFINITY, P, PERSONA_PARAMS, PERSONAS, RISK_CDF, SOPHISTICATION_CDF, STRESS0_CDF, cdf, drawIndex } from './personas.js';
import type { Scenario } from './scenario.js';
import { mixVector } from './scenario.js';
import { Stream, seedStates } from './stream.js';

/** Stream numbers for deriveSeed: each purpose draws from its own stream. */
export const STREAM = { profile: 1, behaviour: 2, response: 3, faults: 4, policy: 5, drift: 6 } as const;

export const REGIONS = ['London', 'South East', 'South West', 'East of England', 'West Midlands', 'East Midlands', 'North West', 'North East', 'Yorkshire', 'Wales', 'Scotland', 'Northern Ireland'] as const;
const REGION_CDF = cdf([13, 14, 8.5, 9.5, 9, 7.5, 11, 4, 8.2, 4.7, 8.2, 2.8]);
export const AGE_BANDS = ['18_24', '25_34', '35_44', '45_54', '55_64', '65_plus'] as const;
export const INCOME_BANDS = ['under_18k', '18k_30k', '30k_48k', '48k_72k', 'over_72k'] as const;
export const RISK = ['none', 'low', 'medium', 'high'] as const;
export const SOPHISTICATION = ['novice', 'intermediate', 'experienced'] as const;
export const STRESS_STATES = ['healthy', 'stretched', 'distressed'] as const;
const VULN = VulnerabilityFlag.options;
const CONSENTS = ConsentPurpose.options;
const CONSENT_P = [0.72, 0.8, 0.66, 0.1, 0.3];
/** A consent's bit in `Population.consents` (its place in ConsentPurpose). */
export const CONSENT_BIT = Object.fromEntries(CONSENTS.map((c, k) => [c, 1 << k])) as Record<(typeof CONSENTS)[number], number>;

export const ageBand = (age: number): number => (age < 25 ? 0 : age < 35 ? 1 : age < 45 ? 2 : age < 55 ? 3 : age < 65 ? 4 : 5);
export const incomeBand = (monthly: number): number => (monthly < 1500 ? 0 : monthly < 2500 ? 1 : monthly < 4000 ? 2 : monthly < 6000 ? 3 : 4);

/**
 * The state of every customer, one typed array per field (a million customers in about
 * 150 MB): profile, balances in pence, hidden state and the observable summaries the
 * closed loop shows to a policy.
 */
export class Population {
  readonly n: number;
  // profile
  readonly primary: Uint8Array;
  readonly secondary: Uint8Array;
  readonly weight: Float32Array;
  readonly age: Uint8Array;
  readonly sex: Uint8Array;
  readonly region: Uint8Array;
  readonly risk: Uint8Array;
  readonly sophistication: Uint8Array;
  readonly vulnerability: Uint8Array;
  readonly preferred: Uint8Array;
  readonly consents: Uint8Array;
  readonly holdings: Uint16Array;
  readonly income: Float32Array;
  readonly salaryDay: Uint8Array;
  readonly tenureDays: Uint16Array;
  /** Days between the last birthday and the start date (fixes the date of birth). */
  readonly birthdayOffset: Uint16Array;
  /** Holdings, vulnerability and consents at the start: the customer record reports these. */
  readonly openingHoldings: Uint16Array;
  readonly openingVulnerability: Uint8Array;
  readonly openingConsents: Uint8Array;
  // money, in pence
  readonly current: Float64Array;
  readonly savings: Float64Array;
  readonly card: Float64Array;
  readonly loan: Float64Array;
  readonly loanPay: Float64Array;
  readonly mortgage: Float64Array;
  readonly mortgagePay: Float64Array;
  readonly invested: Float64Array;
  // hidden state
  readonly engagement: Float32Array;
  readonly stress: Uint8Array;
  readonly leaveDay: Int16Array;
  readonly leaveLength: Uint8Array;
  readonly churnDay: Int16Array;
  readonly fatigue: Float32Array;
  readonly lastContact: Int16Array;
  readonly lifeKind: Uint8Array;
  readonly lifeDay: Int16Array;
  readonly retainedUntil: Int16Array;
  readonly guidedUntil: Int16Array;
  readonly refinancedUntil: Int16Array;
  readonly retired: Uint8Array;
  // observable summaries, decayed with a 30-day half-life
  readonly spend30: Float32Array;
  readonly abroad30: Float32Array;
  readonly logins30: Float32Array;
  readonly competitorOut30: Float32Array;
  readonly missed90: Float32Array;
  readonly complaints90: Float32Array;
  readonly late90: Float32Array;
  readonly hardship90: Float32Array;
  /** Days that ended with the current account overdrawn (90-day half-life). */
  readonly overdrawn90: Float32Array;
  /** Days of the latest missed and late repayment and hardship contact (-1000: none yet). */
  readonly lastMissedDay: Int16Array;
  readonly lastLateDay: Int16Array;
  readonly lastHardshipDay: Int16Array;
  readonly lastSalary: Float32Array;
  readonly lastSalaryDay: Int16Array;
  // streams and counters
  readonly behaviourState: Uint32Array;
  readonly responseState: Uint32Array;
  readonly eventCounter: Uint32Array;

  constructor(n: number, seed: number) {
    this.n = n;
    const u8 = () => new Uint8Array(n);
    const f32 = () => new Float32Array(n);
    const f64 = () => new Float64Array(n);
    const i16 = (fill: number) => new Int16Array(n).fill(fill);
    this.primary = u8();
    this.secondary = u8();
    this.weight = f32();
    this.age = u8();
    this.sex = u8();
    this.region = u8();
    this.risk = u8();
    this.sophistication = u8();
    this.vulnerability = u8();
    this.preferred = u8();
    this.consents = u8();
    this.holdings = new Uint16Array(n);
    this.income = f32();
    this.salaryDay = u8();
    this.tenureDays = new Uint16Array(n);
    this.birthdayOffset = new Uint16Array(n);
    this.openingHoldings = new Uint16Array(n);
    this.openingVulnerability = u8();
    this.openingConsents = u8();
    this.current = f64();
    this.savings = f64();
    this.card = f64();
    this.loan = f64();
    this.loanPay = f64();
    this.mortgage = f64();
    this.mortgagePay = f64();
    this.invested = f64();
    this.engagement = f32();
    this.stress = u8();
    this.leaveDay = i16(-1);
    this.leaveLength = u8();
    this.churnDay = i16(-1);
    this.fatigue = f32();
    this.lastContact = i16(-1000);
    this.lifeKind = u8();
    this.lifeDay = i16(-1000);
    this.retainedUntil = i16(-1);
    this.guidedUntil = i16(-1);
    this.refinancedUntil = i16(-1);
    this.retired = u8();
    this.spend30 = f32();
    this.abroad30 = f32();
    this.logins30 = f32();
    this.competitorOut30 = f32();
    this.missed90 = f32();
    this.complaints90 = f32();
    this.late90 = f32();
    this.hardship90 = f32();
    this.overdrawn90 = f32();
    this.lastMissedDay = i16(-1000);
    this.lastLateDay = i16(-1000);
    this.lastHardshipDay = i16(-1000);
    this.lastSalary = f32();
    this.lastSalaryDay = i16(-1000);
    this.behaviourState = seedStates(seed, STREAM.behaviour, n);
    this.responseState = seedStates(seed, STREAM.response, n);
    this.eventCounter = new Uint32Array(n);
  }

  /** The customer id the events carry. */
  static id(i: number): string {
    return `c${String(i + 1).padStart(7, '0')}`;
  }

  /**
   * Scenario product response: a multiplier per (persona, family), PERSONAS-major; null
   * when the scenario sets none (every multiplier 1).
   */
  response: Float64Array | null = null;

  /** The blended product-response multiplier of customer i for an action family. */
  responseMultiplier(i: number, family: number): number {
    const r = this.response;
    if (r === null) return 1;
    const w = this.weight[i]!;
    const nf = r.length / PERSONAS.length;
    return w * r[this.primary[i]! * nf + family]! + (1 - w) * r[this.secondary[i]! * nf + family]!;
  }

  /** The blend of a per-persona number for customer i. */
  mix(i: number, values: ArrayLike<number>): number {
    const w = this.weight[i]!;
    return w * values[this.primary[i]!]! + (1 - w) * values[this.secondary[i]!]!;
  }

  /** Draws every customer's profile and opening position from the scenario. */
  static create(scenario: Scenario): Population {
    const pop = new Population(scenario.customers, scenario.seed);
    const mixCdf = cdf(Array.from(mixVector(scenario.personaMix)));
    const anyCdf = cdf(PERSONAS.map(() => 1));
    const rng = new Stream();
    const states = seedStates(scenario.seed, STREAM.profile, scenario.customers);
    for (let i = 0; i < pop.n; i++) {
      rng.s = states[i]!;
      pop.initCustomer(i, rng, mixCdf, anyCdf, scenario.personaBlend);
    }
    pop.response = responseTable(scenario.response);
    return pop;
  }

  private initCustomer(i: number, rng: Stream, mixCdf: Float64Array, anyCdf: Float64Array, blend: number): void {
    const p = drawIndex(mixCdf, rng.next());
    const s = drawIndex(anyCdf, rng.next());
    this.primary[i] = p;
    this.secondary[i] = s;
    // Beta-like weight of the second persona with mean `blend`.
    this.weight[i] = s === p || blend === 0 ? 1 : 1 - Math.min(0.5, blend * 2 * rng.next());
    const pp = PERSONA_PARAMS[p]!;
    const age = pp.age[0] + Math.floor(rng.next() * (pp.age[1] - pp.age[0] + 1));
    this.age[i] = age;
    this.retired[i] = age >= 66 ? 1 : 0;
    this.sex[i] = rng.next() < 0.51 ? 0 : 1;
    this.region[i] = drawIndex(REGION_CDF, rng.next());
    this.risk[i] = drawIndex(RISK_CDF[p]!, rng.next());
    this.sophistication[i] = drawIndex(SOPHISTICATION_CDF[p]!, rng.next());
    const income = rng.lognormal(this.mix(i, P.income), pp.income[1]);
    this.income[i] = Math.round(income);
    this.salaryDay[i] = 1 + Math.floor(rng.next() * 28);
    this.tenureDays[i] = Math.floor(rng.next() * Math.max(1, (age - 17) * 365 * 0.6));
    const idleFloor = p === 2 ? 1_000_000 : 0; // cash-rich savers start with at least £10,000 idle
    const current = rng.lognormal(this.mix(i, P.current), 0.6) * 100;
    const savings = rng.next() < pp.hold.savings ? rng.lognormal(this.mix(i, P.savings), 0.7) * 100 : 0;
    this.current[i] = Math.round(current);
    this.savings[i] = Math.round(Math.max(savings, idleFloor - current));
    let holdings = HOLD.current_account;
    if (this.savings[i]! > 0) holdings |= HOLD.savings;
    if (rng.next() < pp.hold.credit_card) {
      holdings |= HOLD.credit_card;
      this.card[i] = -Math.round(rng.lognormal(600, 0.8) * 100);
    }
    if (rng.next() < pp.hold.personal_loan) {
      holdings |= HOLD.personal_loan;
      this.loan[i] = Math.round(rng.lognormal(7000, 0.6) * 100);
      this.loanPay[i] = Math.round(this.loan[i]! / (12 + Math.floor(rng.next() * 48)));
    }
    if (rng.next() < pp.hold.mortgage && age >= 22) {
      holdings |= HOLD.mortgage;
      this.mortgage[i] = Math.round(rng.lognormal(160_000, 0.5) * 100);
      this.mortgagePay[i] = Math.round(this.mortgage[i]! * 0.0055);
    }
    if (rng.next() < pp.hold.isa) {
      holdings |= HOLD.isa;
      this.invested[i] = Math.round(rng.lognormal(8000, 0.8) * 100);
    }
    if (rng.next() < pp.hold.pension) holdings |= HOLD.pension;
    const stress = drawIndex(STRESS0_CDF[p]!, rng.next());
    this.stress[i] = stress;
    if (this.current[i]! < 50_000 && rng.next() < (stress > 0 ? 0.8 : 0.1)) this.current[i] = -Math.round(rng.next() * 80_000);
    if (this.current[i]! < 0) holdings |= HOLD.overdraft;
    this.holdings[i] = holdings;
    this.engagement[i] = Math.min(1, Math.max(0.05, 0.65 + 0.18 * rng.normal()));
    let vuln = 0;
    if (rng.next() < (p === 5 ? 0.15 : 0.04)) vuln |= 1 << 0; // health
    if (rng.next() < 0.03) vuln |= 1 << 1; // life_event
    if (rng.next() < (p === 4 ? 0.5 : 0.08)) vuln |= 1 << 2; // low_resilience
    if (this.sophistication[i] === 0 && rng.next() < 0.12) vuln |= 1 << 3; // low_capability
    if (rng.next() < 0.01) vuln |= 1 << 4; // bereavement
    if (stress === 2 && rng.next() < 0.6) vuln |= 1 << 5; // financial_difficulty
    this.vulnerability[i] = vuln;
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < OFFER_CHANNELS.length; c++) {
      const score = this.mix(i, CHANNEL_AFFINITY[c]!) + 0.6 * rng.normal();
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    this.preferred[i] = best;
    let consents = 0;
    for (let k = 0; k < CONSENT_P.length; k++) if (rng.next() < CONSENT_P[k]!) consents |= 1 << k;
    this.consents[i] = consents;
    this.birthdayOffset[i] = Math.floor(rng.next() * 365);
    this.openingHoldings[i] = this.holdings[i]!;
    this.openingVulnerability[i] = vuln;
    this.openingConsents[i] = consents;
  }

  /** The customer record (what the bank's CRM holds) as of the start date; the same whenever it is asked. */
  customerRecord(i: number, startDate: string): Customer {
    const start = Date.parse(`${startDate}T00:00:00Z`);
    const age = this.age[i]!;
    const dob = new Date(start - (Math.floor(age * 365.25) + this.birthdayOffset[i]!) * 86_400_000).toISOString().slice(0, 10);
    const since = new Date(start - this.tenureDays[i]! * 86_400_000).toISOString().slice(0, 10);
    const consents: Partial<Record<(typeof CONSENTS)[number], boolean>> = {};
    CONSENTS.forEach((c, k) => (consents[c] = (this.openingConsents[i]! & (1 << k)) !== 0));
    return {
      customerId: Population.id(i),
      dateOfBirth: dob,
      region: REGIONS[this.region[i]!]!,
      country: 'GB',
      timeZone: 'Europe/London',
      riskTolerance: RISK[this.risk[i]!]!,
      financialSophistication: SOPHISTICATION[this.sophistication[i]!]!,
      vulnerabilityFlags: VULN.filter((_, k) => (this.openingVulnerability[i]! & (1 << k)) !== 0),
      preferredChannel: OFFER_CHANNELS[this.preferred[i]!]!,
      residentInCountry: true,
      customerSince: since,
      holdings: holdingNames(this.openingHoldings[i]!),
      consents,
      attributes: { sex: this.sex[i] === 0 ? 'female' : 'male', age_band: AGE_BANDS[ageBand(age)]!, income_band: INCOME_BANDS[incomeBand(this.income[i]!)]! },
    };
  }
}

/** The scenario's product response as a persona × family table (null when it sets none). */
export function responseTable(response: Scenario['response']): Float64Array | null {
  const entries = Object.entries(response);
  if (entries.length === 0) return null;
  const table = new Float64Array(PERSONAS.length * ACTION_FAMILIES.length).fill(1);
  for (const [family, byPersona] of entries) {
    const f = ACTION_FAMILIES.indexOf(family as ActionFamily);
    PERSONAS.forEach((persona, p) => {
      const m = byPersona?.[persona] ?? byPersona?.all;
      if (m !== undefined) table[p * ACTION_FAMILIES.length + f] = m;
    });
  }
  return table;
}
