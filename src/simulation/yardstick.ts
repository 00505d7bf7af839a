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
import { ACCEPT_REVENUE, FAMILY, type ActionFamily, type OfferChannel } from './offers.js';
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
      if (suitable) this.firstValue += v;
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
      harmCostGBP: this.harmCost,
      contactCostGBP: round(this.contactCost),
      netValueGBP: round(this.firstValue - this.harmCost - this.contactCost),
    };
  }
}

/** The comparison as a fixed-width table, one line per policy (the demo prints it). */
export function comparisonTable(reports: readonly TwinComparison[]): string[] {
  const gbp = (x: number) => `${x < 0 ? '-' : ''}£${Math.abs(Math.round(x)).toLocaleString('en-GB')}`;
  const head = ['policy', 'offers', 'per cust', 'accept', 'accepted value', 'per offer', 'harm', 'net value', 'churn'];
  const rows = reports.map((r) => [
    r.policy,
    r.offersShown.toLocaleString('en-GB'),
    r.contactsPerCustomer.toFixed(2),
    `${(100 * r.acceptanceRate).toFixed(1)}%`,
    gbp(r.acceptedValueGBP),
    `£${r.valuePerOfferGBP.toFixed(2)}`,
    String(r.harm),
    gbp(r.netValueGBP),
    `${(100 * r.churnRate).toFixed(2)}%`,
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length)));
  const line = (cells: string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  return [line(head), ...rows.map(line)];
}
