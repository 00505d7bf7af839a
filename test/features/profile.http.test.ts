import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testApp } from '../helpers/app.js';
import { createEngine } from '../../src/engine.js';

const ev = (id: string, at: string, type: string, payload: object, customerId = 'c1') => ({ eventId: id, customerId, occurredAt: at, schemaVersion: 1, type, payload });
const events = [
  ev('l1', '2026-02-01T09:00:00Z', 'login', { channel: 'mobile_app' }),
  ev('l2', '2026-02-20T09:00:00Z', 'login', { channel: 'web' }),
  ev('p1', '2026-02-25T12:00:00Z', 'card_payment', { amount: { minor: -4250, currency: 'GBP' }, merchantCategoryCode: '5411' }),
  ev('s1', '2026-02-28T09:00:00Z', 'salary', { amount: { minor: 250000, currency: 'GBP' } }),
  // Arrives last but happened first: a late event.
  ev('l0', '2026-01-20T09:00:00Z', 'login', { channel: 'web' }),
];

describe('GET /v1/customers/{id}/profile and /v1/features', () => {
  it('shows each feature with its value and as-of time, updated by ingest, late events included', async () => {
    const t = await testApp();
    try {
      expect((await t.post('/v1/events', { events })).statusCode).toBe(200);
      const res = await t.app.inject({ method: 'GET', url: '/v1/customers/c1/profile' });
      expect(res.statusCode).toBe(200);
      const p = res.json();
      expect(p.asOf).toBe('2026-02-28T09:00:00.000Z');
      expect(p.latestEventAt).toBe('2026-02-28T09:00:00.000Z');
      // 30-day window as of 02-28: days 01-30 .. 02-28, so the 02-01 and 02-20 logins, not 01-20.
      expect(p.features.logins_30d).toEqual({ value: 2, unit: 'count', asOf: '2026-02-28T09:00:00.000Z', lastEventAt: '2026-02-20T09:00:00.000Z' });
      expect(p.features.card_spend_30d.value).toBeCloseTo(42.5, 10);
      expect(p.features.card_spend_groceries_30d.value).toBeCloseTo(42.5, 10);
      expect(p.features.days_since_last_login.value).toBeCloseTo(8, 10);
      expect(p.features.days_since_first_seen.value).toBeCloseTo(39, 10);
      expect(p.features.salary_mean_365d.value).toBeCloseTo(2500, 10);
      expect(p.features.salary_stddev_365d.value).toBeNull();

      const later = (await t.app.inject({ method: 'GET', url: '/v1/customers/c1/profile?asOf=2026-04-01T00:00:00Z' })).json();
      expect(later.features.logins_30d.value).toBe(0);
      expect(later.features.days_since_last_login.value).toBeCloseTo(39.625, 10);
      const now = (await t.app.inject({ method: 'GET', url: '/v1/customers/c1/profile?asOf=now' })).json();
      expect(now.asOf).toBe('2026-03-01T12:00:00.000Z');

      const early = await t.app.inject({ method: 'GET', url: '/v1/customers/c1/profile?asOf=2026-02-01T00:00:00Z' });
      expect(early.statusCode).toBe(422);
      expect(early.json().error.message).toMatch(/asOf/);
      expect((await t.app.inject({ method: 'GET', url: '/v1/customers/c1/profile?asOf=yesterday' })).statusCode).toBe(422);
      expect((await t.app.inject({ method: 'GET', url: '/v1/customers/nobody/profile' })).statusCode).toBe(404);

      const defs = (await t.app.inject({ method: 'GET', url: '/v1/features' })).json();
      expect(defs.features.length).toBeGreaterThanOrEqual(40);
      expect(defs.features.find((f: { name: string }) => f.name === 'idle_cash').kind).toBe('derived');
      const doc = t.engine && (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/customers/{customerId}/profile', '/v1/features']));
    } finally {
      await t.close();
    }
  });

  it('drops the profile when the customer is erased', async () => {
    const t = await testApp();
    try {
      await t.post('/v1/events', { events });
      await t.app.inject({ method: 'DELETE', url: '/v1/customers/c1' });
      expect((await t.app.inject({ method: 'GET', url: '/v1/customers/c1/profile' })).statusCode).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('replays the log after its checkpoint on start, so a crash loses no profile update', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nb-feat-'));
    const config = { dataDir, log: { level: 'silent' as const }, features: { checkpointEvents: 3 } };
    const a = await createEngine(config);
    await a.ingest(events.slice(0, 3));
    await a.ingest(events.slice(3));
    const before = await a.profile('c1');
    // No close(): the last two events were never checkpointed, as after a kill -9.
    const b = await createEngine(config);
    expect(await b.profile('c1')).toEqual(before);
    await b.close();
    const c = await createEngine(config);
    expect(await c.profile('c1')).toEqual(before);
    await c.close();
    await a.close();
  });
});
