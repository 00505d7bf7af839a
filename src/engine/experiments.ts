/** The measurement reads of the engine: experiment results and decision fairness, from the logs. */
import { fairnessFromLog, outcomesFromLog, resultsFromLog, type ExperimentResults, type FairnessReport, type OutcomeReport } from '../experiments/index.js';
import { MS_PER_DAY } from '../core/clock.js';
import type { Parts } from './parts.js';

/** At most this many logged decisions are read per customer for a report. */
const DECISIONS_PER_CUSTOMER = 100_000;

/** An experiment's KPIs per arm and over time. */
export async function experimentResults(parts: Parts, id: string, now: number): Promise<ExperimentResults> {
  const e = (await parts.experiments.get(id)).experiment;
  return resultsFromLog(e, {
    customers: parts.backend.customers,
    decisions: (c) => parts.decisioning.customerDecisions(c, DECISIONS_PER_CUSTOMER),
    events: (c) => parts.backend.eventLog.readCustomer(c),
    now,
    clvAt: (_c, payments, at) => {
      const scores = parts.lifecycle.champions?.clv ? parts.lifecycle.scores(() => Number.NaN, [], at, payments) : null;
      return scores?.clv?.value ?? undefined;
    },
  });
}

/** Selection and acceptance per action family per group over the last `days`. */
export async function decisionFairness(parts: Parts, days: number, now: number): Promise<FairnessReport> {
  return fairnessFromLog(
    {
      customers: parts.backend.customers,
      decisions: (c) => parts.decisioning.customerDecisions(c, DECISIONS_PER_CUSTOMER),
      events: (c) => parts.backend.eventLog.readCustomer(c, { types: ['offer_response'] }),
      now,
    },
    now - days * MS_PER_DAY,
  );
}

/** Customer-outcome monitoring of the decisions of the last `days`: contacted against held out, per family, vulnerable customers apart. */
export async function customerOutcomeReport(parts: Parts, days: number, now: number): Promise<OutcomeReport> {
  const targetedSupport = new Set(parts.decisioning.actions().filter((a) => a.targetedSupport).map((a) => a.id));
  return outcomesFromLog(
    {
      customers: parts.backend.customers,
      decisions: (c) => parts.decisioning.customerDecisions(c, DECISIONS_PER_CUSTOMER),
      events: (c) => parts.backend.eventLog.readCustomer(c, { types: ['balance_snapshot', 'loan_repayment', 'contact_centre', 'offer_response', 'login', 'card_payment', 'transfer_in', 'transfer_out', 'deposit', 'withdrawal', 'screen_view', 'feature_use'] }),
      now,
    },
    now - days * MS_PER_DAY,
    { targetedSupport },
  );
}
