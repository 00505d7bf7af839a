/** Off-policy evaluation over the whole decision log: each customer's decisions with the acceptances their offer responses report. */
import type { LoggedOutcome, OpeResult } from '../decisioning/ope.js';
import { parseOpeRequest } from '../decisioning/ope.js';
import type { Parts } from './parts.js';

/** At most this many logged decisions are read per customer. */
const DECISIONS_PER_CUSTOMER = 100_000;

/** A candidate's estimated acceptance and net value, with intervals, from the decision log. */
export async function offPolicyEvaluation(parts: Parts, request: unknown): Promise<OpeResult> {
  // Checked before a single decision is read: a bad request costs nothing.
  parseOpeRequest(request);
  return parts.decisioning.offPolicy(request, outcomes(parts));
}

async function* outcomes(parts: Parts): AsyncGenerator<LoggedOutcome> {
  let afterId: string | undefined;
  for (;;) {
    const page = await parts.backend.customers.list({ limit: 500, ...(afterId !== undefined ? { afterId } : {}) });
    if (page.length === 0) return;
    for (const c of page) {
      // Read back through decisioning: the log keeps records packed (decisioning/storedRecord.ts).
      const decisions = await parts.decisioning.customerDecisions(c.customerId, DECISIONS_PER_CUSTOMER);
      if (decisions.length === 0) continue;
      const accepted = new Map<string, Set<string>>();
      for (const s of await parts.backend.eventLog.readCustomer(c.customerId, { types: ['offer_response'] })) {
        const e = s.event;
        if (e.type !== 'offer_response' || e.payload.response !== 'accepted') continue;
        let set = accepted.get(e.payload.decisionId);
        if (!set) accepted.set(e.payload.decisionId, (set = new Set()));
        set.add(e.payload.actionId);
      }
      // Oldest first, so bootstrap resamples read in time order (the estimates do not depend on it).
      for (const decision of decisions.reverse()) yield { decision, accepted: accepted.get(decision.decisionId) ?? new Set() };
    }
    afterId = page[page.length - 1]!.customerId;
  }
}
