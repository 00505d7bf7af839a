import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';

/**
 * Journeys (events → clock → assertions): a large deposit's investment suggestion in the app,
 * then the same suggestion by email 8 days later if the customer has not answered; each exit.
 */
const DAY = 86_400_000;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function world(o: { lenientCaps?: boolean } = {}) {
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  engine = await createEngine({ store: 'memory', triggers: { sweepSeconds: 0 } }, { clock, logger: pino({ level: 'silent' }) });
  if (o.lenientCaps) {
    const cat = structuredClone(engine.catalogue.catalogue);
    cat.contactPolicy.caps = [{ channel: '*', max: 5, periodDays: 7 }];
    await engine.catalogue.replaceCatalogue(cat);
  }
  const t = engine.triggers.get('large_deposit_investment');
  await engine.triggers.put({ ...t, followUps: [{ channel: 'email', after: '8d' }] });
  await engine.upsertCustomers([{ customerId: 'c1', dateOfBirth: '1985-06-01', riskTolerance: 'medium', financialSophistication: 'experienced', preferredChannel: 'in_app', consents: { marketing: true, personalised_offers: true } }]);
  const now = clock.now();
  const ev = (id: string, type: string, daysAgo: number, payload: Record<string, unknown>) => ({ eventId: id, customerId: 'c1', occurredAt: new Date(now - daysAgo * DAY).toISOString(), schemaVersion: 1, type, payload });
  await engine.ingest([
    ...[60, 30, 2].map((d, i) => ev(`sal${i}`, 'salary', d, { amount: { minor: 300_000, currency: 'GBP' } })),
    ...[20, 10, 3].map((d, i) => ev(`card${i}`, 'card_payment', d, { amount: { minor: -50_000, currency: 'GBP' }, merchantCategoryCode: '5411' })),
    ev('bal', 'balance_snapshot', 1, { accountId: 'a1', accountType: 'current', balance: { minor: 400_000, currency: 'GBP' } }),
    ev('big', 'deposit', 0, { amount: { minor: 5_000_000, currency: 'GBP' } }),
  ]);
  await engine.consumers.caughtUp(10_000);
  const [j] = await engine.triggers.journeys('c1');
  expect(j).toMatchObject({ status: 'active', done: 1, steps: [{ channel: 'email', afterMs: 8 * DAY }], nextAt: now + 8 * DAY });
  return { engine, clock, journey: j! };
}

describe('journeys', () => {
  it('the follow-up goes out on email after the wait, as a new decision for the same action, and the journey completes', async () => {
    const { engine, clock, journey } = await world({ lenientCaps: true });
    expect(await engine.triggers.tickJourneys()).toHaveLength(0);
    clock.advance(8 * DAY);
    const [moved] = await engine.triggers.tickJourneys();
    expect(moved).toMatchObject({ status: 'completed', done: 2 });
    const step = await engine.decision(moved!.decisionIds[1]!);
    expect(step).toMatchObject({ channel: 'email', chosen: [{ actionId: journey.actionId }] });
    expect(step.inputs.only).toEqual({ actions: [journey.actionId], families: [] });
    expect((await engine.deliveries.list({ customerId: 'c1', channel: 'email' })).map((e) => e.actionId)).toEqual([journey.actionId]);
  });

  it('the caps count every step: under the catalogue\'s one investment pitch a quarter, the follow-up is not sent and the journey stops, saying why', async () => {
    const { engine, clock } = await world();
    clock.advance(8 * DAY);
    const [moved] = await engine.triggers.tickJourneys();
    expect(moved).toMatchObject({ status: 'stopped', done: 1 });
    expect(moved!.reason).toMatch(/step 2 on email not sent/);
    expect(await engine.deliveries.list({ customerId: 'c1', channel: 'email' })).toHaveLength(0);
  });

  it('ends on acceptance, and on a consent withdrawal, with nothing sent after', async () => {
    const { engine, clock, journey } = await world({ lenientCaps: true });
    await engine.ingest([{ eventId: 'acc', customerId: 'c1', occurredAt: new Date(clock.now()).toISOString(), schemaVersion: 1, type: 'offer_response', payload: { decisionId: journey.decisionIds[0]!, actionId: journey.actionId, channel: 'in_app', response: 'accepted' } }]);
    await engine.consumers.caughtUp(10_000);
    expect((await engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'accepted', nextAt: null });
    clock.advance(8 * DAY);
    expect(await engine.triggers.tickJourneys()).toHaveLength(0);

    const second = await world({ lenientCaps: true });
    await second.engine.ingest([{ eventId: 'optout', customerId: 'c1', occurredAt: new Date(second.clock.now()).toISOString(), schemaVersion: 1, type: 'consent_change', payload: { purpose: 'marketing', granted: false } }]);
    await second.engine.consumers.caughtUp(10_000);
    expect((await second.engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'consent_withdrawn' });
    await engine.close();
  });
});
