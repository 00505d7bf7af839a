import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import Database from 'better-sqlite3';
import { createEngine, type Engine } from '../../src/engine.js';
import { OnlineFeatureStore, loadFeatures } from '../../src/features/index.js';
import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import { exited } from '../helpers/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NOW = Date.now();
const at = (i: number) => new Date(NOW - 3_600_000 + i * 1000).toISOString();
const customers = ['k1', 'k2'].map((customerId) => ({ customerId, dateOfBirth: '1980-05-01', consents: { marketing: true, personalised_offers: true } }));
const payment = (i: number) => ({ eventId: `p${i}`, customerId: i % 2 ? 'k1' : 'k2', type: 'card_payment', occurredAt: at(i), schemaVersion: 1, payload: { amount: { minor: -(100 + i), currency: 'GBP' }, merchantCategoryCode: '5411' } });

/** Ingests in a child process whose named consumers are paused, and kills it with SIGKILL once the events are durable. */
async function ingestThenKill(dir: string, paused: string, events: unknown[]): Promise<void> {
  const child = spawn(process.execPath, [...nodeArgs('test/server/crashChild.ts'), dir, paused, JSON.stringify(events)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`appended ${events.length}`)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code} before appending: ${out} ${err}`)));
  });
  child.kill('SIGKILL');
  expect(await exited(child)).toBe('SIGKILL');
}

const declinesOf = (dir: string, customerId: string) => {
  const db = new Database(join(dir, 'decisions.db'), { readonly: true });
  try {
    return (db.prepare('SELECT event_id FROM declines WHERE customer_id = ?').all(customerId) as { event_id: string }[]).map((r) => r.event_id);
  } finally {
    db.close();
  }
};

/** Every feature of every customer equals a rebuild from the whole log: each event applied exactly once. */
async function expectFeaturesExactlyOnce(engine: Engine): Promise<void> {
  const reference = new OnlineFeatureStore(loadFeatures(undefined), new MemoryProfileStore());
  await reference.start(engine.stores.eventLog);
  for (const id of ['k1', 'k2']) {
    const got = await engine.profile(id);
    const want = await reference.profile(id);
    expect(Object.fromEntries(Object.entries(got.features).map(([k, f]) => [k, f.value]))).toEqual(Object.fromEntries(Object.entries(want.features).map(([k, f]) => [k, f.value])));
  }
}

describe('crash between the append and the consumers', () => {
  for (const paused of ['*', 'responses', 'features']) {
    it(`SIGKILL with ${paused === '*' ? 'every consumer' : paused} not yet applied: after restart every consumer applied every event exactly once`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nb-crash-consumers-'));
      const setup = await createEngine({ dataDir: dir, log: { level: 'silent' } });
      await setup.upsertCustomers(customers);
      // Customers with a few payments are worth little; weigh savings up so each decision chooses one (a contact costs its fatigue).
      await setup.catalogue.setLevers({ families: { savings: 20 } });
      await setup.ingest([0, 1, 2, 3].map(payment));
      const d1 = await setup.decide({ customerId: 'k1', channel: 'in_app' });
      const d2 = await setup.decide({ customerId: 'k2', channel: 'in_app' });
      await setup.close();
      const declined = d1.chosen[0]!.actionId;
      const accepted = d2.chosen[0]!.actionId;

      const events = [
        ...Array.from({ length: 200 }, (_, i) => payment(10 + i)),
        { eventId: 'r-decline', customerId: 'k1', type: 'offer_response', occurredAt: at(300), schemaVersion: 1, payload: { decisionId: d1.decisionId, actionId: declined, channel: 'in_app', response: 'declined' } },
        { eventId: 'r-accept', customerId: 'k2', type: 'offer_response', occurredAt: at(301), schemaVersion: 1, payload: { decisionId: d2.decisionId, actionId: accepted, channel: 'in_app', response: 'accepted' } },
      ];
      await ingestThenKill(dir, paused, events);
      // The kill came between the append and the paused consumers' apply.
      if (paused !== 'features') expect(declinesOf(dir, 'k1')).toEqual([]);

      const engine = await createEngine({ dataDir: dir, log: { level: 'silent' } });
      try {
        await engine.consumers.caughtUp();
        expect(engine.consumers.status().map((s) => [s.name, s.appliedSeq, s.failures])).toEqual([
          ['features', 206, 0],
          ['responses', 206, 0],
          ['bandit', 206, 0],
          ['journeys', 206, 0],
          ['triggers', 206, 0],
          ['deliveries', 206, 0],
          ['training-snapshot', 206, 0],
        ]);
        await expectFeaturesExactlyOnce(engine);
        expect((await engine.decision(d1.decisionId)).responses).toEqual([{ actionId: declined, channel: 'in_app', response: 'declined', at: at(300) }]);
        expect((await engine.decision(d2.decisionId)).responses.map((r) => r.response)).toEqual(['accepted']);
        const again = await engine.decide({ customerId: 'k1', channel: 'in_app' });
        expect(again.candidates.find((c) => c.actionId === declined)?.excludedBy).toMatchObject({ kind: 'contact', rule: 'decline_cooldown' });
      } finally {
        await engine.close();
      }
      expect(declinesOf(dir, 'k1')).toEqual(['r-decline']);

      // A second start replays nothing twice: checkpoints moved with the state.
      const third = await createEngine({ dataDir: dir, log: { level: 'silent' } });
      try {
        await third.consumers.caughtUp();
        await expectFeaturesExactlyOnce(third);
        expect((await third.decision(d1.decisionId)).responses).toHaveLength(1);
      } finally {
        await third.close();
      }
      expect(declinesOf(dir, 'k1')).toEqual(['r-decline']);
    });
  }
});
