/**
 * How strategies are scored against each other in the twin. The oracle's yardstick counts
 * the value of every accepted offer, so a policy that contacts more customers more often can
 * top it by volume alone: the twin books a savings or guidance take-up again each time it is
 * repeated, though the customer already has the product or the help. The fairer figures
 * beside it divide by the offers made, and count each customer's first suitable take-up of a
 * family once, less the cost of every contact and of every unsuitable sale. Both are
 * reported: neither hides the other.
 */
import { CHANNELS } from '../core/channels.js';
import { ACCEPT_REVENUE, ACTION_FAMILIES, FAMILY, type ActionFamily, type OfferChannel } from './offers.js';
import type { PolicyReport } from './closedLoop.js';

/** Value of an accepted offer as the oracle counts it: revenue, the margin kept by retaining a leaver, guidance at £40. */
export function acceptedValue(family: ActionFamily, leaving: boolean): number {
  if (family === 'retention') return leaving ? 400 : 5;
  if (family === 'guidance') return 40;
  if (family === 'service_message') return 0;
  return ACCEPT_REVENUE[FAMILY[family]]!;
}

/**
 * What one contact costs, by channel (GBP, an assumption kept with the channel in
 * core/channels.ts): delivery plus the customer's attention for the digital channels, agent
 * or staff time for the call centre and branch. The twin's own fatigue effects (lower
 * take-up, churn) come on top.
 */
export const CONTACT_COST_GBP: Readonly<Record<OfferChannel, number>> = Object.fromEntries(CHANNELS.map((c) => [c.name, c.contactCostGbp])) as Record<OfferChannel, number>;

/**
 * What an unsuitable sale costs (GBP, an assumption): complaint handling and redress, of the
 * order of an ombudsman case fee. The value it booked does not count either.
 */
export const HARM_COST_GBP = 650;

export interface TwinComparison extends PolicyReport {
  /** Sum over accepted offers of `acceptedValue`: the oracle's own yardstick (rewards volume). */
  acceptedValueGBP: number;
  /** acceptedValueGBP / offersShown. */
  valuePerOfferGBP: number;
  /** Accepted offers of a family the customer had already accepted earlier in the run. */
  repeatAccepted: number;
  /** `acceptedValue` of each customer's first take-up of a family in the run, when it was suitable. */
  firstTakeUpValueGBP: number;
  /** `firstTakeUpValueGBP` by family: where a policy's value comes from. */
  firstTakeUpValueByFamily: Record<ActionFamily, number>;
  /** HARM_COST_GBP for each unsuitable take-up. */
  harmCostGBP: number;
  /** Sum of CONTACT_COST_GBP over the offers shown. */
  contactCostGBP: number;
  /** firstTakeUpValueGBP − harmCostGBP − contactCostGBP: the fairer figure. */
  netValueGBP: number;
}

/** Tallies one policy's offers against the yardstick while the loop runs. */
export class Yardstick {
  private value = 0;
  private harmCost = 0;
  private contactCost = 0;
  private repeats = 0;
  private firstValue = 0;
  private readonly firstByFamily = Object.fromEntries(ACTION_FAMILIES.map((f) => [f, 0])) as Record<ActionFamily, number>;
  private readonly taken = new Set<string>();

  /** An offer shown on a channel. */
  shown(channel: OfferChannel): void {
    this.contactCost += CONTACT_COST_GBP[channel];
  }

  /** An offer accepted: its value, and its cost when it was unsuitable. */
  accepted(customerId: string, family: ActionFamily, leaving: boolean, suitable: boolean): void {
    const v = acceptedValue(family, leaving);
    this.value += v;
    if (!suitable) this.harmCost += HARM_COST_GBP;
    const key = `${customerId}|${family}`;
    if (this.taken.has(key)) this.repeats++;
    else {
      this.taken.add(key);
      if (suitable) {
        this.firstValue += v;
        this.firstByFamily[family] += v;
      }
    }
  }

  /** The report with the yardstick's figures added. */
  report(r: PolicyReport): TwinComparison {
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      ...r,
      acceptedValueGBP: this.value,
      valuePerOfferGBP: round(r.offersShown > 0 ? this.value / r.offersShown : 0),
      repeatAccepted: this.repeats,
      firstTakeUpValueGBP: this.firstValue,
      firstTakeUpValueByFamily: { ...this.firstByFamily },
      harmCostGBP: this.harmCost,
      contactCostGBP: round(this.contactCost),
      netValueGBP: round(this.firstValue - this.harmCost - this.contactCost),
    };
  }
}

/** The goal an engine must meet against the reference arms on one scenario and seed. */
export const GOAL = { netVsValueOracle: 0.9, acceptedVsRandom: 2, harmVsRules: 1 / 3, churnVsRules: 1 } as const;

/** One policy's line of the yardstick, with its ratios to the reference arms (null: that arm did not run, or it is 0). */
export interface YardstickRow {
  policy: string;
  /** The oracle's volume figure: the value of every accepted offer. */
  acceptedValueGBP: number;
  /** First suitable take-ups less contact and harm costs. */
  netValueGBP: number;
  contactsPerCustomer: number;
  churnRate: number;
  /** Unsuitable take-ups. */
  harm: number;
  acceptanceRate: number;
  netVsValueOracle: number | null;
  acceptedVsRandom: number | null;
  harmVsRules: number | null;
  churnVsRules: number | null;
}

export interface GoalCheck {
  policy: string;
  netVsValueOracle: boolean | null;
  acceptedVsRandom: boolean | null;
  harmVsRules: boolean | null;
  churnVsRules: boolean | null;
  /** Every part met (false when a reference arm is missing). */
  met: boolean;
}

export interface YardstickSummary {
  rows: YardstickRow[];
  /** The goal checked for every arm that is not a reference policy (the engine). */
  goal: GoalCheck[];
}

const REFERENCE_ARMS = new Set(['random', 'rules', 'oracle', 'oracle-value', 'no-contact']);

/**
 * The yardstick: each arm's accepted value, net value, contacts, churn, harm and acceptance,
 * and its ratios to the value oracle (net), random (accepted value) and rules (harm, churn).
 * The CLI's table, its JSON and the README figures all come from this one function.
 */
export function summariseComparison(reports: readonly TwinComparison[]): YardstickSummary {
  const arm = (name: string) => reports.find((r) => r.policy === name);
  const ratio = (x: number, of: number | undefined) => (of === undefined || of === 0 ? null : Math.round((x / of) * 1000) / 1000);
  const valueOracle = arm('oracle-value');
  const random = arm('random');
  const rules = arm('rules');
  const rows = reports.map((r): YardstickRow => ({
    policy: r.policy,
    acceptedValueGBP: r.acceptedValueGBP,
    netValueGBP: r.netValueGBP,
    contactsPerCustomer: r.contactsPerCustomer,
    churnRate: r.churnRate,
    harm: r.harm,
    acceptanceRate: r.acceptanceRate,
    netVsValueOracle: ratio(r.netValueGBP, valueOracle?.netValueGBP),
    acceptedVsRandom: ratio(r.acceptedValueGBP, random?.acceptedValueGBP),
    // Harm and churn against rules: a rules arm with no harm makes any harm infinitely worse.
    harmVsRules: rules && rules.harm === 0 ? (r.harm === 0 ? 0 : null) : ratio(r.harm, rules?.harm),
    churnVsRules: ratio(r.churnRate, rules?.churnRate),
  }));
  const at = (x: number | null, ok: (x: number) => boolean) => (x === null ? null : ok(x));
  const goal = rows
    .filter((r) => !REFERENCE_ARMS.has(r.policy))
    .map((r): GoalCheck => {
      const check = {
        policy: r.policy,
        netVsValueOracle: at(r.netVsValueOracle, (x) => x >= GOAL.netVsValueOracle),
        acceptedVsRandom: at(r.acceptedVsRandom, (x) => x >= GOAL.acceptedVsRandom),
        harmVsRules: rules === undefined ? null : rules.harm === 0 ? r.harm === 0 : r.harm <= GOAL.harmVsRules * rules.harm,
        churnVsRules: rules === undefined ? null : r.churnRate <= GOAL.churnVsRules * rules.churnRate,
      };
      return { ...check, met: check.netVsValueOracle === true && check.acceptedVsRandom === true && check.harmVsRules === true && check.churnVsRules === true };
    });
  return { rows, goal };
}

/** The yardstick as a fixed-width table, one line per policy (the CLI and the demo print it). */
export function yardstickTable(summary: YardstickSummary): string[] {
  const gbp = (x: number) => `${x < 0 ? '-' : ''}£${Math.abs(Math.round(x)).toLocaleString('en-GB')}`;
  const times = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)}×`);
  const head = ['policy', 'accepted value', 'net value', 'contacts/cust', 'churn', 'harm', 'accept', 'net/oracle-value', 'accepted/random', 'harm/rules', 'churn/rules'];
  const rows = summary.rows.map((r) => [
    r.policy,
    gbp(r.acceptedValueGBP),
    gbp(r.netValueGBP),
    r.contactsPerCustomer.toFixed(2),
    `${(100 * r.churnRate).toFixed(2)}%`,
    String(r.harm),
    `${(100 * r.acceptanceRate).toFixed(1)}%`,
    times(r.netVsValueOracle),
    times(r.acceptedVsRandom),
    times(r.harmVsRules),
    times(r.churnVsRules),
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length)));
  const line = (cells: string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  const mark = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'met' : 'missed');
  const goals = summary.goal.map(
    (g) =>
      `goal (${g.policy}): net ≥ ${GOAL.netVsValueOracle}× value oracle ${mark(g.netVsValueOracle)}; accepted ≥ ${GOAL.acceptedVsRandom}× random ${mark(g.acceptedVsRandom)}; ` +
      `harm ≤ rules/3 ${mark(g.harmVsRules)}; churn ≤ rules ${mark(g.churnVsRules)}`,
  );
  return [line(head), ...rows.map(line), ...goals];
}

/** The comparison of twin reports as the yardstick table (the demo prints it). */
export function comparisonTable(reports: readonly TwinComparison[]): string[] {
  return yardstickTable(summariseComparison(reports));
}
