import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BankEvent, type StoredEvent } from '../../src/core/events.js';
import { loadFeatures, OnlineFeatureStore } from '../../src/features/index.js';
import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import { compileTriggers, MemoryFireLog, parseTriggerYaml, TriggerConsumer, type TriggerDecisionRequest } from '../../src/triggers/index.js';

/**
 * Scenarios (events → features → triggers, STYLE.md 10): the real online feature store
 * applies each event, then the trigger consumer reads the profile it left, as the log
 * consumers run in the engine.
 */
const DAY = 86_400_000;
const T0 = Date.parse('2026-01-05T09:00:00Z');
const triggers = compileTriggers(parseTriggerYaml(readFileSync(new URL('../../catalogue/triggers.yaml', import.meta.url), 'utf8')));

function world() {
  const features = new OnlineFeatureStore(loadFeatures(undefined), new MemoryProfileStore());
  const requests: TriggerDecisionRequest[] = [];
  const consumer = new TriggerConsumer({
    fires: new MemoryFireLog(),
    triggers: () => triggers,
    readings: async (id) => ({ profile: (await features.values(id)).values, scores: {} }),
    customer: async () => ({ preferredChannel: 'email', view: {} }),
    decide: async (r) => (requests.push(r), { decisionId: `d${requests.length}`, chosen: [{ actionId: 'x' }] }),
  });
  let seq = 0;
  /** One event through features, then triggers. */
  const post = async (day: number, type: string, payload: Record<string, unknown>) => {
    const t = T0 + day * DAY;
    const stored: StoredEvent = { seq: ++seq, t, recordedAt: t, event: BankEvent.parse({ eventId: `e${seq}`, customerId: 'c1', occurredAt: new Date(t).toISOString(), schemaVersion: 1, type, payload }) };
    await features.onEvents([stored]);
    await consumer.apply([stored]);
  };
  return { post, requests, features };
}

describe('scenario: a large deposit', () => {
  it('a £50,000 deposit asks at once for an investment or savings decision on the preferred channel', async () => {
    const { post, requests } = world();
    await post(0, 'salary', { amount: { minor: 300_000, currency: 'GBP' } });
    await post(1, 'deposit', { amount: { minor: 5_000_000, currency: 'GBP' } });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ customerId: 'c1', channel: 'email', consider: { families: ['investment', 'savings'] }, context: { trigger: 'large_deposit_investment', trigger_event: 'e2' } });
    // A second large deposit within 30 days is held back by the once-per guard.
    await post(5, 'deposit', { amount: { minor: 6_000_000, currency: 'GBP' } });
    expect(requests).toHaveLength(1);
  });
});

describe('scenario: declining activity', () => {
  it('logins falling to under half of the month before fire retention once, when they cross', async () => {
    const { post, requests, features } = world();
    // A month of near-daily logins, then a month of one a week.
    for (let d = 0; d < 30; d++) await post(d, 'login', { channel: 'mobile_app' });
    for (let d = 31; d < 60; d += 7) await post(d, 'login', { channel: 'mobile_app' });
    const fired = requests.filter((r) => r.context.trigger === 'declining_activity_retention');
    expect(fired).toHaveLength(1);
    expect(fired[0]!.consider.families).toEqual(['retention']);
    expect((await features.values('c1')).values.logins_trend_30d).toBeLessThan(0.5);
  });
});
