/**
 * Data-subject rights and data minimisation: the Art. 15 export bundle, who is left out of
 * training (Art. 21 objections), and the cut-offs of the retention periods. Pure functions
 * over readers passed in: the engine wires the stores.
 */
import type { Customer } from '../core/customer.js';
import type { ConsentPurpose, EventType, StoredEvent } from '../core/events.js';
import { MS_PER_DAY } from '../core/clock.js';
import type { RejectedItem } from '../store/rejectStore.js';

/** The format version of an export bundle; bumped when a part changes shape. */
export const EXPORT_FORMAT = 1;

/** Where an export reads one customer's data. Every reader answers for this customer only. */
export interface CustomerDataReaders {
  record(customerId: string): Promise<Customer | undefined>;
  events(customerId: string): Promise<StoredEvent[]>;
  /** Behavioural profile (feature values with as-of times). */
  profile(customerId: string): Promise<unknown>;
  /** Model scores of that profile (null without champions). */
  scores(customerId: string): Promise<unknown>;
  /** Logged decisions with their explanations and linked responses. */
  decisions(customerId: string): Promise<unknown[]>;
  /** Contacts made (deliveries counted against caps) and declines. */
  contacts(customerId: string): Promise<unknown>;
  /** Items of theirs the quarantine holds. */
  quarantined(customerId: string): Promise<RejectedItem[]>;
}

/** One change of consent, from the record's initial consents or a consent_change event. */
export interface ConsentChange {
  purpose: ConsentPurpose | string;
  granted: boolean;
  /** The channel the change applies to; absent: every channel. */
  channel?: string;
  /** ISO time of the change; null for the record's initial consents. */
  at: string | null;
  source: string;
}

/** Everything held about one customer (UK/EU GDPR Art. 15), in one JSON document. */
export interface CustomerExport {
  formatVersion: typeof EXPORT_FORMAT;
  customerId: string;
  exportedAt: string;
  record: Customer | null;
  events: StoredEvent[];
  profile: unknown;
  scores: unknown;
  decisions: unknown[];
  consentHistory: ConsentChange[];
  contacts: unknown;
  quarantined: RejectedItem[];
}

/** Builds the export bundle; undefined when nothing at all is held about the id. */
export async function buildCustomerExport(customerId: string, readers: CustomerDataReaders, now: number): Promise<CustomerExport | undefined> {
  const [record, events, decisions, quarantined] = await Promise.all([readers.record(customerId), readers.events(customerId), readers.decisions(customerId), readers.quarantined(customerId)]);
  if (!record && events.length === 0 && decisions.length === 0 && quarantined.length === 0) return undefined;
  const [profile, scores, contacts] = await Promise.all([readers.profile(customerId), readers.scores(customerId), readers.contacts(customerId)]);
  return {
    formatVersion: EXPORT_FORMAT,
    customerId,
    exportedAt: new Date(now).toISOString(),
    record: record ?? null,
    events,
    profile,
    scores,
    decisions,
    consentHistory: consentHistory(record, events),
    contacts,
    quarantined,
  };
}

/** The record's initial consents, then every consent_change in event-time order. */
export function consentHistory(record: Customer | undefined, events: readonly StoredEvent[]): ConsentChange[] {
  const out: ConsentChange[] = [];
  for (const [purpose, granted] of Object.entries(record?.consents ?? {})) if (granted !== undefined) out.push({ purpose, granted, at: null, source: 'customer_record' });
  const changes = events.filter((e) => e.event.type === 'consent_change').sort((a, b) => a.t - b.t || a.seq - b.seq);
  for (const s of changes) {
    const e = s.event;
    if (e.type !== 'consent_change') continue;
    out.push({ purpose: e.payload.purpose, granted: e.payload.granted, ...(e.payload.channel !== undefined ? { channel: e.payload.channel } : {}), at: new Date(s.t).toISOString(), source: e.payload.source ?? 'event' });
  }
  return out;
}

/**
 * Whether a customer's data may train models: not if, as things stand, they object to
 * profiling (UK GDPR Art. 21) or have withheld the purpose training relies on. Only
 * changes for every channel count: refusing profiling on one channel is about contact there.
 */
export function mayTrainOn(history: readonly ConsentChange[], trainingPurpose?: ConsentPurpose): boolean {
  const state = new Map<string, boolean>();
  for (const c of history) if (c.channel === undefined) state.set(c.purpose, c.granted);
  return state.get('profiling') !== false && (trainingPurpose === undefined || state.get(trainingPurpose) !== false);
}

/** Where training exclusions are read: every record's initial consents and every consent_change event. */
export interface ConsentSources {
  records(): AsyncIterable<readonly Customer[]>;
  consentEvents(): AsyncIterable<readonly StoredEvent[]>;
}

/** The ids of customers whose data must not train models (see mayTrainOn). */
export async function trainingExclusions(sources: ConsentSources, trainingPurpose?: ConsentPurpose): Promise<Set<string>> {
  const histories = new Map<string, { record: Customer | undefined; events: StoredEvent[] }>();
  const entry = (id: string) => histories.get(id) ?? histories.set(id, { record: undefined, events: [] }).get(id)!;
  for await (const page of sources.records()) for (const c of page) if (Object.keys(c.consents).length > 0) entry(c.customerId).record = c;
  for await (const page of sources.consentEvents()) for (const e of page) entry(e.event.customerId).events.push(e);
  const out = new Set<string>();
  for (const [id, h] of histories) if (!mayTrainOn(consentHistory(h.record, h.events), trainingPurpose)) out.add(id);
  return out;
}

/** Per event type with a retention period: events before this time (epoch ms) are due for purging. */
export function retentionCutoffs(retentionDays: Partial<Record<EventType, number>>, now: number): { type: EventType; before: number }[] {
  return Object.entries(retentionDays)
    .filter((e): e is [EventType, number] => typeof e[1] === 'number')
    .map(([type, days]) => ({ type, before: now - days * MS_PER_DAY }))
    .sort((a, b) => (a.type < b.type ? -1 : 1));
}
