import { describe, it, expect, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { testApp } from '../helpers/app.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));

describe('decisions and actions over HTTP', () => {
  let h: Awaited<ReturnType<typeof testApp>>;
  afterEach(async () => h?.close());

  it('decides, reads the logged decision with its responses, and replays it', async () => {
    h = await testApp({ decisioning: { catalogue } });
    await h.post('/v1/customers', { customers: [{ customerId: 'c1', dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } }] });
    const res = await h.post('/v1/decisions', { customerId: 'c1', channel: 'in_app', n: 2 });
    expect(res.statusCode).toBe(200);
    const d = res.json();
    expect(d.formatVersion).toBe(1);
    expect(d.chosen.map((c: { actionId: string }) => c.actionId)).toEqual(['card', 'saver']);
    expect(d.explanation.winner.actionId).toBe('card');
    // A response event links back to the decision.
    const ev = await h.post('/v1/events', { events: [{ eventId: 'r1', customerId: 'c1', occurredAt: '2026-03-01T12:05:00Z', schemaVersion: 1, type: 'offer_response', payload: { decisionId: d.decisionId, actionId: 'card', channel: 'in_app', response: 'accepted' } }] });
    expect(ev.statusCode).toBe(200);
    const got = await h.app.inject({ method: 'GET', url: `/v1/decisions/${d.decisionId}` });
    expect(got.statusCode).toBe(200);
    expect(got.json().responses).toEqual([{ actionId: 'card', channel: 'in_app', response: 'accepted', at: '2026-03-01T12:05:00.000Z' }]);
    const replay = await h.app.inject({ method: 'POST', url: `/v1/decisions/${d.decisionId}/replay` });
    expect(replay.json()).toMatchObject({ identical: true, differences: [] });
    // The summary points at the whole record, which ?view=full returns as logged.
    expect(d.candidates).toBeUndefined();
    expect(d.record).toBe(`/v1/decisions/${d.decisionId}`);
    expect(d.explanation.excludedCount).toBe(got.json().explanation.excluded.length);
    expect(d.explanation.winner).toEqual(got.json().explanation.winner);
    const full = await h.app.inject({ method: 'POST', url: '/v1/decisions?view=full', payload: { customerId: 'c1', channel: 'in_app', n: 2 } });
    expect(full.statusCode).toBe(200);
    const { responses, ...logged } = (await h.app.inject({ method: 'GET', url: `/v1/decisions/${full.json().decisionId}` })).json();
    expect(responses).toEqual([]);
    expect(full.json()).toEqual(logged);
    expect(full.json().candidates.length).toBeGreaterThan(0);
    expect((await h.app.inject({ method: 'POST', url: '/v1/decisions?view=all', payload: { customerId: 'c1', channel: 'in_app' } })).json().error.details.issues[0]).toMatchObject({ field: 'query.view' });
  });

  it('names the field of a bad request and 404s unknown customers and decisions', async () => {
    h = await testApp({ decisioning: { catalogue } });
    const bad = await h.post('/v1/decisions', { customerId: 'c1', channel: 'pigeon' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues[0]).toMatchObject({ field: 'channel', rule: 'enum' });
    expect((await h.post('/v1/decisions', { customerId: 'ghost', channel: 'email' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/v1/decisions/nope' })).statusCode).toBe(404);
  });

  it('catalogue CRUD checks and compiles rules before they take effect; levers change at run time', async () => {
    h = await testApp({ decisioning: { catalogue } });
    const list = await h.app.inject({ method: 'GET', url: '/v1/actions' });
    expect(list.json().actions.map((a: { id: string }) => a.id)).toEqual(['card', 'saver', 'fund', 'help', 'spring']);
    const put = (id: string, body: unknown) => h.app.inject({ method: 'PUT', url: `/v1/actions/${id}`, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const action = { name: 'Cashback', family: 'credit_card', value: { amountGbp: 90 }, message: { headline: 'Cashback', body: 'Cashback card.' }, treatments: { email: {} }, policies: [{ kind: 'eligibility', when: 'customer.age >= 21', reason: 'under 21' }] };
    const created = await put('cashback', action);
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ created: true, action: { id: 'cashback', purpose: 'marketing', prior: 0.02 } });
    const badCel = await put('cashback', { ...action, policies: [{ kind: 'eligibility', when: 'customer.age >=', reason: 'x' }] });
    expect(badCel.statusCode).toBe(422);
    expect(badCel.json().error.details.issues[0]).toMatchObject({ rule: 'cel' });
    // A rule that would stall every decision (comprehensions six deep) is refused when saved.
    const L = `[${Array.from({ length: 20 }, (_, i) => i).join(', ')}]`;
    const stall = `${L}.all(a, ${L}.all(b, ${L}.all(c, ${L}.all(d, ${L}.all(e, ${L}.all(f, a + b + c + d + e + f >= 0))))))`;
    const costly = await put('cashback', { ...action, policies: [{ kind: 'eligibility', when: stall, reason: 'x' }] });
    expect(costly.statusCode).toBe(422);
    expect(costly.json().error.details.issues).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.stringContaining('policies'), rule: 'cel_nesting' })]));
    expect((await put('cashback', { ...action, family: 'mortgage' })).json().error.details.issues[0]).toMatchObject({ field: 'family', rule: 'enum' });
    expect((await put('other', { ...action, id: 'cashback' })).statusCode).toBe(422);
    expect((await h.app.inject({ method: 'GET', url: '/v1/actions/cashback' })).json().policies[0].when).toBe('customer.age >= 21');
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/actions/cashback' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/v1/actions/cashback' })).statusCode).toBe(404);

    const levers = await h.app.inject({ method: 'PUT', url: '/v1/levers', payload: JSON.stringify({ families: { savings: 5 } }), headers: { 'content-type': 'application/json' } });
    expect(levers.json()).toEqual({ families: { savings: 5 }, actions: {} });
    await h.post('/v1/customers', { customers: [{ customerId: 'c2', dateOfBirth: '1980-01-01', consents: { marketing: true, personalised_offers: true } }] });
    expect((await h.post('/v1/decisions', { customerId: 'c2', channel: 'in_app' })).json().chosen[0].actionId).toBe('saver');
    expect((await h.app.inject({ method: 'PUT', url: '/v1/levers', payload: JSON.stringify({ families: { savings: 'high' } }), headers: { 'content-type': 'application/json' } })).statusCode).toBe(422);
  });

  it('documents the routes in OpenAPI', async () => {
    h = await testApp();
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const p of ['/v1/decisions', '/v1/decisions/{decisionId}', '/v1/decisions/{decisionId}/replay', '/v1/actions', '/v1/actions/{actionId}', '/v1/levers']) expect(doc.paths[p]).toBeDefined();
  });
});
