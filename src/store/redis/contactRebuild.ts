import type { ContactRecord } from '../contactStore.js';
import type { LoggedDecision } from '../decisionLog.js';
import type { EventLog } from '../eventLog.js';

/** Where the contact history is rebuilt from: the decision log and the event log (both in PostgreSQL). */
export interface ContactSources {
  /** Decisions at or after `sinceMs`, a page at a time, oldest first. */
  decisionsSince(sinceMs: number): AsyncIterable<LoggedDecision[]>;
  /** A stored catalogue version, as the decision log keeps it. */
  getCatalogue(version: string): Promise<unknown>;
  eventLog: Pick<EventLog, 'readAfter'>;
}

/** Where the rebuilt history goes (the Redis contact store). */
export interface ContactSink {
  restoreContacts(customerId: string, contacts: readonly ContactRecord[]): Promise<void>;
  restoreCapacity(used: ReadonlyMap<string, number>): Promise<void>;
  recordDecline(customerId: string, decline: { actionId: string; family: string; at: number; eventId?: string }): Promise<void>;
}

interface StoredPick {
  actionId: string;
  family: string;
}

interface CatalogueCounters {
  contactPolicy?: { channelDailyCapacity?: Record<string, number> };
  actions?: { id: string; dailyCapacity?: number }[];
}

/**
 * Rebuilds the contact history from the logs after Redis lost it: every logged decision at
 * or after `sinceMs` gives back the contacts it committed (its chosen actions, at its time)
 * and, within the last two days, the daily volume counters it took (the keys of
 * `decisioning/policies/volume.ts`, per the catalogue version the decision used); every
 * decline (an `offer_response` event) at or after `sinceMs` is recorded again, once per event.
 */
export async function rebuildContacts(src: ContactSources, sink: ContactSink, o: { sinceMs: number; now: number }): Promise<{ contacts: number; declines: number; counters: number }> {
  const catalogues = new Map<string, CatalogueCounters | undefined>();
  const familyOf = new Map<string, string>();
  const used = new Map<string, number>();
  const countersFrom = o.now - 2 * 86_400_000;
  let contacts = 0;
  for await (const page of src.decisionsSince(o.sinceMs)) {
    const byCustomer = new Map<string, ContactRecord[]>();
    for (const d of page) {
      const record = d.record as { chosen?: StoredPick[]; inputs?: { sessionId?: string | null } };
      for (const pick of record.chosen ?? []) {
        familyOf.set(pick.actionId, pick.family);
        const c: ContactRecord = { decisionId: d.decisionId, actionId: pick.actionId, family: pick.family, channel: d.channel, at: d.decidedAt };
        if (record.inputs?.sessionId) c.sessionId = record.inputs.sessionId;
        byCustomer.set(d.customerId, [...(byCustomer.get(d.customerId) ?? []), c]);
        contacts++;
        if (d.decidedAt < countersFrom) continue;
        if (!catalogues.has(d.catalogueVersion)) catalogues.set(d.catalogueVersion, (await src.getCatalogue(d.catalogueVersion)) as CatalogueCounters | undefined);
        const cat = catalogues.get(d.catalogueVersion);
        const day = new Date(d.decidedAt).toISOString().slice(0, 10);
        if (cat?.contactPolicy?.channelDailyCapacity?.[d.channel] !== undefined) used.set(`channel:${d.channel}:${day}`, (used.get(`channel:${d.channel}:${day}`) ?? 0) + 1);
        if (cat?.actions?.find((a) => a.id === pick.actionId)?.dailyCapacity !== undefined) used.set(`action:${pick.actionId}:${day}`, (used.get(`action:${pick.actionId}:${day}`) ?? 0) + 1);
      }
    }
    for (const [customerId, list] of byCustomer) await sink.restoreContacts(customerId, list);
  }
  await sink.restoreCapacity(used);
  let declines = 0;
  for (let after = 0; ; ) {
    const events = await src.eventLog.readAfter(after, 5000);
    if (events.length === 0) break;
    after = events[events.length - 1]!.seq;
    for (const s of events) {
      const e = s.event;
      if (e.type !== 'offer_response' || e.payload.response !== 'declined' || s.t < o.sinceMs) continue;
      await sink.recordDecline(e.customerId, { actionId: e.payload.actionId, family: familyOf.get(e.payload.actionId) ?? 'unknown', at: s.t, eventId: e.eventId });
      declines++;
    }
  }
  return { contacts, declines, counters: used.size };
}
