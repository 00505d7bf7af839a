/**
 * `engine.triggers` and `engine.deliveries`: the trigger set read and edited (each edit
 * compiled first and audited), a trigger set tested against one customer's history, the
 * clock's sweep on demand; the outbox listed, dead letters retried (audited), the pull
 * channels, and the metrics.
 */
import { NextbestError } from '../core/errors.js';
import type { OutboxQuery, OutboxStatus } from '../store/outbox.js';
import { compileTriggers, parseTriggerSet, replayTriggers, type CompiledTrigger, type Readings, type TriggerReplay } from '../triggers/index.js';
import { customerView } from '../decisioning/index.js';
import type { Parts } from './parts.js';

function triggerParts(parts: Pick<Parts, 'triggers'>) {
  if (!parts.triggers) throw new NextbestError('NOT_FOUND', 'triggers are turned off in this engine (triggers.enabled: false)');
  return parts.triggers;
}

/** The trigger façade. */
export function triggersFacade(parts: Pick<Parts, 'triggers' | 'audit' | 'backend' | 'online' | 'lifecycle'>, now: () => number) {
  return {
    get enabled() {
      return parts.triggers !== undefined;
    },
    list: () => triggerParts(parts).book.list(),
    get: (id: string) => triggerParts(parts).book.get(id),
    /** Creates or replaces a trigger (refused with VALIDATION_FAILED when it does not parse or compile); audited. */
    async put(input: unknown, o: { actor?: string } = {}) {
      const { trigger, prior } = triggerParts(parts).book.put(input);
      await triggerParts(parts).book.flush();
      await parts.audit.record({ actor: o.actor ?? 'system', action: 'trigger.put', target: trigger.id, before: prior ?? null, after: trigger });
      return { trigger, created: prior === undefined };
    },
    async delete(id: string, o: { actor?: string } = {}) {
      const prior = triggerParts(parts).book.delete(id);
      await triggerParts(parts).book.flush();
      await parts.audit.record({ actor: o.actor ?? 'system', action: 'trigger.delete', target: id, before: prior, after: null });
    },
    /** The newest fires across customers (or one customer's), with their outcome. */
    async fires(o: { customerId?: string; limit?: number } = {}) {
      const fires = triggerParts(parts).fires;
      return o.customerId !== undefined ? (await fires.forCustomer(o.customerId)).reverse().slice(0, o.limit ?? 100) : fires.recent(o.limit ?? 100);
    },
    /** A customer's journeys (active and ended), oldest first. */
    journeys: (customerId: string) => triggerParts(parts).journeys.journeys(customerId),
    /** Runs the journeys' follow-ups due now (the clock does this every triggers.sweepSeconds). */
    tickJourneys: (at = now()) => triggerParts(parts).journeys.tick(at),
    /** Checks absence triggers for every watched customer now (the clock's sweep, on demand). */
    sweep: (at = now()) => triggerParts(parts).consumer.sweep(at),
    /**
     * What the triggers in force (or `triggers`, a set to try) would have done over a
     * customer's history: features replayed event by event, scores by the champions now,
     * absences checked daily up to `until` (default now). Nothing is decided or stored.
     */
    async test(customerId: string, o: { triggers?: unknown; until?: number } = {}): Promise<TriggerReplay & { events: number }> {
      const compiled: readonly CompiledTrigger[] = o.triggers !== undefined ? compileTriggers(parseTriggerSet(parseSet(o.triggers))) : triggerParts(parts).book.inForce();
      const history = await parts.backend.eventLog.readCustomer(customerId);
      const record = (await parts.backend.customers.getMany([customerId]))[0];
      if (history.length === 0 && !record) throw new NextbestError('NOT_FOUND', `no customer ${customerId}`);
      const features = parts.online.features;
      const state = features.newState();
      const row = new Float64Array(features.size);
      const market = await parts.online.marketTimeline();
      const after: Readings[] = history.map((e) => {
        features.apply(state, e);
        features.read(state, e.t, row, 0, market?.stateAt(e.t));
        const profile: Record<string, number | null> = {};
        features.names.forEach((n, k) => (profile[n] = Number.isNaN(row[k]!) ? null : row[k]!));
        return { profile, scores: parts.lifecycle.champions?.ruleScores(profile, e.t) ?? {} };
      });
      const customer = record ? { preferredChannel: record.preferredChannel, view: customerView(record, now()) as unknown as Record<string, unknown> } : { view: {} };
      const replay = replayTriggers(compiled, history, { customer, readingsAfter: (i) => after[i]!, until: o.until ?? now() });
      return { ...replay, events: history.length };
    },
  };
}

function parseSet(input: unknown) {
  return Array.isArray(input) ? { triggers: input } : (input as { triggers: unknown[] });
}

/** The delivery façade. */
export function deliveriesFacade(parts: Pick<Parts, 'delivery' | 'audit' | 'decisioning' | 'log' | 'backend'>, now: () => number, o: { freshnessTimeoutMs?: number } = {}) {
  const d = parts.delivery;
  return {
    list: (q: OutboxQuery = {}) => d.outbox.list({ ...q, limit: Math.min(q.limit ?? 100, 1000) }),
    async get(key: string) {
      const e = await d.outbox.get(key);
      if (!e) throw new NextbestError('NOT_FOUND', `no delivery ${key}`);
      return e;
    },
    counts: (): Promise<Record<OutboxStatus, number>> => d.outbox.counts(),
    /**
     * Puts a dead-lettered delivery back, due now with its attempts reset (audited). CONFLICT
     * unless it is dead, or when the caps in force are now used (its contact, released when it
     * failed, is taken again first: a retry never sends past a cap).
     */
    async retry(key: string, by: { actor?: string } = {}) {
      const e = await d.outbox.get(key);
      if (!e) throw new NextbestError('NOT_FOUND', `no delivery ${key}`);
      if (e.status !== 'dead') throw new NextbestError('CONFLICT', `delivery ${key} is ${e.status}; only a dead-lettered delivery can be retried`);
      // The failed receipt releases the contact: let the deliveries consumer apply it first, so the contact is not counted twice.
      await parts.log.forCustomer(e.customerId, ['deliveries'], o.freshnessTimeoutMs ?? 5000).catch(() => undefined);
      const at = now();
      const taken = await parts.decisioning.retake(e.customerId, e, at);
      if (!taken.ok) {
        const why = taken.reason === 'cap' ? `the cap of ${taken.cap.max} on ${taken.cap.channel}${taken.cap.family ? ` (${taken.cap.family})` : ''} is used` : `capacity ${taken.key} is full`;
        throw new NextbestError('CONFLICT', `delivery ${key} cannot be retried now: ${why} since it failed`, { reason: taken.reason });
      }
      if (!(await d.outbox.revive(key, at))) {
        // Retried or settled meanwhile (another operator): give back the contact just taken.
        await parts.backend.contacts.release?.(e.customerId, e);
        throw new NextbestError('CONFLICT', `delivery ${key} is no longer dead-lettered`);
      }
      await parts.audit.record({ actor: by.actor ?? 'system', action: 'delivery.retry', target: key, before: { status: e.status, lastError: e.lastError }, after: { status: 'pending' } });
      d.dispatcher?.wake();
      return d.outbox.get(key);
    },
    pull: d.pull,
    /** Counters and latencies since start, the outbox by status, each push channel's circuit. */
    async metrics() {
      const m = d.metrics.snapshot();
      // Retries are the dispatcher's own count (an attempt that failed and was put back with backoff).
      m.deliveries.retried = d.dispatcher?.totals.retried ?? 0;
      return { ...m, outbox: await d.outbox.counts(), circuits: d.dispatcher?.circuits() ?? {}, pushChannels: d.adapters.map((a) => a.channel) };
    },
  };
}
