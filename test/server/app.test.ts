import { describe, it, expect, afterEach } from 'vitest';
import { testApp } from '../helpers/app.js';
import { exampleEvents } from '../helpers/events.js';

let t: Awaited<ReturnType<typeof testApp>>;
afterEach(async () => t?.close());

describe('HTTP API', () => {
  it('ingests one event: 201, then 200 duplicate, then 409 conflict', async () => {
    t = await testApp();
    const e = exampleEvents()[0]!;
    expect((await t.post('/v1/events', e)).statusCode).toBe(201);
    const dup = await t.post('/v1/events', e);
    expect(dup.statusCode).toBe(200);
    expect(dup.json().results[0].status).toBe('duplicate');
    const conflict = await t.post('/v1/events', { ...e, payload: { amount: { minor: 1, currency: 'GBP' } } });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error.code).toBe('CONFLICT');
    expect(await t.engine.stores.eventLog.count()).toBe(1);
  });

  it('reports per item for a batch and stores only the good ones', async () => {
    t = await testApp();
    const good = exampleEvents();
    const bad = { ...good[0]!, eventId: 'bad-1', payload: { amount: { minor: -5, currency: 'GBP' } } };
    const res = await t.post('/v1/events', { events: [...good, bad, 42] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.accepted).toBe(good.length);
    expect(body.rejected).toBe(2);
    expect(body.results[good.length]).toMatchObject({ status: 'rejected', eventId: 'bad-1', issues: [{ field: 'payload.amount.minor', rule: 'sign' }] });
    expect(await t.engine.stores.eventLog.count()).toBe(good.length);
    const rejects = (await t.app.inject({ url: '/v1/ingest/rejects?limit=10' })).json();
    expect(rejects.total).toBe(2);
    expect(rejects.rejects[1]).toMatchObject({ eventId: 'bad-1', source: 'http' });
    const arr = await t.post('/v1/events', [good[1]]);
    expect(arr.json().duplicates).toBe(1);
  });

  it('says where JSON is malformed (400), refuses other media types (415) and oversize bodies (413)', async () => {
    t = await testApp({ server: { bodyLimitBytes: 2000, maxBatch: 3 } });
    const bad = await t.post('/v1/events', '{"eventId": "x",\n "type": }');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'MALFORMED_JSON' });
    expect(bad.json().error.message).toMatch(/line 2, column/);
    const plain = await t.app.inject({ method: 'POST', url: '/v1/events', payload: 'hi', headers: { 'content-type': 'text/plain' } });
    expect(plain.statusCode).toBe(415);
    expect(plain.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const big = await t.post('/v1/events', { events: Array.from({ length: 100 }, () => exampleEvents()[0]) });
    expect(big.statusCode).toBe(413);
    const many = await t.post('/v1/events', exampleEvents().slice(0, 4));
    expect(many.statusCode).toBe(413);
    expect(many.json().error.message).toMatch(/at most 3/);
    const empty = await t.post('/v1/events', '');
    expect(empty.statusCode).toBeLessThan(500);
  });

  it('upserts, reads and erases customers; erased customers cannot come back', async () => {
    t = await testApp();
    const put = await t.app.inject({ method: 'PUT', url: '/v1/customers/c-9', payload: { dateOfBirth: '1990-05-01', riskTolerance: 'medium' } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ customerId: 'c-9', country: 'GB', timeZone: 'Europe/London' });
    const badTz = await t.app.inject({ method: 'PUT', url: '/v1/customers/c-9', payload: { timeZone: 'Mars/Olympus' } });
    expect(badTz.statusCode).toBe(422);
    expect(badTz.json().error.details.issues[0].field).toBe('timeZone');
    await t.post('/v1/events', exampleEvents('c-9'));
    const events = (await t.app.inject({ url: '/v1/customers/c-9/events' })).json().events;
    expect(events.length).toBe(21);
    const del = (await t.app.inject({ method: 'DELETE', url: '/v1/customers/c-9' })).json();
    expect(del).toMatchObject({ record: true, events: 21 });
    expect((await t.app.inject({ url: '/v1/customers/c-9' })).statusCode).toBe(404);
    const again = await t.post('/v1/events', { ...exampleEvents('c-9')[0]!, eventId: 'new-1' });
    expect(again.statusCode).toBe(422);
    expect(again.json().error.details.issues[0].rule).toBe('erased_customer');
    const batch = await t.post('/v1/customers', { customers: [{ customerId: 'c-9' }, { customerId: 'ok-1' }, { customerId: '' }] });
    expect(batch.json().results.map((r: { status: string }) => r.status)).toEqual(['rejected', 'upserted', 'rejected']);
  });

  it('serves health, readiness, OpenAPI and the reference page', async () => {
    t = await testApp();
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ url: '/readyz' })).json().status).toBe('ready');
    // A store that does not answer its ping (PostgreSQL, Redis) makes the instance not ready.
    t.engine.dependencies = async () => [{ name: 'postgres', ok: true }, { name: 'redis', ok: false, error: 'Redis did not answer within 500 ms' }];
    const notReady = await t.app.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    // Public: only the verdict; the reasons (hosts, errors) are behind the audit:read scope.
    expect(notReady.json().error.code).toBe('NOT_READY');
    expect(notReady.body).not.toContain('redis');
    const why = await t.app.inject({ url: '/v1/ops/readiness' });
    expect(why.statusCode).toBe(200);
    expect(why.json()).toMatchObject({ ready: false, dependencies: [{ name: 'postgres', ok: true }, { name: 'redis', ok: false }] });
    expect(why.json().reasons.join()).toContain('redis (Redis did not answer within 500 ms)');
    const doc = (await t.app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/customers/{customerId}', '/v1/ingest/rejects']));
    const schema = JSON.stringify(doc.paths['/v1/events'].post.requestBody);
    expect(schema).toContain('merchantCategoryCode');
    const page = await t.app.inject({ url: '/docs' });
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('/v1/events');
    expect((await t.app.inject({ url: '/nope' })).json().error.code).toBe('NOT_FOUND');
    expect((await t.app.inject({ url: '/v1/ingest/rejects?limit=abc' })).json().error.details.issues[0].field).toBe('query.limit');
  });

  it('requires a bearer key on /v1 when keys are configured', async () => {
    t = await testApp({ server: { apiKeys: ['k'.repeat(32)] } });
    expect((await t.post('/v1/events', exampleEvents()[0])).statusCode).toBe(401);
    expect((await t.post('/v1/events', exampleEvents()[0], { authorization: `Bearer ${'k'.repeat(32)}` })).statusCode).toBe(201);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('GET /v1/customers', () => {
  it('lists records a page at a time with a next cursor, and refuses a bad limit', async () => {
    t = await testApp();
    const res = await t.post('/v1/customers', { customers: ['c-3', 'c-1', 'c-2'].map((customerId) => ({ customerId })) });
    expect(res.statusCode).toBe(200);
    const first = await t.app.inject({ method: 'GET', url: '/v1/customers?limit=2' });
    expect(first.statusCode).toBe(200);
    expect(first.json().customers.map((c: { customerId: string }) => c.customerId)).toEqual(['c-1', 'c-2']);
    expect(first.json().next).toBe('c-2');
    const second = (await t.app.inject({ method: 'GET', url: '/v1/customers?limit=2&after=c-2' })).json();
    expect(second).toEqual({ customers: [expect.objectContaining({ customerId: 'c-3' })], next: null });
    const bad = await t.app.inject({ method: 'GET', url: '/v1/customers?limit=5000' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues[0]).toMatchObject({ field: 'query.limit', rule: 'max' });
  });
});
