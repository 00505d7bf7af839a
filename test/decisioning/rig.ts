import { readFileSync } from 'node:fs';
import { ManualClock } from '../../src/core/clock.js';
import { Customer, type CustomerInput } from '../../src/core/customer.js';
import type { StoredEvent, BankEvent } from '../../src/core/events.js';
import { Decisioning, parseCatalogueYaml, type Catalogue, type FeatureValues, type PropensityScorer } from '../../src/decisioning/index.js';
import type { BanditSettings } from '../../src/decisioning/bandit.js';
import type { CatalogueStore } from '../../src/store/catalogueStore.js';
import type { ContactStore } from '../../src/store/contactStore.js';
import type { DecisionLog } from '../../src/store/decisionLog.js';
import { MemoryContactStore } from '../../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../../src/store/memory/decisionLog.js';

export const SCENARIO_CATALOGUE = new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url);
export const scenarioCatalogue = (): Catalogue => parseCatalogueYaml(readFileSync(SCENARIO_CATALOGUE, 'utf8'));

/** A decisioning component on memory stores and a manual clock, with customers, profiles and events set by the test. */
export function rig(o: { catalogue?: Catalogue; start?: string; scorer?: PropensityScorer; contacts?: ContactStore; log?: DecisionLog; catalogues?: CatalogueStore; catalogueRefreshMs?: number; bandit?: BanditSettings } = {}) {
  const clock = new ManualClock(o.start ?? '2026-03-02T10:00:00Z');
  const customers = new Map<string, Customer>();
  const profiles = new Map<string, FeatureValues>();
  const events = new Map<string, StoredEvent[]>();
  let seq = 0;
  let ids = 0;
  const contacts = o.contacts ?? new MemoryContactStore();
  const log = o.log ?? new MemoryDecisionLog();
  const d = new Decisioning(o.catalogue ?? scenarioCatalogue(), {
    clock,
    customers: { get: async (id) => customers.get(id) },
    consentEvents: async (id) => (events.get(id) ?? []).filter((e) => e.event.type === 'consent_change'),
    profiles: { profile: async (id) => ({ values: profiles.get(id) ?? {}, version: 'test' }) },
    contacts,
    log,
    ...(o.scorer ? { scorer: o.scorer } : {}),
    ...(o.catalogues ? { catalogues: o.catalogues } : {}),
    ...(o.catalogueRefreshMs !== undefined ? { catalogueRefreshMs: o.catalogueRefreshMs } : {}),
    newDecisionId: () => `d-${++ids}`,
    ...(o.bandit ? { bandit: o.bandit } : {}),
  });
  const customer = (input: Partial<CustomerInput> & { customerId: string }, profile: FeatureValues = {}) => {
    customers.set(input.customerId, Customer.parse({ dateOfBirth: '1985-06-15', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true }, ...input }));
    profiles.set(input.customerId, profile);
  };
  /** Stores events and passes them to the decisioning component, as the engine does. */
  const emit = async (...es: BankEvent[]) => {
    const stored = es.map((event) => ({ seq: ++seq, t: Date.parse(event.occurredAt), recordedAt: clock.now(), event }));
    for (const s of stored) events.set(s.event.customerId, [...(events.get(s.event.customerId) ?? []), s]);
    await d.onEvents(stored);
  };
  const iso = () => new Date(clock.now()).toISOString();
  return { d, clock, customer, emit, contacts, log, iso };
}

let eventIds = 0;
/** An offer_response event now. */
export const response = (customerId: string, decisionId: string, actionId: string, response: 'shown' | 'clicked' | 'accepted' | 'declined', at: string, channel: 'push' | 'email' | 'in_app' = 'in_app'): BankEvent => ({
  eventId: `ev-${++eventIds}`,
  customerId,
  occurredAt: at,
  schemaVersion: 1,
  type: 'offer_response',
  payload: { decisionId, actionId, channel, response },
});

/** A consent_change event. */
export const consent = (customerId: string, granted: boolean, at: string, channel?: 'push' | 'email' | 'in_app'): BankEvent => ({
  eventId: `ev-${++eventIds}`,
  customerId,
  occurredAt: at,
  schemaVersion: 1,
  type: 'consent_change',
  payload: { purpose: 'marketing', granted, ...(channel ? { channel } : {}) },
});
