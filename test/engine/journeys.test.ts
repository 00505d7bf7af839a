import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A branch visit: the branch brochure step waits for one (a contact with the branch, or cash paid in at the counter). */
const BRANCH_VISIT = { events: ['contact_centre', 'deposit'], condition: "(event.type == 'contact_centre' && event.payload.channel == 'branch') || (event.type == 'deposit' && has(event.payload.method) && event.payload.method == 'branch')", within: '30d' };

async function world(o: { lenientCaps?: boolean; followUps?: unknown[]; dataDir?: string; clock?: ManualClock } = {}) {
  const clock = o.clock ?? new ManualClock('2026-03-02T10:00:00Z');
  engine = await createEngine({ store: o.dataDir ? 'sqlite' : 'memory', ...(o.dataDir ? { dataDir: o.dataDir } : {}), triggers: { sweepSeconds: 0 } }, { clock, logger: pino({ level: 'silent' }) });
  if (o.lenientCaps) {
    const cat = structuredClone(engine.catalogue.catalogue);
    cat.contactPolicy.caps = [{ channel: '*', max: 5, periodDays: 7 }];
    // A take-up of one in ten (not the prior's one in fifty), so a £5 branch conversation is worth having.
    for (const a of cat.actions) if (a.family === 'investment') (a as { prior: number }).prior = 0.1;
    await engine.catalogue.replaceCatalogue(cat);
  }
  const t = engine.triggers.get('large_deposit_investment');
  await engine.triggers.put({ ...t, followUps: o.followUps ?? [{ channel: 'email', after: '8d' }] });
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
  if (!o.followUps) expect(j).toMatchObject({ status: 'active', done: 1, steps: [{ channel: 'email', afterMs: 8 * DAY }], nextAt: now + 8 * DAY });
  return { engine, clock, journey: j! };
}

/** One event of c1 now (or `daysAgo` before the clock). */
function event(clock: ManualClock, id: string, type: string, payload: Record<string, unknown>, daysAgo = 0) {
  return { eventId: id, customerId: 'c1', occurredAt: new Date(clock.now() - daysAgo * DAY).toISOString(), schemaVersion: 1, type, payload };
}
const branchVisit = (clock: ManualClock, id: string) => event(clock, id, 'contact_centre', { channel: 'branch', topics: ['savings'] });
const phoneCall = (clock: ManualClock, id: string) => event(clock, id, 'contact_centre', { channel: 'phone', topics: ['savings'] });

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

  it('ends on a decline of its action (on any channel), and nothing more is sent', async () => {
    const { engine, clock, journey } = await world({ lenientCaps: true });
    await engine.ingest([event(clock, 'dec', 'offer_response', { decisionId: journey.decisionIds[0]!, actionId: journey.actionId, channel: 'in_app', response: 'declined' })]);
    await engine.consumers.caughtUp(10_000);
    expect((await engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'declined', nextAt: null, reason: 'the customer declined it' });
    clock.advance(8 * DAY);
    expect(await engine.triggers.tickJourneys()).toHaveLength(0);
    expect(await engine.deliveries.list({ customerId: 'c1', channel: 'email' })).toHaveLength(0);
  });

  it('a response that is not an answer (shown, clicked) or is for another action leaves the journey running', async () => {
    const { engine, clock, journey } = await world({ lenientCaps: true });
    await engine.ingest([
      event(clock, 'shown', 'offer_response', { decisionId: journey.decisionIds[0]!, actionId: journey.actionId, channel: 'in_app', response: 'shown' }),
      event(clock, 'other', 'offer_response', { decisionId: journey.decisionIds[0]!, actionId: 'some_other_action', channel: 'in_app', response: 'declined' }),
    ]);
    await engine.consumers.caughtUp(10_000);
    expect((await engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'active' });
  });

  it('ends as unsuitable when the action no longer suits the customer at the step (risk tolerance now low), naming the policy', async () => {
    const { engine, clock, journey } = await world({ lenientCaps: true });
    expect(engine.catalogue.catalogue.actions.find((a) => a.id === journey.actionId)?.family).toBe('investment');
    await engine.upsertCustomers([{ customerId: 'c1', dateOfBirth: '1985-06-01', riskTolerance: 'low', financialSophistication: 'experienced', preferredChannel: 'in_app', consents: { marketing: true, personalised_offers: true } }]);
    clock.advance(8 * DAY);
    const [moved] = await engine.triggers.tickJourneys();
    expect(moved).toMatchObject({ status: 'unsuitable', done: 1, nextAt: null });
    expect(moved!.reason).toMatch(/^step 2 on email not sent: suitability: /);
    expect(await engine.deliveries.list({ customerId: 'c1', channel: 'email' })).toHaveLength(0);
  });

  it('an event step runs at the next branch visit within 30 days (not at a phone call), as a decision on the branch channel', async () => {
    const { engine, clock, journey } = await world({ lenientCaps: true, followUps: [{ channel: 'branch', on: BRANCH_VISIT }] });
    const started = clock.now();
    expect(journey).toMatchObject({ status: 'active', done: 1, waitingFrom: started, nextAt: started + 30 * DAY, steps: [{ channel: 'branch', afterMs: 0, on: { events: ['contact_centre', 'deposit'], withinMs: 30 * DAY } }] });
    clock.advance(3 * DAY);
    await engine.ingest([phoneCall(clock, 'call1')]);
    await engine.consumers.caughtUp(10_000);
    expect((await engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'active', done: 1 });
    expect(await engine.triggers.tickJourneys()).toHaveLength(0);
    clock.advance(9 * DAY);
    await engine.ingest([branchVisit(clock, 'visit1')]);
    await engine.consumers.caughtUp(10_000);
    const [j] = await engine.triggers.journeys('c1');
    expect(j, j!.reason ?? "").toMatchObject({ status: "completed", done: 2, nextAt: null, reason: "every step sent (the last at contact_centre visit1)" });
    const step = await engine.decision(j!.decisionIds[1]!);
    expect(step).toMatchObject({ channel: 'branch', chosen: [{ actionId: journey.actionId }] });
    expect((await engine.deliveries.list({ customerId: 'c1', channel: 'branch' })).map((e) => e.actionId)).toEqual([journey.actionId]);
    // A second visit sends nothing more.
    await engine.ingest([branchVisit(clock, 'visit2')]);
    await engine.consumers.caughtUp(10_000);
    expect(await engine.deliveries.list({ customerId: 'c1', channel: 'branch' })).toHaveLength(1);
  });

  it('an event step lapses when no branch visit comes within 30 days; a visit after the deadline sends nothing', async () => {
    const { engine, clock } = await world({ lenientCaps: true, followUps: [{ channel: 'branch', on: BRANCH_VISIT }] });
    clock.advance(29 * DAY);
    expect(await engine.triggers.tickJourneys()).toHaveLength(0);
    clock.advance(2 * DAY);
    const [moved] = await engine.triggers.tickJourneys();
    expect(moved).toMatchObject({ status: 'lapsed', done: 2, lapsed: [2], nextAt: null, reason: 'step 2 on branch lapsed: no contact_centre or deposit within 30d' });
    // Stored as lapsed, not only returned so.
    expect((await engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'lapsed', lapsed: [2], nextAt: null });
    await engine.ingest([branchVisit(clock, 'late')]);
    await engine.consumers.caughtUp(10_000);
    expect(await engine.deliveries.list({ customerId: 'c1', channel: 'branch' })).toHaveLength(0);
  });

  it('banner now → email after 2 days → branch brochure at the next visit: the steps run in order, the visit counts only once the email went', async () => {
    const { engine, clock, journey } = await world({ lenientCaps: true, followUps: [{ channel: 'email', after: '2d' }, { channel: 'branch', on: BRANCH_VISIT }] });
    clock.advance(1 * DAY);
    // A visit before the email is due is not the brochure's moment.
    await engine.ingest([branchVisit(clock, 'early')]);
    await engine.consumers.caughtUp(10_000);
    expect((await engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'active', done: 1 });
    clock.advance(1 * DAY);
    expect((await engine.triggers.tickJourneys())[0]).toMatchObject({ status: 'active', done: 2, waitingFrom: clock.now(), nextAt: clock.now() + 30 * DAY });
    clock.advance(5 * DAY);
    await engine.ingest([branchVisit(clock, 'visit')]);
    await engine.consumers.caughtUp(10_000);
    const [j] = await engine.triggers.journeys('c1');
    expect(j).toMatchObject({ status: 'completed', done: 3 });
    expect(await Promise.all(j!.decisionIds.map(async (id) => (await engine.decision(id)).channel))).toEqual(['in_app', 'email', 'branch']);
    expect(new Set((await engine.deliveries.list({ customerId: 'c1' })).map((e) => e.actionId))).toEqual(new Set([journey.actionId]));
  });

  it('a consent withdrawal while a step waits for its event ends the journey; the visit after sends nothing', async () => {
    const { engine, clock } = await world({ lenientCaps: true, followUps: [{ channel: 'branch', on: BRANCH_VISIT }] });
    await engine.ingest([event(clock, 'optout', 'consent_change', { purpose: 'personalised_offers', granted: false })]);
    clock.advance(DAY);
    await engine.ingest([branchVisit(clock, 'visit')]);
    await engine.consumers.caughtUp(10_000);
    expect((await engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'consent_withdrawn' });
    expect(await engine.deliveries.list({ customerId: 'c1', channel: 'branch' })).toHaveLength(0);
  });

  it('an event step\'s condition that does not compile, or a follow-up with neither after nor on, is refused naming the field', async () => {
    const { engine } = await world({ lenientCaps: true });
    const t = engine.triggers.get('large_deposit_investment');
    await expect(engine.triggers.put({ ...t, followUps: [{ channel: 'branch', on: { ...BRANCH_VISIT, condition: 'event.payload.channel ==' } }] })).rejects.toMatchObject({ issues: [expect.objectContaining({ field: expect.stringMatching(/^triggers\.\d+\.followUps\.0\.on\.condition$/) })] });
    await expect(engine.triggers.put({ ...t, followUps: [{ channel: 'branch', on: { ...BRANCH_VISIT, condition: 'visit.branch == true' } }] })).rejects.toMatchObject({ issues: [expect.objectContaining({ field: expect.stringMatching(/^triggers\.\d+\.followUps\.0\.on\.condition$/), message: expect.stringMatching(/reads visit/) })] });
    await expect(engine.triggers.put({ ...t, followUps: [{ channel: 'branch' }] })).rejects.toMatchObject({ issues: [expect.objectContaining({ field: 'followUps.0.after' })] });
    await expect(engine.triggers.put({ ...t, followUps: [{ channel: 'branch', on: { events: ['branch_visit'], within: '30d' } }] })).rejects.toMatchObject({ issues: [expect.objectContaining({ field: 'followUps.0.on.events.0' })] });
    expect(engine.triggers.get('large_deposit_investment').followUps).toEqual([{ channel: 'email', after: 8 * DAY }]);
  });
});

describe('journeys survive a restart (embedded store)', () => {
  it('a waiting event step and a timed step are rebuilt from triggers.db, and events appended while the journeys consumer was behind are replayed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-trig-journeys-'));
    try {
      const clock = new ManualClock('2026-03-02T10:00:00Z');
      const first = await world({ lenientCaps: true, dataDir: join(dir, 'store'), clock, followUps: [{ channel: 'email', after: '2d' }, { channel: 'branch', on: BRANCH_VISIT }] });
      const actionId = first.journey.actionId;
      await first.engine.close();
      engine = undefined;

      // Restart 1: the timed step is due; the journey comes back from triggers.db.
      clock.advance(2 * DAY);
      engine = await createEngine({ store: 'sqlite', dataDir: join(dir, 'store'), triggers: { sweepSeconds: 0 } }, { clock, logger: pino({ level: 'silent' }) });
      expect((await engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'active', done: 1 });
      expect((await engine.triggers.tickJourneys())[0]).toMatchObject({ status: 'active', done: 2, waitingFrom: clock.now() });
      await engine.close();

      // Restart 2, with the consumers paused: the branch visit is in the log but no consumer applied it.
      clock.advance(4 * DAY);
      engine = await createEngine({ store: 'sqlite', dataDir: join(dir, 'store'), triggers: { sweepSeconds: 0 } }, { clock, logger: pino({ level: 'silent' }), pauseConsumers: true });
      await engine.ingest([branchVisit(clock, 'visit')]);
      expect((await engine.triggers.journeys('c1'))[0]).toMatchObject({ status: 'active', done: 2 });
      await engine.close();

      // Restart 3: the journeys consumer replays the log from its checkpoint and runs the step the visit was for.
      clock.advance(DAY);
      engine = await createEngine({ store: 'sqlite', dataDir: join(dir, 'store'), triggers: { sweepSeconds: 0 } }, { clock, logger: pino({ level: 'silent' }) });
      await engine.consumers.caughtUp(10_000);
      const [j] = await engine.triggers.journeys('c1');
      expect(j).toMatchObject({ status: 'completed', done: 3 });
      expect((await engine.decision(j!.decisionIds[2]!)).channel).toBe('branch');
      expect((await engine.deliveries.list({ customerId: 'c1', channel: 'branch' })).map((e) => e.actionId)).toEqual([actionId]);
    } finally {
      await engine?.close();
      engine = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
