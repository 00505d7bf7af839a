/**
 * An experiment with a holdout run on the digital twin, as a weekly campaign: the decisioning
 * engine (enginePolicy) decides for the customers the product's assignment puts in the engine arm; the holdout arm
 * and the universal control group are never contacted, though the engine still ranks their
 * actions (a decision with n = 0, as the engine's holdout arm does) so outcome monitoring
 * knows what each would have been offered. Every decision is logged with its arm; the
 * product's own analysis then reads the KPIs per arm (experimentResults), the decision
 * fairness audit and the customer-outcome report from those decisions and the twin's events.
 */
import type { BankEvent, StoredEvent } from '../core/events.js';
import { customerView, type Catalogue, type DecisionRecord } from '../decisioning/index.js';
import { hashToUnit } from '../experiments/assignment.js';
import { experimentForDecision } from '../experiments/decide.js';
import { parseExperiment, toAssignmentPlan, type Experiment } from '../experiments/definition.js';
import { decisionFairness, type FairnessDecision, type FairnessReport } from '../experiments/fairness.js';
import { outcomeMonitoring, type OutcomeReport } from '../experiments/monitoring.js';
import { customerOutcomes, type ExposureDecision } from '../experiments/outcomes.js';
import { experimentResults, type ExperimentResults } from '../experiments/results.js';
import type { CustomerView, NamedPolicy } from './closedLoop.js';
import { enginePolicy, twinProfile } from './enginePolicy.js';
import { generateDemoBank } from './index.js';
import { acceptedValue } from './yardstick.js';

export interface TwinExperiment {
  experiment: Experiment;
  results: ExperimentResults;
  fairness: FairnessReport;
  outcomes: OutcomeReport;
  decisions: number;
}

/** Event types the reports read; the twin's other events are dropped as they stream past. */
const KEPT = new Set(['offer_response', 'login', 'loan_repayment', 'contact_centre', 'consent_change', 'card_payment', 'balance_snapshot']);

/**
 * Reads a twin run's events to the end, keeping only the types in `kept` (the rest are
 * dropped as they stream past: memory) as stored events, and the run's window: from the
 * first event's day to `days` later.
 */
export async function keptEvents(days: AsyncIterable<unknown[]>, length: number, kept: ReadonlySet<string>): Promise<{ events: StoredEvent[]; from: number; until: number }> {
  const events: StoredEvent[] = [];
  let start = Number.POSITIVE_INFINITY;
  for await (const day of days) {
    for (const e of day as BankEvent[]) {
      const t = Date.parse(e.occurredAt);
      start = Math.min(start, t);
      if (kept.has(e.type)) events.push({ seq: events.length + 1, t, recordedAt: t, event: e });
    }
  }
  const from = Date.parse(new Date(start).toISOString().slice(0, 10));
  return { events, from, until: from + length * 86_400_000 };
}

/** Runs `engine` (weight 4) against a `holdout` (weight 1), with a universal control of `ucgShare`, for `days` on a fresh twin. */
export async function experimentOnTwin(catalogue: Catalogue, o: { customers: number; days: number; seed: number; ucgShare?: number }): Promise<TwinExperiment> {
  const experiment = parseExperiment({
    id: 'demo-holdout',
    description: 'Does the engine beat contacting nobody?',
    status: 'running',
    control: 'holdout',
    arms: [
      { name: 'engine', kind: 'policy', policy: 'engine', weight: 4 },
      { name: 'holdout', kind: 'holdout', weight: 1 },
    ],
  });
  const plan = toAssignmentPlan([experiment], { salt: 'demo-ucg', share: o.ucgShare ?? 0.05 });
  const byId = new Map([[experiment.id, experiment]]);
  const engine = enginePolicy(catalogue, undefined, 'engine');
  const decisions: ExposureDecision[] = [];
  const fairness: FairnessDecision[] = [];
  /** The twin's decision id → the engine's decision and action, for linking responses in the fairness audit. */
  const engineIds = new Map<string, { decisionId: string; actionId: string }>();
  const targetedSupport = new Set(catalogue.actions.filter((a) => a.targetedSupport).map((a) => a.id));

  const rankOnly = async (view: CustomerView, now: number, day: number): Promise<DecisionRecord> => {
    const record = { ...view.customer, holdings: view.holdings, consents: { ...view.customer.consents, marketing: view.consents.marketing } };
    return engine.decisioning.decideWith(
      { customer: customerView(record, now), profile: twinProfile(view, 'email'), profileVersion: 'twin', scores: {}, consents: record.consents as Record<string, boolean>, context: {}, sessionId: null },
      { channel: 'email', n: 0, now, decisionId: `held-${view.customerId}-${day}` },
    );
  };

  const policy: NamedPolicy = {
    name: 'experiment',
    async decide(view, ctx) {
      // A weekly campaign: each customer is considered on their own weekday (from their id).
      if ((ctx.day + Math.floor(hashToUnit('weekday', view.customerId) * 7)) % 7 !== 0) return null;
      const arm = experimentForDecision(plan, byId, view.customerId);
      if (!arm) return null;
      const now = Date.parse(`${ctx.date}T10:00:00Z`);
      const tag = { experimentId: arm.experimentId, arm: arm.arm, heldOut: arm.heldOut };
      // The id the twin's offer_response events carry (encode.ts decisionIdOf).
      const decisionId = `d-${o.seed}-${view.customerId}-${ctx.day}`;
      const vulnerable = view.customer.vulnerabilityFlags.length > 0;
      if (arm.heldOut) {
        // What the engine would have offered them.
        const r = await rankOnly(view, now, ctx.day);
        const top = r.candidates.find((c) => c.rank === 1);
        decisions.push({ decisionId, customerId: view.customerId, decidedAt: now, experiment: tag, chosen: [], vulnerable, ...(top ? { topAction: { actionId: top.actionId, family: top.family } } : {}) });
        fairness.push(fairnessOf(r, view.customerId));
        return null;
      }
      const offer = await engine.decide(view, ctx);
      const logged = (await engine.decisioning.customerDecisions(view.customerId, 1))[0];
      const record = logged && logged.decidedAt === now ? (logged.record as DecisionRecord) : undefined;
      const chosen = offer && record?.chosen[0] ? [{ actionId: record.chosen[0].actionId, family: offer.family, value: acceptedValue(offer.family, false) }] : [];
      if (record) {
        fairness.push(fairnessOf(record, view.customerId));
        if (record.chosen[0]) engineIds.set(decisionId, { decisionId: record.decisionId, actionId: record.chosen[0].actionId });
      }
      decisions.push({ decisionId, customerId: view.customerId, decidedAt: now, experiment: tag, chosen, vulnerable });
      return offer;
    },
    observe: (events, day) => engine.observe?.(events, day),
  };

  const bank = generateDemoBank({ customers: o.customers, days: o.days, seed: o.seed, policy });
  const { events, from, until } = await keptEvents(bank.events, o.days, KEPT);
  // The twin answers for the family; the engine chose an action of it: read the response as that action.
  const chosenAction = new Map(decisions.flatMap((d) => d.chosen.map((c) => [d.decisionId, c.actionId] as const)));
  const linked = events.map((s) => (s.event.type === 'offer_response' && chosenAction.has(s.event.payload.decisionId) ? { ...s, event: { ...s.event, payload: { ...s.event.payload, actionId: chosenAction.get(s.event.payload.decisionId)! } } } : s));
  const outcomes = customerOutcomes(decisions, linked, { experimentId: experiment.id, until });
  const results = experimentResults(experiment, outcomes, { from, until });
  // The fairness audit reads the engine's own decision ids.
  const engineEvents = linked.flatMap((s) => {
    if (s.event.type !== 'offer_response') return [];
    const e = engineIds.get(s.event.payload.decisionId);
    return e ? [{ ...s, event: { ...s.event, payload: { ...s.event.payload, decisionId: e.decisionId, actionId: e.actionId } } }] : [];
  });
  return {
    experiment,
    results,
    fairness: decisionFairness(fairness, engineEvents),
    outcomes: outcomeMonitoring(decisions, linked, { from, until, targetedSupport }),
    decisions: decisions.length,
  };
}

function fairnessOf(r: DecisionRecord, customerId: string): FairnessDecision {
  return { customerId, decisionId: r.decisionId, customer: { age: r.inputs.customer.age, attributes: r.inputs.customer.attributes }, candidates: r.candidates, chosen: r.chosen };
}
