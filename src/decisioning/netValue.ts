/**
 * Expected net value: what arbitration ranks on. A contact is worth making only when the
 * value it is expected to bring beats what it costs: the channel's cost, the customer's
 * growing fatigue with contacts, and the expected cost of harm when the product may not
 * suit the customer. "No action" is worth £0, so an action with a net value at or below
 * zero loses to it. Pure functions of the decision's inputs.
 */
import { channelDefinition } from '../core/channels.js';
import { MS_PER_DAY as DAY_MS } from '../core/clock.js';
import { evaluateNumber } from '../rules/index.js';
import type { Catalogue } from './catalogue.js';
import type { CompiledAction, CompiledCatalogue } from './compile.js';
import type { DecisionInputs } from './trace.js';

/** Whose contact budget an action spends: service messages are outside the marketing budget. */
export type Budget = 'marketing' | 'service';

/** The budget of an action: service-purpose actions are service, everything else is marketing. */
export const budgetOf = (a: { purpose: string }): Budget => (a.purpose === 'service' ? 'service' : 'marketing');

/** The parts of one decision that every action's net value shares. */
export interface NetValueScope {
  /** The customer's lifetime value from the catalogue's `arbitration.clv`, or undefined (then each action's amountGbp). */
  clv: number | undefined;
  /** The customer's churn risk (0..1) from `arbitration.churnRisk`, or 0 when unknown. */
  churnRisk: number;
  /** The chance a customer who takes a retention action up was leaving (`arbitration.leavingGivenTakeUp`), or undefined (then churnRisk). */
  leavingGivenTakeUp: number | undefined;
  contactCostGbp: number;
  /** Contacts in each budget within the fatigue window. */
  recent: Record<Budget, number>;
  stressed: boolean;
  /** The chance of harm the record cannot show yet (`arbitration.harm.unseen`), 0 when not set. */
  unseenHarm: number;
}

/** Works out what the decision's actions share: CLV, churn risk, channel cost, recent contacts by budget. */
export function netValueScope(cat: CompiledCatalogue, inputs: DecisionInputs, vars: Record<string, unknown>, signals: Record<string, boolean>, channel: string, now: number): NetValueScope {
  const arb = cat.catalogue.arbitration;
  const clvRaw = cat.arbitration.clv ? evaluateNumber(cat.arbitration.clv, vars) : Number.NaN;
  const churnRaw = cat.arbitration.churnRisk ? evaluateNumber(cat.arbitration.churnRisk, vars) : Number.NaN;
  const leavingRaw = cat.arbitration.leavingGivenTakeUp ? evaluateNumber(cat.arbitration.leavingGivenTakeUp, vars) : Number.NaN;
  const unseenRaw = cat.arbitration.unseenHarm ? evaluateNumber(cat.arbitration.unseenHarm, vars) : Number.NaN;
  const since = now - arb.fatigueWindowDays * DAY_MS;
  const recent: Record<Budget, number> = { marketing: 0, service: 0 };
  for (const c of inputs.history.contacts) {
    if (c.at <= since || c.at > now) continue;
    // An action no longer in the catalogue counts as marketing: the stricter budget.
    const a = cat.byId.get(c.actionId);
    recent[a ? budgetOf(a.action) : 'marketing']++;
  }
  return {
    clv: clvRaw >= 0 ? clvRaw : undefined,
    churnRisk: churnRaw >= 0 ? Math.min(1, churnRaw) : 0,
    leavingGivenTakeUp: leavingRaw >= 0 ? Math.min(1, leavingRaw) : undefined,
    contactCostGbp: channelDefinition(channel)?.contactCostGbp ?? 0,
    recent,
    stressed: signals[arb.harm.stressSignal] === true,
    unseenHarm: unseenRaw > 0 ? Math.min(1, unseenRaw) : 0,
  };
}

/** One action's expected net value and its parts, as the trace records them. */
export interface NetValue {
  /** GBP the action brings if taken up: margin, CLV impact, or for retention CLV x its churn reduction x the chance a taker was leaving (else the churn risk). */
  value: number;
  valueSource: 'catalogue' | 'retention';
  /** propensity x context weight x value x lever x (1 − harmChance): an unsuitable take-up books nothing. */
  expectedValue: number;
  contactCost: number;
  fatigueCost: number;
  /** The chance taking it up harms the customer (unsuitable), and its expected cost: propensity x chance x harm cost. */
  harmChance: number;
  harmCost: number;
  budget: Budget;
  /** expectedValue − contactCost − fatigueCost − harmCost: the priority. */
  net: number;
}

/** The expected net value of an action in this decision. */
export function netValue(cat: Catalogue, a: CompiledAction, customer: DecisionInputs['customer'], s: NetValueScope, propensity: number, contextWeight: number, lever: number): NetValue {
  const arb = cat.arbitration;
  const v = a.action.value;
  let value: number;
  let valueSource: NetValue['valueSource'];
  if (v.model === 'retention') {
    // The propensity is the chance of a take-up, and take-up is concentrated among leavers: a
    // take-up is worth what keeping the customer is worth times the chance the taker was leaving.
    value = (s.clv ?? v.amountGbp) * (s.leavingGivenTakeUp ?? s.churnRisk) * v.churnReduction;
    valueSource = 'retention';
  } else {
    value = v.amountGbp;
    valueSource = 'catalogue';
  }
  const budget = budgetOf(a.action);
  const harmChance = harmChanceOf(arb.harm, a, customer, s);
  // An unsuitable sale is put right, so it books nothing: only the suitable share of take-ups brings value.
  const expectedValue = propensity * contextWeight * value * lever * (1 - harmChance);
  const harmCost = propensity * harmChance * arb.harm.costGbp;
  // This contact tires the customer too (it lowers take-up of whatever follows), so a
  // contact is charged for itself as well as for those before it in its budget: a message
  // worth little to anyone is not sent just because nothing else is worth sending.
  const fatigueCost = arb.fatigueGbpPerContact * (s.recent[budget] + 1);
  const net = expectedValue - s.contactCostGbp - fatigueCost - harmCost;
  return { value, valueSource, expectedValue, contactCost: s.contactCostGbp, fatigueCost, harmChance, harmCost, budget, net };
}

/** The chance a take-up is unsuitable: independent sources of harm (the action's own, stress (or the action's `stressHarm`), what the record cannot show yet, vulnerability, risk) combined (1 − Π(1 − p)). */
function harmChanceOf(h: Catalogue['arbitration']['harm'], a: CompiledAction, c: DecisionInputs['customer'], s: Pick<NetValueScope, 'stressed' | 'unseenHarm'>): number {
  // Guidance and service messages help; they are not products that can be mis-sold.
  if (a.action.purpose === 'service' || a.action.family === 'guidance' || a.action.family === 'service_message') return 0;
  let keep = 1 - (a.action.harmChance ?? 0);
  if (s.stressed) keep *= 1 - (a.action.stressHarm ?? h.stress);
  // Stress and a short record hurt where a product lends or puts money at risk; cash savings do not.
  const exposed = a.vars.credit || a.action.productRisk > 0;
  if (exposed) keep *= 1 - s.unseenHarm;
  if (c.vulnerable && exposed) keep *= 1 - h.vulnerable;
  if (a.action.productRisk > c.riskLevel && a.action.productRisk > 0) keep *= 1 - h.aboveRiskTolerance;
  return 1 - keep;
}
