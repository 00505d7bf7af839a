import { describe, it, expect, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { testApp } from '../helpers/app.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
const consents = { marketing: true, personalised_offers: true };

describe('GET /v1/decisions: reviewers find decisions', () => {
  let h: Awaited<ReturnType<typeof testApp>>;
  afterEach(async () => h?.close());

  it('filters by customer, chosen action, channel and time and pages with a cursor', async () => {
    h = await testApp({ decisioning: { catalogue } });
    await h.post('/v1/customers', { customers: ['c1', 'c2', 'c3'].map((customerId) => ({ customerId, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents })) });
    const made: { decisionId: string; customerId: string; channel: string; chosen: string[]; at: string }[] = [];
    for (const [customerId, channel] of [['c1', 'in_app'], ['c2', 'email'], ['c1', 'email'], ['c3', 'in_app'], ['c2', 'in_app']] as const) {
      h.clock.advance(60_000);
      const d = (await h.post('/v1/decisions', { customerId, channel, n: 1 })).json();
      made.push({ decisionId: d.decisionId, customerId, channel, chosen: d.chosen.map((c: { actionId: string }) => c.actionId), at: d.decidedAt });
    }
    const get = (q: string) => h.app.inject({ method: 'GET', url: `/v1/decisions?${q}` });
    const all = (await get('limit=200')).json();
    expect(all.items.map((i: { decisionId: string }) => i.decisionId)).toEqual(made.map((m) => m.decisionId).reverse());
    expect(all.next).toBeUndefined();
    expect(all.items[0]).toEqual({ decisionId: made[4]!.decisionId, customerId: 'c2', channel: 'in_app', decidedAt: made[4]!.at, catalogueVersion: expect.any(String), chosen: made[4]!.chosen, heldOut: false });

    expect((await get('customerId=c1')).json().items.map((i: { decisionId: string }) => i.decisionId)).toEqual([made[2]!.decisionId, made[0]!.decisionId]);
    expect((await get('channel=email')).json().items.every((i: { channel: string }) => i.channel === 'email')).toBe(true);
    const action = made[0]!.chosen[0]!;
    const byAction = (await get(`actionId=${action}`)).json().items;
    expect(byAction.length).toBe(made.filter((m) => m.chosen.includes(action)).length);
    expect(byAction.every((i: { chosen: string[] }) => i.chosen.includes(action))).toBe(true);
    const window = (await get(`from=${encodeURIComponent(made[1]!.at)}&to=${encodeURIComponent(made[3]!.at)}`)).json().items;
    expect(window.map((i: { decisionId: string }) => i.decisionId)).toEqual([made[2]!.decisionId, made[1]!.decisionId]);

    // Two at a time: three pages, every decision once, in order.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = (await get(`limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.items.map((i: { decisionId: string }) => i.decisionId));
      cursor = page.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(made.map((m) => m.decisionId).reverse());
  });

  it('refuses a bad cursor, an inverted range and an out-of-range limit with the field named', async () => {
    h = await testApp({ decisioning: { catalogue } });
    const get = (q: string) => h.app.inject({ method: 'GET', url: `/v1/decisions?${q}` });
    const badCursor = await get('cursor=garbage');
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().error.message).toMatch(/^cursor:/);
    const inverted = await get('from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z');
    expect(inverted.statusCode).toBe(400);
    expect(inverted.json().error.message).toMatch(/^from:/);
    const limit = await get('limit=1000');
    expect(limit.statusCode).toBe(422);
    expect(limit.json().error.details.issues[0]).toMatchObject({ field: 'query.limit' });
    expect((await get('when=yesterday')).statusCode).toBe(422);
    expect((await get('')).json()).toEqual({ items: [] });
  });

  it('answers only a key with the audit scope', async () => {
    h = await testApp({ decisioning: { catalogue } }, { auth: { mode: 'keys' } });
    const reviewer = await h.keyFor(['audit:read']);
    const channel = await h.keyFor(['decisions:write']);
    expect((await h.app.inject({ method: 'GET', url: '/v1/decisions' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/v1/decisions', headers: { authorization: channel.authorization } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/v1/decisions', headers: { authorization: reviewer.authorization } })).statusCode).toBe(200);
  });
});
