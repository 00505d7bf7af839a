/**
 * Journeys: one message across channels over time, without overwhelming the customer. A
 * trigger with `followUps` starts a journey when its decision chose an action: each follow-up
 * is the same action on another channel after a wait (banner now → email with rates after
 * 2 days → branch brochure later). Each step is a new decision limited to that action, so
 * consent, suitability and the caps (which count every step, on every channel) are checked
 * again when it runs. A journey ends on acceptance or decline of the action, a consent
 * withdrawal, when a step finds the action no longer suitable or the caps full, or after its
 * last step. Its state is stored (memory or triggers.db) and moved by the log and the clock.
 */
import type { Channel } from '../core/channels.js';
import type { StoredEvent } from '../core/events.js';
import type { LogConsumer } from '../store/consumer.js';

export interface FollowUp {
  readonly channel: Channel;
  /** Wait after the previous step (ms). */
  readonly afterMs: number;
}

export type JourneyStatus = 'active' | 'completed' | 'accepted' | 'declined' | 'consent_withdrawn' | 'stopped';

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
  /** When the next follow-up is due (epoch ms), null when none. */
  nextAt: number | null;
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
  async erase(customerId: string): Promise<void> {
    for (const [id, j] of this.rows) if (j.customerId === customerId) this.rows.delete(id);
  }
}

/** What a step asks decisioning for: the journey's action only, on the step's channel, delivered. */
export type JourneyDecide = (r: { customerId: string; channel: Channel; actionId: string; requestId: string }) => Promise<{ decisionId: string; chosen: readonly { actionId: string }[]; why?: string }>;

/** The journey engine: started by trigger decisions, ended by the log, advanced by the clock. */
export class JourneyConsumer implements LogConsumer {
  readonly name = 'journeys';
  private seq = 0;

  constructor(
    private readonly store: JourneyStore,
    private readonly decide: JourneyDecide,
    private readonly checkpoints?: { get(name: string): Promise<number | undefined>; put(name: string, seq: number): Promise<void> },
  ) {}

  /** Starts a journey for a trigger's decision that chose `actionId` (idempotent on the fire id). */
  async start(o: { journeyId: string; customerId: string; triggerId: string; actionId: string; decisionId: string; steps: readonly FollowUp[]; at: number }): Promise<Journey | undefined> {
    if (o.steps.length === 0 || (await this.store.get(o.journeyId))) return undefined;
    const j: Journey = { journeyId: o.journeyId, customerId: o.customerId, triggerId: o.triggerId, actionId: o.actionId, steps: o.steps, decisionIds: [o.decisionId], done: 1, nextAt: o.at + o.steps[0]!.afterMs, status: 'active', reason: null, startedAt: o.at, updatedAt: o.at };
    await this.store.put(j);
    return j;
  }

  async open(): Promise<number> {
    return (this.seq = (await this.checkpoints?.get(this.name)) ?? 0);
  }

  /** Ends journeys on a response to their action, or on a withdrawal of consent to offers. */
  async apply(events: readonly StoredEvent[]): Promise<void> {
    for (const { event, t } of events) {
      if (event.type === 'offer_response' && (event.payload.response === 'accepted' || event.payload.response === 'declined')) {
        for (const j of await this.store.forCustomer(event.customerId)) {
          if (j.status !== 'active' || j.actionId !== event.payload.actionId) continue;
          await this.end(j, event.payload.response, `the customer ${event.payload.response} it`, t);
        }
      } else if (event.type === 'consent_change' && !event.payload.granted && (event.payload.purpose === 'marketing' || event.payload.purpose === 'personalised_offers')) {
        for (const j of await this.store.forCustomer(event.customerId)) if (j.status === 'active') await this.end(j, 'consent_withdrawn', `consent withdrawn (${event.payload.purpose})`, t);
      }
    }
    if (events.length > 0) {
      this.seq = events[events.length - 1]!.seq;
      await this.checkpoints?.put(this.name, this.seq);
    }
  }

  /** Runs the follow-ups due at `now`; returns the journeys moved. */
  async tick(now: number): Promise<Journey[]> {
    const moved: Journey[] = [];
    for (const j of await this.store.due(now)) {
      const step = j.steps[j.done - 1]!;
      const d = await this.decide({ customerId: j.customerId, channel: step.channel, actionId: j.actionId, requestId: `${j.journeyId}:step${j.done}` });
      if (d.chosen.some((c) => c.actionId === j.actionId)) {
        j.decisionIds.push(d.decisionId);
        j.done++;
        j.nextAt = j.done - 1 < j.steps.length ? now + j.steps[j.done - 1]!.afterMs : null;
        if (j.nextAt === null) {
          j.status = 'completed';
          j.reason = 'every step sent';
        }
        j.updatedAt = now;
        await this.store.put(j);
      } else await this.end(j, 'stopped', `step ${j.done + 1} on ${step.channel} not sent: ${d.why ?? 'the action no longer passes the policies (suitability, consent or caps)'}`, now);
      moved.push(j);
    }
    return moved;
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
    j.updatedAt = at;
    await this.store.put(j);
  }
}
