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

interface CatalogueCounters {
  contactPolicy?: { channelDailyCapacity?: Record<string, number> };
  actions?: { id: string; family?: string; dailyCapacity?: number }[];
}

type Inputs = { inputs?: { sessionId?: string | null } };
/**
 * A decision's session id: in the record's inputs, which the packed form (decisioning/storedRecord.ts,
 * `{ stored, record }`) keeps as they were. The store cannot import the decisioning module's reader.
 */
const sessionOf = (r: unknown): string | null | undefined => (r as Inputs | null)?.inputs?.sessionId ?? (r as { record?: Inputs } | null)?.record?.inputs?.sessionId;

/**
 * Rebuilds the contact history from the logs after Redis lost it: every logged decision at
 * or after `sinceMs` gives back the contacts it committed (its chosen actions, at its time:
 * the `chosenActions` column, each action's family from the catalogue version it was decided on)
 * and, within the last two days, the daily volume counters it took (the keys of
 * `decisioning/policies/volume.ts`, per the catalogue version the decision used); every
 * decline (an `offer_response` event) at or after `sinceMs` is recorded again, once per event.
 */
export async function rebuildContacts(src: ContactSources, sink: ContactSink, o: { sinceMs: number; now: number }): Promise<{ contacts: number; declines: number; counters: number }> {
  const catalogues = new Map<string, CatalogueCounters | undefined>();
  const familyOf = new Map<string, string>();
  const used = new Map<string, number>();
  const countersFrom = o.now - 2 * 86_400_000;
  const bump = (key: string) => used.set(key, (used.get(key) ?? 0) + 1);
  let contacts = 0;
  for await (const page of src.decisionsSince(o.sinceMs)) {
    const byCustomer = new Map<string, ContactRecord[]>();
    for (const d of page) {
      if (d.chosenActions.length === 0) continue;
      const sessionId = sessionOf(d.record);
      if (!catalogues.has(d.catalogueVersion)) catalogues.set(d.catalogueVersion, (await src.getCatalogue(d.catalogueVersion)) as CatalogueCounters | undefined);
      const cat = catalogues.get(d.catalogueVersion);
      const list = byCustomer.get(d.customerId) ?? [];
      byCustomer.set(d.customerId, list);
      for (const actionId of d.chosenActions) {
        const action = cat?.actions?.find((a) => a.id === actionId);
        const family = action?.family ?? familyOf.get(actionId) ?? 'unknown';
        familyOf.set(actionId, family);
        const c: ContactRecord = { decisionId: d.decisionId, actionId, family, channel: d.channel, at: d.decidedAt };
        if (sessionId) c.sessionId = sessionId;
        list.push(c);
        contacts++;
        if (d.decidedAt < countersFrom) continue;
        const day = new Date(d.decidedAt).toISOString().slice(0, 10);
        if (cat?.contactPolicy?.channelDailyCapacity?.[d.channel] !== undefined) bump(`channel:${d.channel}:${day}`);
        if (action?.dailyCapacity !== undefined) bump(`action:${actionId}:${day}`);
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
