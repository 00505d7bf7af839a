/**
 * An experiment's results read from the logs: every customer's logged decisions (the
 * exposures, with the arm each was made under) and events (the outcomes). Reads customer by
 * customer through ports the engine passes in, so it runs on either store.
 */
import type { Customer } from '../core/customer.js';
import { NextbestError } from '../core/errors.js';
import type { StoredEvent } from '../core/events.js';
import type { LoggedDecision } from '../store/decisionLog.js';
import type { Experiment } from './definition.js';
import { decisionFairness, type FairnessDecision, type FairnessReport } from './fairness.js';
import { customerOutcomes, DAY_MS, type CustomerOutcome, type ExposureDecision } from './outcomes.js';
import { experimentResults, type ExperimentResults } from './results.js';
import { outcomeMonitoring, type OutcomeReport } from './monitoring.js';

export interface LogSources {
  customers: { list(o: { afterId?: string; limit: number }): Promise<Customer[]> };
  decisions: (customerId: string) => Promise<LoggedDecision[]>;
  events: (customerId: string) => Promise<StoredEvent[]>;
  now: number;
  /** The CLV model's expectation for a customer from their card payments as of `at` (undefined: no CLV model). */
  clvAt?: (customerId: string, cardPayments: readonly StoredEvent[], at: number) => number | undefined;
}

interface LoggedShape {
  experiment?: { experimentId: string; arm: string; heldOut: boolean };
  chosen?: { actionId: string; family: string }[];
  candidates?: { actionId: string; family?: string; value?: number; rank?: number }[];
  inputs?: { scores?: Record<string, number>; customer?: { vulnerable?: boolean } };
}

/**
 * Walks every customer a page at a time: `pick` keeps what a report reads of their logged
 * decisions; their events (filtered by `keepEvents`) are read only when something was kept.
 */
async function gather<D>(src: LogSources, pick: (logged: LoggedDecision[]) => D[], keepEvents: (events: StoredEvent[]) => StoredEvent[] = (e) => e): Promise<{ decisions: D[]; events: StoredEvent[] }> {
  const decisions: D[] = [];
  const events: StoredEvent[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await src.customers.list({ limit: 500, ...(afterId !== undefined ? { afterId } : {}) });
    if (page.length === 0) break;
    for (const c of page) {
      const mine = pick(await src.decisions(c.customerId));
      if (mine.length === 0) continue;
      decisions.push(...mine);
      events.push(...keepEvents(await src.events(c.customerId)));
    }
    afterId = page[page.length - 1]!.customerId;
  }
  return { decisions, events };
}

/** The decision as the analysis reads it; the record's `value` per chosen action comes from its candidate trace. */
export function exposureOf(d: LoggedDecision): ExposureDecision {
  const r = (d.record ?? {}) as LoggedShape;
  const values = new Map((r.candidates ?? []).map((c) => [c.actionId, c.value ?? 0]));
  const clv = r.inputs?.scores?.clv;
  return {
    decisionId: d.decisionId,
    customerId: d.customerId,
    decidedAt: d.decidedAt,
    experiment: r.experiment,
    chosen: (r.chosen ?? []).map((c) => ({ actionId: c.actionId, family: c.family, value: values.get(c.actionId) ?? 0 })),
    ...(typeof clv === 'number' && Number.isFinite(clv) ? { clv } : {}),
    vulnerable: r.inputs?.customer?.vulnerable ?? false,
    ...topOf(r.candidates ?? []),
  };
}

function topOf(candidates: NonNullable<LoggedShape['candidates']>): Pick<ExposureDecision, 'topAction'> {
  const top = candidates.find((c) => c.rank === 1);
  return top?.family ? { topAction: { actionId: top.actionId, family: top.family } } : {};
}

/** Results of one experiment from its start (or the first exposure) to its end or now. */
export async function resultsFromLog(e: Experiment, src: LogSources, o: { inactiveDays?: number } = {}): Promise<ExperimentResults> {
  const { decisions, events } = await gather(src, (logged) => logged.map(exposureOf).filter((d) => d.experiment?.experimentId === e.id));
  if (decisions.length === 0) throw new NextbestError('NOT_FOUND', `no logged decision of experiment ${e.id} yet`);
  const from = e.startAt ?? Math.min(...decisions.map((d) => d.decidedAt));
  const until = Math.max(from + DAY_MS, Math.min(e.endAt ?? src.now, src.now));
  const outcomes = customerOutcomes(decisions, events, { experimentId: e.id, until, ...(o.inactiveDays !== undefined ? { inactiveDays: o.inactiveDays } : {}) });
  if (src.clvAt) withClv(outcomes, events, until, src.clvAt);
  return experimentResults(e, outcomes, { from, until });
}

/** The CLV model's expectation at exposure (the CUPED covariate) and at the window's end, from each customer's card payments before then. */
function withClv(outcomes: CustomerOutcome[], events: readonly StoredEvent[], until: number, clvAt: NonNullable<LogSources['clvAt']>): void {
  const payments = new Map<string, StoredEvent[]>();
  for (const s of events) {
    if (s.event.type !== 'card_payment') continue;
    const mine = payments.get(s.event.customerId);
    if (mine) mine.push(s);
    else payments.set(s.event.customerId, [s]);
  }
  for (const c of outcomes) {
    const mine = payments.get(c.customerId) ?? [];
    const before = clvAt(c.customerId, mine.filter((s) => s.t < c.exposedAt), c.exposedAt);
    const after = clvAt(c.customerId, mine.filter((s) => s.t < until), until);
    if (before === undefined || after === undefined) continue;
    c.clvBefore = before;
    c.clvAfter = after;
  }
}

/** The decision-fairness report over the decisions logged in [since, now]. */
export async function fairnessFromLog(src: LogSources, since: number): Promise<FairnessReport> {
  const inWindow = (d: LoggedDecision) => d.decidedAt >= since && d.decidedAt <= src.now;
  const { decisions, events } = await gather(
    src,
    (logged) =>
      logged.filter(inWindow).map((d) => {
        const r = (d.record ?? {}) as { inputs?: { customer?: FairnessDecision['customer'] }; candidates?: FairnessDecision['candidates']; chosen?: FairnessDecision['chosen'] };
        return { customerId: d.customerId, decisionId: d.decisionId, customer: { age: r.inputs?.customer?.age ?? -1, attributes: r.inputs?.customer?.attributes ?? {} }, candidates: r.candidates ?? [], chosen: r.chosen ?? [] };
      }),
    (evs) => evs.filter((e) => e.event.type === 'offer_response' && e.t >= since),
  );
  return decisionFairness(decisions, events);
}

/** Customer-outcome monitoring over the decisions logged in [since, now] and what followed them. */
export async function outcomesFromLog(src: LogSources, since: number, o: { targetedSupport?: ReadonlySet<string>; inactiveDays?: number } = {}): Promise<OutcomeReport> {
  const { decisions, events } = await gather(src, (logged) => logged.filter((d) => d.decidedAt >= since && d.decidedAt <= src.now).map(exposureOf));
  // Up to and including now: a decision made this millisecond counts.
  return outcomeMonitoring(decisions, events, { from: since, until: Math.max(src.now + 1, since + DAY_MS), ...o });
}
