/**
 * Journeys: one message across channels over time, without overwhelming the customer. A
 * trigger with `followUps` starts a journey when its decision chose an action: each follow-up
 * is the same action on another channel, after a wait (banner now → email with rates after
 * 2 days) or at the customer's next event of a kind within a deadline (→ branch brochure at
 * the next branch visit within 30 days). Each step is a new decision limited to that action,
 * so consent, suitability and the caps (which count every step, on every channel) are checked
 * again when it runs. A journey ends on acceptance or decline of the action, a consent
 * withdrawal, when a step finds the action no longer suitable (`unsuitable`) or the caps full
 * (`stopped`), or after its last step (`completed`; `lapsed` when the last step's event never
 * came). Its state is stored (memory, triggers.db or PostgreSQL) and moved by the log and the
 * clock: the consumer's checkpoint replays the events it missed after a restart.
 */
import type { Channel } from '../core/channels.js';
import type { EventType, StoredEvent } from '../core/events.js';
import { compileRule, evaluatePredicate, type RuleProgram } from '../rules/index.js';
import type { LogConsumer } from '../store/consumer.js';

/** A step that waits for an event: one of `events` passing `condition` (CEL, trigger environment), within `withinMs` of the step's start. */
export interface StepEvent {
  readonly events: readonly EventType[];
  readonly condition?: string | undefined;
  readonly withinMs: number;
}

export interface FollowUp {
  readonly channel: Channel;
  /** Wait after the previous step (ms); for an event step, when it starts waiting. */
  readonly afterMs: number;
  /** Set: the step runs at the customer's next such event (after `afterMs`), or lapses at the deadline. */
  readonly on?: StepEvent | undefined;
}

export const JOURNEY_STATUSES = ['active', 'completed', 'lapsed', 'accepted', 'declined', 'consent_withdrawn', 'unsuitable', 'stopped'] as const;
export type JourneyStatus = (typeof JOURNEY_STATUSES)[number];

export interface Journey {
  /** The fire that started it. */
  readonly journeyId: string;
  readonly customerId: string;
  readonly triggerId: string;
  readonly actionId: string;
  readonly steps: readonly FollowUp[];
  /** Decisions made so far (the trigger's first), in order. */
  decisionIds: string[];
  /** Steps done, the trigger's decision included (so the next follow-up is steps[done - 1]). */
  done: number;
  /** When the next follow-up is due (epoch ms), for an event step its deadline; null when none. */
  nextAt: number | null;
  /** For an event step: from when its event counts (epoch ms); null otherwise. */
  waitingFrom?: number | null;
  /** Steps that lapsed (their event never came), numbered as journeys say (the trigger's decision is step 1). */
  lapsed?: number[];
  status: JourneyStatus;
  /** Why it ended, in plain words. */
  reason: string | null;
  startedAt: number;
  updatedAt: number;
}

export interface JourneyStore {
  put(j: Journey): Promise<void>;
  get(journeyId: string): Promise<Journey | undefined>;
  forCustomer(customerId: string): Promise<Journey[]>;
  /** Active journeys due at or before `now`. */
  due(now: number): Promise<Journey[]>;
  /** Active journeys whose current step waits for an event. */
  waiting(): Promise<Journey[]>;
  erase(customerId: string): Promise<void>;
}

export class MemoryJourneyStore implements JourneyStore {
  private readonly rows = new Map<string, Journey>();
  async put(j: Journey): Promise<void> {
    this.rows.set(j.journeyId, structuredClone(j));
  }
  async get(id: string): Promise<Journey | undefined> {
    const j = this.rows.get(id);
    return j && structuredClone(j);
  }
  async forCustomer(customerId: string): Promise<Journey[]> {
    return [...this.rows.values()].filter((j) => j.customerId === customerId).sort((a, b) => a.startedAt - b.startedAt).map((j) => structuredClone(j));
  }
  async due(now: number): Promise<Journey[]> {
    return [...this.rows.values()].filter((j) => j.status === 'active' && j.nextAt !== null && j.nextAt <= now).map((j) => structuredClone(j));
  }
  async waiting(): Promise<Journey[]> {
    return [...this.rows.values()].filter((j) => j.status === 'active' && j.waitingFrom != null).map((j) => structuredClone(j));
  }
  async erase(customerId: string): Promise<void> {
    for (const [id, j] of this.rows) if (j.customerId === customerId) this.rows.delete(id);
  }
}

/**
 * What a step asks decisioning for: the journey's action only, on the step's channel, delivered.
 * When the action is not chosen, `excludedBy` names the policy kind that took it out (consent,
 * suitability, contact, ...) and `why` says it in words.
 */
export type JourneyDecide = (r: { customerId: string; channel: Channel; actionId: string; requestId: string }) => Promise<{ decisionId: string; chosen: readonly { actionId: string }[]; excludedBy?: string | undefined; why?: string | undefined }>;

/** What an event step's condition reads besides the event: the customer's view, profile and scores now. */
export type JourneyFacts = (customerId: string, seq: number) => Promise<{ customer: Record<string, unknown>; profile: Record<string, unknown>; scores: Record<string, unknown> }>;

/** The policy kinds that mean "this action no longer suits the customer" (the others: caps, volume, channel...). */
const UNSUITABLE = new Set(['eligibility', 'applicability', 'suitability', 'validity', 'scope']);

/** The journey engine: started by trigger decisions, ended by the log, advanced by the clock. */
export class JourneyConsumer implements LogConsumer {
  readonly name = 'journeys';
  private seq = 0;

  constructor(
    private readonly store: JourneyStore,
    private readonly decide: JourneyDecide,
    private readonly checkpoints?: { get(name: string): Promise<number | undefined>; put(name: string, seq: number): Promise<void> },
    private readonly o: { facts?: JourneyFacts; now?: () => number } = {},
  ) {}

  private readonly conditions = new Map<string, RuleProgram>();
  /** Event types some active journey waits for (rebuilt from the store on open; grows as steps start). */
  private waitedTypes: Set<string> | undefined;

  /** Starts a journey for a trigger's decision that chose `actionId` (idempotent on the fire id). */
  async start(o: { journeyId: string; customerId: string; triggerId: string; actionId: string; decisionId: string; steps: readonly FollowUp[]; at: number }): Promise<Journey | undefined> {
    if (o.steps.length === 0 || (await this.store.get(o.journeyId))) return undefined;
    const j: Journey = { journeyId: o.journeyId, customerId: o.customerId, triggerId: o.triggerId, actionId: o.actionId, steps: o.steps, decisionIds: [o.decisionId], done: 1, nextAt: null, waitingFrom: null, lapsed: [], status: 'active', reason: null, startedAt: o.at, updatedAt: o.at };
    this.arm(j, o.at);
    await this.store.put(j);
    return j;
  }

  /** Sets the timing of the step after `done` counted from `from`: its due time, or its event window. */
  private arm(j: Journey, from: number): void {
    const step = j.steps[j.done - 1];
    if (!step) {
      j.nextAt = null;
      j.waitingFrom = null;
      return;
    }
    if (step.on) {
      j.waitingFrom = from + step.afterMs;
      j.nextAt = j.waitingFrom + step.on.withinMs;
      for (const t of step.on.events) this.waitedTypes?.add(t);
    } else {
      j.waitingFrom = null;
      j.nextAt = from + step.afterMs;
    }
  }

  async open(): Promise<number> {
    this.waitedTypes = undefined;
    return (this.seq = (await this.checkpoints?.get(this.name)) ?? 0);
  }

  /** Reads the waited-for event types from the store again at the next batch (a partition taken over brings journeys another instance started). */
  forgetWaited(): void {
    this.waitedTypes = undefined;
  }

  /** The event types a waiting step may run on (read once from the store, then kept as steps start). */
  private async waited(): Promise<Set<string>> {
    if (!this.waitedTypes) {
      const types = new Set<string>();
      for (const j of await this.store.waiting()) for (const t of j.steps[j.done - 1]?.on?.events ?? []) types.add(t);
      this.waitedTypes = types;
    }
    return this.waitedTypes;
  }

  /** An event step's condition, compiled once (compileTriggers checked it on save, naming the field). */
  private condition(text: string): RuleProgram {
    let p = this.conditions.get(text);
    if (!p) this.conditions.set(text, (p = compileRule(text, 'trigger', 'followUps.on.condition')));
    return p;
  }

  /** Whether this event is the one the journey's current step waits for. */
  private async awaited(j: Journey, e: StoredEvent): Promise<boolean> {
    const step = j.steps[j.done - 1];
    if (j.status !== 'active' || !step?.on || !step.on.events.includes(e.event.type)) return false;
    if (j.waitingFrom == null || j.nextAt === null || e.t < j.waitingFrom || e.t > j.nextAt) return false;
    if (step.on.condition === undefined) return true;
    const facts = (await this.o.facts?.(j.customerId, e.seq)) ?? { customer: {}, profile: {}, scores: {} };
    const now = this.o.now?.() ?? e.t;
    return evaluatePredicate(this.condition(step.on.condition), { event: e.event, customer: facts.customer, profile: facts.profile, scores: facts.scores, context: { now, before: { profile: facts.profile, scores: facts.scores } } }).pass;
  }

  async apply(events: readonly StoredEvent[]): Promise<void> {
    await this.applyEvents(events);
    if (events.length > 0) {
      this.seq = events[events.length - 1]!.seq;
      await this.checkpoints?.put(this.name, this.seq);
    }
  }

  /** Ends journeys on a response to their action, or on a withdrawal of consent to offers; runs the event steps their event arrived for. No checkpoint (the caller's: the log's, or a partition's). */
  async applyEvents(events: readonly StoredEvent[]): Promise<void> {
    const waited = await this.waited();
    for (const stored of events) {
      const { event, t } = stored;
      if (waited.has(event.type)) {
        for (const j of await this.store.forCustomer(event.customerId)) if (await this.awaited(j, stored)) await this.runStep(j, this.o.now?.() ?? t, `${event.type} ${event.eventId}`);
      }
      if (event.type === 'offer_response' && (event.payload.response === 'accepted' || event.payload.response === 'declined')) {
        for (const j of await this.store.forCustomer(event.customerId)) {
          if (j.status !== 'active' || j.actionId !== event.payload.actionId) continue;
          await this.end(j, event.payload.response, `the customer ${event.payload.response} it`, t);
        }
      } else if (event.type === 'consent_change' && !event.payload.granted && (event.payload.purpose === 'marketing' || event.payload.purpose === 'personalised_offers')) {
        for (const j of await this.store.forCustomer(event.customerId)) if (j.status === 'active') await this.end(j, 'consent_withdrawn', `consent withdrawn (${event.payload.purpose})`, t);
      }
    }
  }

  /** Runs the timed follow-ups due at `now` (of the customers `mine` keeps: an instance's partitions), and lapses the event steps whose deadline passed; returns the journeys moved. */
  async tick(now: number, mine?: (customerId: string) => boolean): Promise<Journey[]> {
    const moved: Journey[] = [];
    for (const j of await this.store.due(now)) {
      if (mine && !mine(j.customerId)) continue;
      const step = j.steps[j.done - 1]!;
      // runStep stores the journey itself (as sent, or ended).
      if (step.on) {
        this.lapse(j, now);
        await this.store.put(j);
      } else await this.runStep(j, now);
      moved.push(j);
    }
    return moved;
  }

  /** An event step's deadline passed without its event: skip it (the next step counts from the deadline). */
  private lapse(j: Journey, now: number): void {
    const step = j.steps[j.done - 1]!;
    const deadline = j.nextAt ?? now;
    (j.lapsed ??= []).push(j.done + 1);
    j.done++;
    j.updatedAt = now;
    this.arm(j, deadline);
    if (j.nextAt === null) {
      j.status = 'lapsed';
      j.reason = `step ${j.done} on ${step.channel} lapsed: no ${step.on!.events.join(' or ')} within ${Math.round(step.on!.withinMs / 86_400_000)}d`;
    }
  }

  /** Sends the current step (a decision for the action on its channel), or ends the journey saying why it could not. */
  private async runStep(j: Journey, now: number, on?: string): Promise<void> {
    const step = j.steps[j.done - 1]!;
    const d = await this.decide({ customerId: j.customerId, channel: step.channel, actionId: j.actionId, requestId: `${j.journeyId}:step${j.done}` });
    if (d.chosen.some((c) => c.actionId === j.actionId)) {
      j.decisionIds.push(d.decisionId);
      j.done++;
      j.updatedAt = now;
      this.arm(j, now);
      if (j.nextAt === null) {
        j.status = 'completed';
        j.reason = on ? `every step sent (the last at ${on})` : 'every step sent';
      }
      await this.store.put(j);
      return;
    }
    const status: JourneyStatus = d.excludedBy === 'consent' ? 'consent_withdrawn' : d.excludedBy && UNSUITABLE.has(d.excludedBy) ? 'unsuitable' : 'stopped';
    await this.end(j, status, `step ${j.done + 1} on ${step.channel} not sent: ${d.why ?? 'the action no longer passes the policies (suitability, consent or caps)'}`, now);
  }

  journeys(customerId: string): Promise<Journey[]> {
    return this.store.forCustomer(customerId);
  }

  async erase(customerId: string): Promise<void> {
    await this.store.erase(customerId);
  }

  async close(): Promise<void> {}

  private async end(j: Journey, status: JourneyStatus, reason: string, at: number): Promise<void> {
    j.status = status;
    j.reason = reason;
    j.nextAt = null;
    j.waitingFrom = null;
    j.updatedAt = at;
    await this.store.put(j);
  }
}
