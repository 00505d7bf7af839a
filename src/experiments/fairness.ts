/**
 * The decision-fairness report: for each action family and each group of a protected
 * attribute (age band; sex where customer records carry it, and the two together), how often the engine chose the
 * family for a customer and how often the customer accepted, with counts, Wilson intervals
 * and the four-fifths rule (Katz intervals, src/models/metrics). Exclusions the law or
 * product rules require (eligibility such as age limits, suitability such as no credit in
 * financial stress, consent) are counted apart, and the four-fifths rule is also run among
 * the customers no such rule excluded: what remains there is the disparity nothing explains.
 */
import { ageBand } from '../core/customer.js';
import type { StoredEvent } from '../core/events.js';
import { fourFifthsRule, type FourFifthsCheck } from '../models/metrics/fairness.js';
import { binomialInterval } from '../models/stats/index.js';

export { ageBand };

/** Exclusion kinds that law or product rules require; the others (channel, contact, volume, arbitration) are the engine's choices. */
export const REQUIRED_EXCLUSION_KINDS: ReadonlySet<string> = new Set(['eligibility', 'suitability', 'consent']);

/** The fields of a logged decision record the report reads. */
export interface FairnessDecision {
  customerId: string;
  decisionId: string;
  customer: { age: number; attributes: Record<string, string | number | boolean> };
  candidates: { actionId: string; family: string; excludedBy?: { kind: string; rule: string } | undefined }[];
  chosen: { actionId: string; family: string }[];
}

export interface GroupLine {
  group: string;
  customers: number;
  selected: number;
  selectionRate: number;
  selectionInterval: [number, number];
  /** Customers a required rule excluded from every action of the family in every decision. */
  requiredExclusions: number;
  /** The rules behind those exclusions, with how many customers each excluded. */
  requiredRules: Record<string, number>;
  accepted: number;
  /** Accepted among the selected. */
  acceptanceRate: number | null;
  acceptanceInterval: [number, number] | null;
}

export interface FamilyFairness {
  family: string;
  attribute: string;
  groups: GroupLine[];
  /** Four-fifths on selection among all customers (null: fewer than 2 groups, or nobody selected). */
  selection: FourFifthsCheck | null;
  /** Four-fifths on selection among customers no required rule excluded: the unexplained disparity. */
  selectionUnexplained: FourFifthsCheck | null;
  /** Four-fifths on acceptance among the selected. */
  acceptance: FourFifthsCheck | null;
}

export interface FairnessReport {
  customers: number;
  decisions: number;
  attributes: string[];
  families: FamilyFairness[];
  /** Lines where the unexplained selection ratio or the acceptance ratio is below 0.8. */
  alerts: { family: string; attribute: string; group: string; measure: 'selection' | 'acceptance'; ratio: number; interval: [number, number]; significant: boolean }[];
}

function check(counts: { group: string; n: number; selected: number }[]): FourFifthsCheck | null {
  const usable = counts.filter((c) => c.n > 0);
  if (usable.length < 2 || usable.every((c) => c.selected === 0)) return null;
  return fourFifthsRule(usable);
}

/** The report over the decisions given (one window) and the offer responses among the events. */
export function decisionFairness(decisions: readonly FairnessDecision[], events: readonly StoredEvent[]): FairnessReport {
  // One line per customer: their groups (at their latest decision) and, per family, what happened.
  interface PerFamily {
    selected: boolean;
    passedRequired: boolean;
    requiredRules: Set<string>;
    accepted: boolean;
  }
  const customers = new Map<string, { groups: Record<string, string>; families: Map<string, PerFamily> }>();
  const families = new Set<string>();
  const chosenIn = new Map<string, { customerId: string; families: Map<string, string> }>();
  for (const d of decisions) {
    const groups: Record<string, string> = { age_band: ageBand(d.customer.age) };
    const sex = d.customer.attributes.sex ?? d.customer.attributes.gender;
    if (typeof sex === 'string' && sex !== '') {
      groups.sex = sex;
      groups['age_band & sex'] = `${groups.age_band} & ${sex}`;
    }
    let c = customers.get(d.customerId);
    if (!c) customers.set(d.customerId, (c = { groups, families: new Map() }));
    else c.groups = groups;
    for (const t of d.candidates) {
      families.add(t.family);
      let f = c.families.get(t.family);
      if (!f) c.families.set(t.family, (f = { selected: false, passedRequired: false, requiredRules: new Set(), accepted: false }));
      if (t.excludedBy && REQUIRED_EXCLUSION_KINDS.has(t.excludedBy.kind)) f.requiredRules.add(t.excludedBy.rule);
      else f.passedRequired = true;
    }
    for (const a of d.chosen) c.families.get(a.family)!.selected = true;
    chosenIn.set(d.decisionId, { customerId: d.customerId, families: new Map(d.chosen.map((a) => [a.actionId, a.family])) });
  }
  for (const s of events) {
    const e = s.event;
    if (e.type !== 'offer_response' || e.payload.response !== 'accepted') continue;
    const d = chosenIn.get(e.payload.decisionId);
    const family = d?.families.get(e.payload.actionId);
    if (!d || d.customerId !== e.customerId || !family) continue;
    customers.get(d.customerId)!.families.get(family)!.accepted = true;
  }
  const attributes = ['age_band', ...([...customers.values()].some((c) => c.groups.sex !== undefined) ? ['sex', 'age_band & sex'] : [])];
  const out: FamilyFairness[] = [];
  const alerts: FairnessReport['alerts'] = [];
  for (const family of [...families].sort()) {
    for (const attribute of attributes) {
      const lines = new Map<string, GroupLine & { eligible: number; eligibleSelected: number }>();
      for (const c of customers.values()) {
        const group = c.groups[attribute] ?? 'unknown';
        const f = c.families.get(family);
        let g = lines.get(group);
        if (!g) lines.set(group, (g = { group, customers: 0, selected: 0, selectionRate: 0, selectionInterval: [0, 1], requiredExclusions: 0, requiredRules: {}, accepted: 0, acceptanceRate: null, acceptanceInterval: null, eligible: 0, eligibleSelected: 0 }));
        g.customers++;
        if (f?.selected) g.selected++;
        if (f?.selected && f.accepted) g.accepted++;
        if (f && !f.passedRequired) {
          g.requiredExclusions++;
          for (const r of f.requiredRules) g.requiredRules[r] = (g.requiredRules[r] ?? 0) + 1;
        } else {
          g.eligible++;
          if (f?.selected) g.eligibleSelected++;
        }
      }
      const groups = [...lines.values()].sort((a, b) => a.group.localeCompare(b.group));
      for (const g of groups) {
        g.selectionRate = g.selected / g.customers;
        g.selectionInterval = binomialInterval(g.selected, g.customers);
        if (g.selected > 0) {
          g.acceptanceRate = g.accepted / g.selected;
          g.acceptanceInterval = binomialInterval(g.accepted, g.selected);
        }
      }
      const selection = check(groups.map((g) => ({ group: g.group, n: g.customers, selected: g.selected })));
      const selectionUnexplained = check(groups.map((g) => ({ group: g.group, n: g.eligible, selected: g.eligibleSelected })));
      const acceptance = check(groups.map((g) => ({ group: g.group, n: g.selected, selected: g.accepted })));
      for (const [measure, c] of [['selection', selectionUnexplained], ['acceptance', acceptance]] as const) {
        for (const g of c?.groups ?? []) if (g.belowThreshold) alerts.push({ family, attribute, group: g.group, measure, ratio: g.ratio, interval: g.interval, significant: g.significantlyBelow });
      }
      out.push({ family, attribute, groups: groups.map(({ eligible: _e, eligibleSelected: _s, ...g }) => g), selection, selectionUnexplained, acceptance });
    }
  }
  return { customers: customers.size, decisions: decisions.length, attributes, families: out, alerts };
}
