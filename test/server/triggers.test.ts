import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.js';

/** /v1/triggers and /v1/deliveries through the HTTP API (inject), on the in-memory engine. */
let h: Awaited<ReturnType<typeof testApp>> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const NOW = Date.parse('2026-03-01T12:00:00Z');
const iso = (t: number) => new Date(t).toISOString();

describe('/v1/triggers', () => {
  it('lists the ready-made three, edits one (compiled first, audited), refuses a broken condition naming the field, deletes', async () => {
    h = await testApp();
    const list = await h.app.inject({ method: 'GET', url: '/v1/triggers' });
    expect(list.statusCode).toBe(200);
    expect(list.json().triggers.map((t: { id: string }) => t.id)).toEqual(['declining_activity_retention', 'financial_stress_refinancing', 'large_deposit_investment']);
    // A GET body reads back as a PUT body (oncePer in ms).
    const got = (await h.app.inject({ method: 'GET', url: '/v1/triggers/large_deposit_investment' })).json();
    expect(got.oncePer).toBe(30 * 86_400_000);
    const back = await h.app.inject({ method: 'PUT', url: '/v1/triggers/large_deposit_investment', payload: { ...got, priority: 120 } });
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ created: false, trigger: { priority: 120 } });

    const bad = await h.app.inject({ method: 'PUT', url: '/v1/triggers/big_salary', payload: { kind: 'event', events: ['salary'], condition: 'event.payload.amount.minor >=', consider: { families: ['savings'] }, oncePer: '30d' } });
    expect(bad.statusCode).toBe(422);
    expect(JSON.stringify(bad.json())).toContain('condition');
    const unknownRoot = await h.app.inject({ method: 'PUT', url: '/v1/triggers/big_salary', payload: { kind: 'event', events: ['salary'], condition: 'balance > 3', consider: { families: ['savings'] }, oncePer: '30d' } });
    expect(unknownRoot.statusCode).toBe(422);
    const badPeriod = await h.app.inject({ method: 'PUT', url: '/v1/triggers/big_salary', payload: { kind: 'event', events: ['salary'], consider: { families: ['savings'] }, oncePer: 'monthly' } });
    expect(badPeriod.statusCode).toBe(422);
    expect(JSON.stringify(badPeriod.json())).toContain('oncePer');

    const created = await h.app.inject({ method: 'PUT', url: '/v1/triggers/big_salary', payload: { kind: 'event', events: ['salary'], condition: 'event.payload.amount.minor >= 1000000', consider: { families: ['savings'] }, oncePer: '30d' } });
    expect(created.statusCode).toBe(200);
    expect(created.json().created).toBe(true);
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/triggers/big_salary' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/v1/triggers/big_salary' })).statusCode).toBe(404);
    const audit = (await h.app.inject({ method: 'GET', url: '/v1/audit' })).json();
    expect(audit.entries.map((e: { action: string; target: string }) => `${e.action} ${e.target}`)).toEqual(expect.arrayContaining(['trigger.put large_deposit_investment', 'trigger.put big_salary', 'trigger.delete big_salary']));
  });

  it('tests the triggers against a customer\'s history: a large deposit would fire, a second within 30 days is held back', async () => {
    h = await testApp();
    await h.post('/v1/customers', { customers: [{ customerId: 'c1', preferredChannel: 'email', consents: { marketing: true, personalised_offers: true } }] });
    const ev = (id: string, daysAgo: number, minor: number) => ({ eventId: id, customerId: 'c1', occurredAt: iso(NOW - daysAgo * 86_400_000), schemaVersion: 1, type: 'deposit', payload: { amount: { minor, currency: 'GBP' } } });
    expect((await h.post('/v1/events', { events: [ev('a', 20, 6_000_000), ev('b', 10, 7_000_000), ev('c', 5, 10_000)] })).statusCode).toBe(200);
    const r = await h.post('/v1/triggers/test', { customerId: 'c1' });
    expect(r.statusCode).toBe(200);
    expect(r.json().fires.map((f: { triggerId: string; eventId: string; channels: string[] }) => [f.triggerId, f.eventId, f.channels[0]])).toEqual([['large_deposit_investment', 'a', 'email']]);
    expect(r.json().heldBack).toContainEqual(expect.objectContaining({ triggerId: 'large_deposit_investment', eventId: 'b' }));
    expect((await h.post('/v1/triggers/test', { customerId: 'nobody' })).statusCode).toBe(404);
  });
});

describe('/v1/deliveries', () => {
  it('a decision with deliver: true is in the outbox; the app claims and acknowledges it; metrics count it; a dead letter can be retried', async () => {
    h = await testApp();
    await h.post('/v1/customers', { customers: [{ customerId: 'c1', dateOfBirth: '1980-01-01', consents: { marketing: true, personalised_offers: true } }] });
    // A customer without history is worth little against a contact's fatigue cost: weigh savings up so the decision chooses.
    await h.engine.catalogue.setLevers({ families: { savings: 20 } });
    const d = await h.post('/v1/decisions', { customerId: 'c1', channel: 'in_app', deliver: true });
    expect(d.statusCode).toBe(200);
    const chosen = d.json().chosen as { actionId: string }[];
    expect(chosen.length).toBeGreaterThan(0);
    const key = `${d.json().decisionId}:${chosen[0]!.actionId}:in_app`;
    const pending = await h.app.inject({ method: 'GET', url: '/v1/deliveries/pull/in_app?customerId=c1' });
    expect(pending.json().deliveries.map((e: { key: string }) => e.key)).toEqual([key]);
    const claim = await h.post('/v1/deliveries/pull/in_app/claim', { customerId: 'c1', by: 'app-1' });
    expect(claim.json().deliveries).toHaveLength(1);
    expect((await h.post(`/v1/deliveries/${encodeURIComponent(key)}/ack`, { by: 'someone-else', outcome: 'delivered' })).statusCode).toBe(409);
    const ack = await h.post(`/v1/deliveries/${encodeURIComponent(key)}/ack`, { by: 'app-1', outcome: 'failed', error: 'slot closed' });
    expect(ack.json()).toMatchObject({ status: 'dead', lastError: 'slot closed' });
    const dead = await h.app.inject({ method: 'GET', url: '/v1/deliveries?status=dead' });
    expect(dead.json().counts.dead).toBe(1);
    const retry = await h.post(`/v1/deliveries/${encodeURIComponent(key)}/retry`, {});
    expect(retry.json()).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await h.post(`/v1/deliveries/${encodeURIComponent(key)}/retry`, {})).statusCode).toBe(409);
    const m = (await h.app.inject({ method: 'GET', url: '/v1/deliveries/metrics' })).json();
    expect(m.deliveries).toMatchObject({ enqueued: 1, failed: 1 });
    expect(m.outbox.pending).toBe(1);
    expect((await h.app.inject({ method: 'GET', url: '/v1/deliveries/pull/email?customerId=c1' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/v1/deliveries/pull/in_app' })).statusCode).toBe(422);
  });
});
