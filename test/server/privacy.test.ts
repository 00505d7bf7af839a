import { describe, it, expect, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { testApp } from '../helpers/app.js';
import { exampleEvents } from '../helpers/events.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
const ADMIN = 'k'.repeat(32);

describe('privacy and the audit trail over HTTP', () => {
  let h: Awaited<ReturnType<typeof testApp>>;
  afterEach(async () => h?.close());
  const admin = { authorization: `Bearer ${ADMIN}` };

  async function withCustomer(id: string) {
    h = await testApp({ decisioning: { catalogue }, server: { apiKeys: [ADMIN] } });
    const up = await h.post('/v1/customers', { customers: [{ customerId: id, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true }, attributes: { email: 'ada@example.org', full_name: 'Ada Lovelace' } }] }, admin);
    expect(up.json().upserted).toBe(1);
    const ev = await h.post('/v1/events', { events: exampleEvents(id, '2026-03-01T09:00:00Z').map((e) => (e.type === 'market_event' ? e : { ...e, customerId: id })) }, admin);
    expect(ev.json().rejected).toBe(0);
    await h.post('/v1/events', { events: [{ eventId: 'cc1', customerId: id, occurredAt: '2026-03-01T10:00:00Z', schemaVersion: 1, type: 'consent_change', payload: { purpose: 'profiling', granted: false, source: 'app' } }] }, admin);
    const d = await h.post('/v1/decisions', { customerId: id, channel: 'in_app', n: 2 }, admin);
    expect(d.statusCode).toBe(200);
    return d.json();
  }

  it('exports each part of what is held (Art. 15), with the privacy scope only, and audits the export without the id', async () => {
    const id = 'cust-export-1';
    const decision = await withCustomer(id);
    const reader = await h.keyFor(['profiles:read']);
    expect((await h.app.inject({ method: 'GET', url: `/v1/customers/${id}/export`, headers: reader })).statusCode).toBe(403);
    const dpo = await h.keyFor(['privacy']);
    const res = await h.app.inject({ method: 'GET', url: `/v1/customers/${id}/export`, headers: { authorization: dpo.authorization } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const b = res.json();
    expect(b.formatVersion).toBe(1);
    expect(b.record).toMatchObject({ customerId: id, attributes: { email: 'ada@example.org' } });
    expect(b.events.length).toBe(exampleEvents().filter((e) => e.type !== 'market_event').length + 1);
    expect(b.events.every((e: { event: { customerId: string } }) => e.event.customerId === id)).toBe(true);
    expect(b.profile).toMatchObject({ customerId: id });
    expect(b).toHaveProperty('scores');
    expect(b.decisions).toHaveLength(1);
    expect(b.decisions[0]).toMatchObject({ decisionId: decision.decisionId, explanation: { winner: expect.any(Object) } });
    expect(Array.isArray(b.decisions[0].explanation.excluded)).toBe(true);
    expect(b.consentHistory).toEqual([
      { purpose: 'marketing', granted: true, at: null, source: 'customer_record' },
      { purpose: 'marketing', granted: false, channel: 'email', at: '2026-03-01T09:00:00.000Z', source: 'app' },
      expect.objectContaining({ purpose: 'profiling', granted: false, source: 'app', at: '2026-03-01T10:00:00.000Z' }),
    ]);
    expect(b.contacts.contacts.length).toBeGreaterThan(0);
    expect(b.quarantined).toEqual([]);

    const trail = (await h.app.inject({ method: 'GET', url: '/v1/audit', headers: admin })).json();
    const exp = trail.entries.find((e: { action: string }) => e.action === 'customer.export');
    expect(exp).toMatchObject({ actor: dpo.id, target: expect.stringMatching(/^customer:[0-9a-f]{64}$/) });
    expect(JSON.stringify(trail)).not.toContain(id);
    expect((await h.app.inject({ method: 'GET', url: '/v1/customers/nobody/export', headers: admin })).statusCode).toBe(404);
  });

  it('erasure: unknown id is 404 with no tombstone, * (market data) is 404 and keeps market events, twice is 410', async () => {
    await withCustomer('c-known');
    const unknown = await h.app.inject({ method: 'DELETE', url: '/v1/customers/never-seen', headers: admin });
    expect(unknown.statusCode).toBe(404);
    // No tombstone: the id can still become a customer.
    expect((await h.post('/v1/customers', { customers: [{ customerId: 'never-seen' }] }, admin)).json().upserted).toBe(1);

    const marketBefore = await h.engine.stores.eventLog.count({ customerId: '*' });
    expect(marketBefore).toBe(1);
    for (const url of ['/v1/customers/*', '/v1/customers/%2A']) {
      const star = await h.app.inject({ method: 'DELETE', url, headers: admin });
      expect(star.statusCode).toBe(404);
      expect(star.json().error.message).toMatch(/market events/);
    }
    expect(await h.engine.stores.eventLog.count({ customerId: '*' })).toBe(marketBefore);
    expect((await h.engine.stores.customers.erasedAmong(['*'])).size).toBe(0);

    const first = await h.app.inject({ method: 'DELETE', url: '/v1/customers/c-known', headers: admin });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ record: true, events: exampleEvents().length - 1 + 1 });
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/customers/c-known', headers: admin })).statusCode).toBe(410);
    expect((await h.app.inject({ method: 'GET', url: '/v1/customers/c-known/export', headers: admin })).statusCode).toBe(410);
  });

  it('erases ids of every valid length over HTTP, up to 128 characters', async () => {
    h = await testApp({ server: { apiKeys: [ADMIN] } });
    for (const n of [1, 99, 100, 101, 127, 128]) {
      const id = `c${'9'.repeat(n - 1)}`.slice(0, n);
      expect((await h.post('/v1/customers', { customers: [{ customerId: id }] }, admin)).json().upserted).toBe(1);
      const res = await h.app.inject({ method: 'DELETE', url: `/v1/customers/${id}`, headers: admin });
      expect(res.statusCode, `id of ${n} characters`).toBe(200);
      expect(res.json().record).toBe(true);
    }
    const encoded = `c:${'@'.repeat(126)}`;
    expect((await h.post('/v1/customers', { customers: [{ customerId: encoded }] }, admin)).json().upserted).toBe(1);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/customers/${encodeURIComponent(encoded)}`, headers: admin })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/customers/c${'9'.repeat(128)}`, headers: admin })).statusCode).toBe(422);
  });

  it('every administrative act is in the trail with its actor and before/after; the chain verifies; audit:read is needed', async () => {
    await withCustomer('c-acts');
    const editor = await h.keyFor(['catalogue:write']);
    const dpo = await h.keyFor(['privacy']);
    const auditor = await h.keyFor(['audit:read']);
    const actions = (await h.app.inject({ method: 'GET', url: '/v1/actions', headers: admin })).json().actions;
    const a = actions[0];
    const put = await h.app.inject({ method: 'PUT', url: `/v1/actions/${a.id}`, headers: { authorization: editor.authorization, 'content-type': 'application/json' }, payload: { ...a, name: `${a.name} (edited)` } });
    expect(put.statusCode).toBe(200);
    const newAction = { ...a, id: 'audit_probe', name: 'Audit probe' };
    expect((await h.app.inject({ method: 'PUT', url: '/v1/actions/audit_probe', headers: { authorization: editor.authorization, 'content-type': 'application/json' }, payload: newAction })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/actions/audit_probe', headers: { authorization: editor.authorization } })).statusCode).toBe(200);
    const levers = (await h.app.inject({ method: 'GET', url: '/v1/levers', headers: admin })).json();
    const nextLevers = { ...levers, actions: { ...(levers.actions ?? {}), [a.id]: 80 } };
    expect((await h.app.inject({ method: 'PUT', url: '/v1/levers', headers: { authorization: editor.authorization, 'content-type': 'application/json' }, payload: nextLevers })).statusCode).toBe(200);
    const cat = (await h.app.inject({ method: 'GET', url: '/v1/catalogue', headers: admin })).json();
    const replaced = await h.app.inject({ method: 'PUT', url: '/v1/catalogue', headers: { authorization: editor.authorization, 'content-type': 'application/json' }, payload: cat.catalogue ?? cat });
    expect(replaced.statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/customers/c-acts', headers: { authorization: dpo.authorization } })).statusCode).toBe(200);

    expect((await h.app.inject({ method: 'GET', url: '/v1/audit', headers: { authorization: editor.authorization } })).statusCode).toBe(403);
    const page = await h.app.inject({ method: 'GET', url: '/v1/audit?limit=3&verify=true', headers: { authorization: auditor.authorization } });
    expect(page.statusCode).toBe(200);
    expect(page.json().entries).toHaveLength(3);
    expect(page.json().next).toBe(3);
    expect(page.json().chain).toMatchObject({ ok: true, entries: 6 });
    const all = (await h.app.inject({ method: 'GET', url: '/v1/audit?limit=100', headers: { authorization: auditor.authorization } })).json();
    expect(all.next).toBeNull();
    const byAction = (act: string) => all.entries.filter((e: { action: string }) => e.action === act);
    const [edit, created] = byAction('catalogue.action.put');
    expect(edit).toMatchObject({ actor: editor.id, target: a.id, before: { name: a.name }, after: { name: `${a.name} (edited)` } });
    expect(created).toMatchObject({ actor: editor.id, target: 'audit_probe', before: null, after: { name: 'Audit probe' } });
    expect(byAction('catalogue.action.delete')[0]).toMatchObject({ actor: editor.id, target: 'audit_probe', before: { name: 'Audit probe' }, after: { catalogueVersion: expect.any(String) } });
    expect(byAction('catalogue.levers')[0]).toMatchObject({ actor: editor.id, before: levers, after: { actions: { [a.id]: 80 } } });
    expect(byAction('catalogue.replace')[0]).toMatchObject({ actor: editor.id, before: { catalogueVersion: expect.any(String) }, after: { catalogueVersion: expect.any(String) } });
    expect(byAction('customer.erase')[0]).toMatchObject({ actor: dpo.id, target: expect.stringMatching(/^customer:[0-9a-f]{64}$/), after: { record: true } });
    expect(JSON.stringify(all)).not.toContain('c-acts');
    expect(all.entries.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
