/**
 * Per-customer outcomes of an experiment, read from the log: who was exposed (a decision
 * tagged with the experiment), in which arm, from when, and what followed — offers accepted
 * and their value, logins before and after (engagement, with the before for CUPED), silent
 * churn, complaints, consent withdrawals and contacts (guardrails). Pure: the caller reads
 * the decision log and the event log.
 */
import type { StoredEvent } from '../core/events.js';

export const DAY_MS = 86_400_000;

/** A logged decision as the analysis needs it. */
export interface ExposureDecision {
  decisionId: string;
  customerId: string;
  decidedAt: number;
  experiment?: { experimentId: string; arm: string; heldOut: boolean } | undefined;
  /** The chosen actions with the value the catalogue gave them (candidate trace). */
  chosen: { actionId: string; family: string; value: number }[];
}

/** One exposed customer's outcomes over [exposedAt, until). */
export interface CustomerOutcome {
  customerId: string;
  arm: string;
  exposedAt: number;
  decisions: number;
  /** Decisions that chose something: contacts made. */
  contacts: number;
  offersAccepted: number;
  /** When the first offer was accepted (daily looks count only what was known by then). */
  firstAcceptedAt: number | null;
  /** Sum of the catalogue value of accepted offers. */
  value: number;
  loginsBefore: number;
  loginsAfter: number;
  complaints: number;
  consentWithdrawals: number;
  /** Days from exposure to the last activity when the customer went silent (churned), else to `until`. */
  survivalDays: number;
  churned: boolean;
}

export interface OutcomeOptions {
  experimentId: string;
  /** End of the observation window (epoch ms). */
  until: number;
  /** Days without any event that count as silent churn (default 30). */
  inactiveDays?: number;
  /** Pre-period for the CUPED covariate (default 28 days before exposure). */
  preDays?: number;
}

/** The outcomes of every customer exposed to the experiment; events may be in any order. */
export function customerOutcomes(decisions: readonly ExposureDecision[], events: readonly StoredEvent[], o: OutcomeOptions): CustomerOutcome[] {
  const inactive = (o.inactiveDays ?? 30) * DAY_MS;
  const pre = (o.preDays ?? 28) * DAY_MS;
  const mine = decisions.filter((d) => d.experiment?.experimentId === o.experimentId && d.decidedAt < o.until);
  const byCustomer = new Map<string, CustomerOutcome>();
  const decisionValue = new Map<string, { customerId: string; values: Map<string, number> }>();
  for (const d of [...mine].sort((a, b) => a.decidedAt - b.decidedAt)) {
    let c = byCustomer.get(d.customerId);
    if (!c) {
      c = { customerId: d.customerId, arm: d.experiment!.arm, exposedAt: d.decidedAt, decisions: 0, contacts: 0, offersAccepted: 0, firstAcceptedAt: null, value: 0, loginsBefore: 0, loginsAfter: 0, complaints: 0, consentWithdrawals: 0, survivalDays: 0, churned: false };
      byCustomer.set(d.customerId, c);
    }
    c.decisions++;
    if (d.chosen.length > 0) c.contacts++;
    decisionValue.set(d.decisionId, { customerId: d.customerId, values: new Map(d.chosen.map((a) => [a.actionId, a.value])) });
  }
  const lastActivity = new Map<string, number>();
  const accepted = new Set<string>();
  for (const s of events) {
    const e = s.event;
    const c = byCustomer.get(e.customerId);
    if (!c || s.t >= o.until) continue;
    if (s.t < c.exposedAt) {
      if (e.type === 'login' && s.t >= c.exposedAt - pre) c.loginsBefore++;
      continue;
    }
    lastActivity.set(c.customerId, Math.max(lastActivity.get(c.customerId) ?? c.exposedAt, s.t));
    switch (e.type) {
      case 'login':
        c.loginsAfter++;
        break;
      case 'offer_response': {
        const d = decisionValue.get(e.payload.decisionId);
        const key = `${e.payload.decisionId}/${e.payload.actionId}`;
        if (e.payload.response === 'accepted' && d && d.customerId === c.customerId && !accepted.has(key)) {
          accepted.add(key);
          c.offersAccepted++;
          c.firstAcceptedAt = Math.min(c.firstAcceptedAt ?? s.t, s.t);
          c.value += d.values.get(e.payload.actionId) ?? 0;
        }
        break;
      }
      case 'contact_centre':
        if (e.payload.topics.includes('complaint')) c.complaints++;
        break;
      case 'consent_change':
        if (!e.payload.granted) c.consentWithdrawals++;
        break;
      default:
        break;
    }
  }
  for (const c of byCustomer.values()) {
    const last = lastActivity.get(c.customerId) ?? c.exposedAt;
    c.churned = o.until - last >= inactive;
    c.survivalDays = ((c.churned ? last : o.until) - c.exposedAt) / DAY_MS;
  }
  return [...byCustomer.values()];
}
