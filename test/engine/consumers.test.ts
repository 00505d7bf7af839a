import { describe, it, expect } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { StoredEvent } from '../../src/core/events.js';
import { createEngine } from '../../src/engine.js';
import type { LogConsumer } from '../../src/index.js';
import { buildApp } from '../../src/server/app.js';

const T0 = '2026-03-02T12:00:00Z';
const customer = { customerId: 'k1', dateOfBirth: '1980-05-01', consents: { marketing: true, personalised_offers: true } };
const login = (i: number) => ({ eventId: `l${i}`, customerId: 'k1', type: 'login', occurredAt: new Date(Date.parse(T0) - 60_000 + i).toISOString(), schemaVersion: 1, payload: { channel: 'web' } });

/** A consumer standing in for a broken downstream (a trigger engine whose store is down). */
class Broken implements LogConsumer {
  readonly name = 'broken';
  failing = true;
  applied = 0;
  async open() {
    return 0;
  }
  async apply(events: readonly StoredEvent[]) {
    if (this.failing) throw new Error('trigger store unreachable');
    this.applied += events.length;
  }
  readonly erased: string[] = [];
  async erase(customerId: string) {
    this.erased.push(customerId);
  }
  async close() {}
}

describe('engine: derived state follows the log', () => {
  it('a consumer that throws never fails an ingest; it retries, reports its lag, and /readyz says not ready until it catches up', async () => {
    const broken = new Broken();
    const engine = await createEngine({ store: 'memory', log: { level: 'silent' }, consumers: { maxLagSeconds: 3600 } }, { clock: new ManualClock(T0), consumers: [broken] });
    const app = buildApp(engine, { logger: false, auth: { mode: 'none' } });
    await app.ready();
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ events: [login(1), login(2), login(3)] }) });
      expect(res.statusCode).toBe(200);
      expect(res.json().accepted).toBe(3);
      // Features (another consumer) are not held back by the broken one.
      const profile = await engine.profile('k1');
      expect(profile.latestEventAt).not.toBeNull();
      const deadline = Date.now() + 5000;
      while ((engine.consumers.status().find((s) => s.name === 'broken')?.failures ?? 0) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const status = engine.consumers.status().find((s) => s.name === 'broken')!;
      expect(status).toMatchObject({ appliedSeq: 0, headSeq: 3, lagEvents: 3, healthy: false, lastError: 'trigger store unreachable' });
      const lag = await app.inject({ method: 'GET', url: '/v1/ops/consumers' });
      expect(lag.json().consumers.map((c: { name: string; healthy: boolean }) => [c.name, c.healthy])).toEqual([
        ['features', true],
        ['responses', true],
        ['bandit', true],
        ['journeys', true],
        ['triggers', true],
        ['deliveries', true],
        ['broken', false],
      ]);
      const notReady = await app.inject({ method: 'GET', url: '/readyz' });
      expect(notReady.statusCode).toBe(503);
      expect(notReady.json().error).toMatchObject({ code: 'NOT_READY' });
      // The consumer's error text is for operators only.
      expect(notReady.body).not.toContain('trigger store unreachable');
      const why = (await app.inject({ method: 'GET', url: '/v1/ops/readiness' })).json();
      expect(why.ready).toBe(false);
      expect(why.reasons.join()).toContain('broken');
      expect(why.reasons.join()).toContain('trigger store unreachable');
      broken.failing = false;
      await engine.consumers.caughtUp(10_000);
      expect(broken.applied).toBe(3);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready' });
      expect((await app.inject({ method: 'GET', url: '/v1/ops/readiness' })).json().consumers.every((c: { lagEvents: number }) => c.lagEvents === 0)).toBe(true);
    } finally {
      await app.close();
      await engine.close();
    }
  });

  it('reads its writes: a decline ingested just before a decision starts the cool-down it sees, and the response is linked', async () => {
    const clock = new ManualClock(T0);
    const engine = await createEngine({ store: 'memory', log: { level: 'silent' } }, { clock });
    try {
      await engine.upsertCustomers([customer]);
      // A customer with one login is worth little; weigh savings up so the first decision chooses one (a contact costs its fatigue).
      await engine.catalogue.setLevers({ families: { savings: 20 } });
      await engine.ingest([login(1)]);
      const first = await engine.decide({ customerId: 'k1', channel: 'in_app' });
      const declined = first.chosen[0]!.actionId;
      await engine.ingest([{ eventId: 'r1', customerId: 'k1', type: 'offer_response', occurredAt: T0, schemaVersion: 1, payload: { decisionId: first.decisionId, actionId: declined, channel: 'in_app', response: 'declined' } }]);
      const after = await engine.decide({ customerId: 'k1', channel: 'in_app' });
      expect(after.candidates.find((c) => c.actionId === declined)?.excludedBy).toMatchObject({ kind: 'contact', rule: 'decline_cooldown' });
      expect((await engine.decision(first.decisionId)).responses).toEqual([{ actionId: declined, channel: 'in_app', response: 'declined', at: new Date(T0).toISOString() }]);
    } finally {
      await engine.close();
    }
  });

  it('a read that needs a consumer which cannot catch up fails with CONSUMER_LAG after the configured wait', async () => {
    const engine = await createEngine({ store: 'memory', log: { level: 'silent' }, consumers: { freshnessTimeoutMs: 50 } }, { clock: new ManualClock(T0), pauseConsumers: ['features'] });
    try {
      await engine.ingest([login(1)]);
      await expect(engine.profile('k1')).rejects.toMatchObject({ code: 'CONSUMER_LAG', status: 503 });
      engine.consumers.resume();
      expect((await engine.profile('k1')).latestEventAt).toBe(new Date(Date.parse(T0) - 60_000 + 1).toISOString());
    } finally {
      await engine.close();
    }
  });

  it('erasure reaches every consumer: features, response links and cool-downs, and any added one', async () => {
    const extra = new Broken();
    extra.failing = false;
    const engine = await createEngine({ store: 'memory', log: { level: 'silent' } }, { clock: new ManualClock(T0), consumers: [extra] });
    try {
      await engine.upsertCustomers([customer]);
      // A customer with one login is worth little; weigh savings up so the first decision chooses one (a contact costs its fatigue).
      await engine.catalogue.setLevers({ families: { savings: 20 } });
      await engine.ingest([login(1)]);
      const d = await engine.decide({ customerId: 'k1', channel: 'in_app' });
      await engine.ingest([{ eventId: 'r1', customerId: 'k1', type: 'offer_response', occurredAt: T0, schemaVersion: 1, payload: { decisionId: d.decisionId, actionId: d.chosen[0]!.actionId, channel: 'in_app', response: 'declined' } }]);
      await engine.eraseCustomer('k1');
      expect(extra.erased).toEqual(['k1']);
      expect((await engine.profile('k1')).latestEventAt).toBeNull();
      await expect(engine.decision(d.decisionId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await engine.close();
    }
  });
});
