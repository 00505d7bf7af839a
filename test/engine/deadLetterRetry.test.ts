import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { receiptEvent } from '../../src/channels/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import type { Backend } from '../../src/store/backend.js';

/**
 * An operator retries a dead-lettered delivery: its contact (released when it failed) is taken
 * again under the caps in force now, and the retry is refused while they are used.
 */
const DAY = 86_400_000;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});
const backendOf = (e: object) => (e as { parts: { backend: Backend } }).parts.backend;

async function world() {
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  engine = await createEngine({ store: 'memory', triggers: { enabled: false }, delivery: { dispatch: false } }, { clock, logger: pino({ level: 'silent' }) });
  await engine.upsertCustomers([{ customerId: 'c1', dateOfBirth: '1985-06-01', riskTolerance: 'medium', financialSophistication: 'experienced', preferredChannel: 'email', consents: { marketing: true, personalised_offers: true } }]);
  const now = clock.now();
  const ev = (id: string, type: string, daysAgo: number, payload: Record<string, unknown>) => ({ eventId: id, customerId: 'c1', occurredAt: new Date(now - daysAgo * DAY).toISOString(), schemaVersion: 1, type, payload });
  await engine.ingest([
    ...[60, 30, 2].map((d, i) => ev(`sal${i}`, 'salary', d, { amount: { minor: 300_000, currency: 'GBP' } })),
    ev('bal', 'balance_snapshot', 1, { accountId: 'a1', accountType: 'current', balance: { minor: 4_000_000, currency: 'GBP' } }),
  ]);
  const d = await engine.decide({ customerId: 'c1', channel: 'email', n: 1, deliver: true });
  expect(d.chosen).toHaveLength(1);
  const [entry] = await engine.deliveries.list({ customerId: 'c1' });
  // The dispatcher gives up on it: dead-lettered, and its failed receipt releases the contact.
  const box = backendOf(engine).outbox!;
  await box.lease({ channels: ['email'], now: clock.now(), leaseMs: 60_000, by: 'disp', limit: 10 });
  expect(await box.deadLetter(entry!.key, 'disp', clock.now(), 'HTTP 410')).toBe(true);
  await engine.ingest([receiptEvent({ key: entry!.key, decisionId: entry!.decisionId, actionId: entry!.actionId, customerId: 'c1', channel: 'email', status: 'failed', attempts: 1, at: clock.now(), error: 'HTTP 410' })]);
  await engine.consumers.caughtUp(10_000);
  expect((await backendOf(engine).contacts.history('c1', 0)).contacts).toEqual([]);
  return { engine, clock, key: entry!.key, decisionId: d.decisionId };
}

describe('retrying a dead letter', () => {
  it('takes its contact again, so it counts against the caps once more, and puts it back to pending', async () => {
    const { engine, key, decisionId } = await world();
    const retried = await engine.deliveries.retry(key);
    expect(retried).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await backendOf(engine).contacts.history('c1', 0)).contacts.map((c) => [c.decisionId, c.channel])).toEqual([[decisionId, 'email']]);
    // The cap (one contact a week) is used again: a new decision on any channel chooses nothing.
    expect((await engine.decide({ customerId: 'c1', channel: 'in_app', n: 1 })).chosen).toEqual([]);
    // A second retry: it is no longer dead.
    await expect(engine.deliveries.retry(key)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await backendOf(engine).contacts.history('c1', 0)).contacts).toHaveLength(1);
  });

  it('is refused while the caps are used by a message sent since it failed; the entry stays dead and nothing is counted', async () => {
    const { engine, clock, key } = await world();
    clock.advance(60_000);
    const other = await engine.decide({ customerId: 'c1', channel: 'in_app', n: 1 });
    expect(other.chosen).toHaveLength(1);
    await expect(engine.deliveries.retry(key)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/cannot be retried now: the cap of 1 on \*.* is used since it failed/) });
    expect((await engine.deliveries.get(key)).status).toBe('dead');
    expect((await backendOf(engine).contacts.history('c1', 0)).contacts.map((c) => c.decisionId)).toEqual([other.decisionId]);
    // Once the caps have room (the family's one a quarter included), the retry goes through.
    clock.advance(91 * DAY);
    expect(await engine.deliveries.retry(key)).toMatchObject({ status: 'pending' });
  });
});
