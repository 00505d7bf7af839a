/**
 * Testing triggers against a customer's history (`nextbest triggers test`): walks their
 * events in order with the readings after each, as the consumer would have seen them one
 * event at a time, and says what would have fired and what was held back. Pure: the caller
 * supplies the readings (an offline point-in-time profile) and the clock for absences.
 */
import type { EventType, StoredEvent } from '../core/events.js';
import { evaluateAbsences, evaluateTriggers, type CompiledTrigger, type CustomerFacts, type EarlierFire, type HeldBack, type Readings, type TriggerFire } from './evaluate.js';

export interface TriggerReplay {
  readonly fires: TriggerFire[];
  /** Held back, with the event id it was evaluated on (or `clock` for an absence check). */
  readonly heldBack: (HeldBack & { readonly eventId: string })[];
}

/**
 * What the triggers would have done over `history` (one customer's events, in log order).
 * `readingsAfter(i)` is the profile and scores after event i; absences are checked daily
 * between events and up to `until`. At most `maxFiresPerEvent` fires per event, as the consumer.
 */
export function replayTriggers(
  triggers: readonly CompiledTrigger[],
  history: readonly StoredEvent[],
  o: { customer: CustomerFacts; readingsAfter: (i: number) => Readings; until?: number; maxFiresPerEvent?: number },
): TriggerReplay {
  const fires: TriggerFire[] = [];
  const heldBack: (HeldBack & { eventId: string })[] = [];
  const fired: EarlierFire[] = [];
  const lastSeen: Partial<Record<EventType, number>> = {};
  const watched = new Set<EventType>(triggers.flatMap((t) => (t.trigger.kind === 'absence' ? t.trigger.events : [])));
  let before: Readings = { profile: {}, scores: {} };
  let swept = -Infinity;
  const take = (list: readonly TriggerFire[]) => {
    for (const f of list.slice(0, o.maxFiresPerEvent ?? 1)) {
      fires.push(f);
      fired.push({ triggerId: f.triggerId, at: f.at });
    }
  };
  const sweepTo = (to: number, readings: Readings) => {
    if (watched.size === 0) return;
    const seen = Object.values(lastSeen);
    if (seen.length === 0) return;
    // Daily checks from the first watched event, each day once across calls.
    const first = Math.min(...seen) + 86_400_000;
    const start = swept === -Infinity ? first : swept + 86_400_000;
    for (let now = start; now <= to; now += 86_400_000) {
      swept = now;
      const out = evaluateAbsences(triggers, { customerId: history[0]!.event.customerId, customer: o.customer, readings, lastSeen, now, fired });
      take(out.fires);
      heldBack.push(...out.heldBack.map((h) => ({ ...h, eventId: 'clock' })));
    }
  };
  history.forEach((stored, i) => {
    sweepTo(stored.t, before);
    const after = o.readingsAfter(i);
    const out = evaluateTriggers(triggers, { event: stored.event, at: stored.t, customer: o.customer, before, after, fired });
    take(out.fires);
    heldBack.push(...out.heldBack.map((h) => ({ ...h, eventId: stored.event.eventId })));
    if (watched.has(stored.event.type)) lastSeen[stored.event.type] = Math.max(lastSeen[stored.event.type] ?? -Infinity, stored.t);
    before = after;
  });
  if (o.until !== undefined && history.length > 0) sweepTo(o.until, before);
  return { fires, heldBack };
}
