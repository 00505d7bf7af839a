import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { openRedis } from '../../src/store/redis/client.js';
import { RedisContactStore } from '../../src/store/redis/contactStore.js';
import { REDIS_URL, removeRun } from './cluster.js';
import { PG_URL } from './pg.js';
import { serviceAvailable } from './services.js';

const up = (await serviceAvailable('PostgreSQL', 5432)) && (await serviceAvailable('Redis', 6379));
const catalogue = fileURLToPath(new URL('../fixtures/multiInstance/catalogue.yaml', import.meta.url));
const RUN = `scale_lost_${process.pid}_${Date.now().toString(36)}`;
const prefix = `scale:${RUN}:`;

/** Everything this run keeps in Redis goes, as when Redis restarts without persistence. */
async function loseRedis(): Promise<number> {
  const r = openRedis(REDIS_URL);
  const keys = await r.keys(`${prefix}*`);
  if (keys.length > 0) await r.del(...keys);
  await r.quit();
  return keys.length;
}

describe.skipIf(!up)('Redis lost: contact history and profiles come back from the logs', () => {
  afterAll(async () => {
    await removeRun({ schema: RUN, redisPrefix: prefix });
  });

  it('a cap of one and a decline cool-down still hold after Redis forgot them; the profile is rebuilt', async () => {
    const engine = await createEngine({ store: `${PG_URL}?schema=${RUN}`, cache: `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`, dataDir: mkdtempSync(join(tmpdir(), 'scale-lost-')), decisioning: { catalogue }, log: { level: 'silent' } });
    try {
      const now = Date.now();
      await engine.upsertCustomers(['lost-1', 'lost-2'].map((customerId) => ({ customerId, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
      await engine.ingest([{ eventId: `${RUN}-dep`, customerId: 'lost-1', occurredAt: new Date(now - 60_000).toISOString(), schemaVersion: 1, type: 'deposit', payload: { amount: { minor: 250_00, currency: 'GBP' }, method: 'online' } }]);
      // lost-1 is contacted once today (cap 1 a day); lost-2 declines what it was shown.
      const first = await engine.decide({ customerId: 'lost-1', channel: 'push' });
      expect(first.chosen).toHaveLength(1);
      const shown = await engine.decide({ customerId: 'lost-2', channel: 'push' });
      expect(shown.chosen).toHaveLength(1);
      const declined = shown.chosen[0]!.actionId;
      await engine.ingest([{ eventId: `${RUN}-decline`, customerId: 'lost-2', occurredAt: new Date(now - 1000).toISOString(), schemaVersion: 1, type: 'offer_response', payload: { decisionId: shown.decisionId, actionId: declined, channel: 'push', response: 'declined' } }]);
      await engine.consumers.caughtUp();
      const before = (await engine.profile('lost-1')).features.income_90d?.value;
      expect(before).toBe(250);

      expect(await loseRedis()).toBeGreaterThan(0);

      // The next decision finds the history gone, rebuilds it from the decision and event logs, and the cap holds.
      const again = await engine.decide({ customerId: 'lost-1', channel: 'in_app' });
      expect(again.chosen).toEqual([]);
      const store = new RedisContactStore(openRedis(REDIS_URL), { prefix, ownsClient: true });
      try {
        const h1 = await store.history('lost-1', now - 86_400_000);
        expect(h1.contacts.map((c) => c.decisionId)).toEqual([first.decisionId]);
        const h2 = await store.history('lost-2', now - 86_400_000);
        expect(h2.contacts.map((c) => c.decisionId)).toEqual([shown.decisionId]);
        expect(h2.declines.map((d) => d.actionId)).toEqual([declined]);
      } finally {
        await store.close();
      }
    } finally {
      await engine.close();
    }
    // Profiles: a new engine on the same store finds no checkpoint in Redis and replays the log.
    const reopened = await createEngine({ store: `${PG_URL}?schema=${RUN}`, cache: `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`, dataDir: mkdtempSync(join(tmpdir(), 'scale-lost-')), decisioning: { catalogue }, log: { level: 'silent' } });
    try {
      expect((await reopened.profile('lost-1')).features.income_90d?.value).toBe(250);
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
