import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Journey } from '../../src/triggers/journeys.js';
import { SqliteJourneyStore } from '../../src/triggers/sqliteJourneyStore.js';

function journey(id: string, o: Partial<Journey> = {}): Journey {
  return { journeyId: id, customerId: `c-${id}`, triggerId: 't', actionId: 'a', steps: [], decisionIds: ['d'], done: 1, nextAt: 1_000, status: 'active', reason: null, startedAt: 0, updatedAt: 0, ...o };
}

describe('SqliteJourneyStore.waiting', () => {
  it('returns the active journeys whose step waits for an event, and follows updates', async () => {
    const db = new Database(':memory:');
    const store = new SqliteJourneyStore(db);
    await store.put(journey('timed'));
    await store.put(journey('waits', { waitingFrom: 500 }));
    await store.put(journey('ended', { waitingFrom: 500, status: 'completed' }));
    expect((await store.waiting()).map((j) => j.journeyId)).toEqual(['waits']);
    await store.put(journey('waits', { waitingFrom: null }));
    await store.put(journey('timed', { waitingFrom: 900 }));
    expect((await store.waiting()).map((j) => j.journeyId)).toEqual(['timed']);
  });

  it('fills the waiting column for journeys stored before it existed', async () => {
    const db = new Database(':memory:');
    // The first migration alone, as an older version left the file.
    db.exec('CREATE TABLE schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (module, version))');
    db.exec(`CREATE TABLE journeys (journey_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, status TEXT NOT NULL, next_at INTEGER, started_at INTEGER NOT NULL, body TEXT NOT NULL)`);
    db.prepare("INSERT INTO schema_migrations VALUES ('trigger_journeys', 1)").run();
    const insert = db.prepare('INSERT INTO journeys VALUES (?, ?, ?, ?, ?, ?)');
    for (const j of [journey('old-timed'), journey('old-waits', { waitingFrom: 10 })]) insert.run(j.journeyId, j.customerId, j.status, j.nextAt, j.startedAt, JSON.stringify(j));
    const store = new SqliteJourneyStore(db);
    // The column the query reads was filled from each body, not left at its default.
    expect(db.prepare('SELECT journey_id, waiting FROM journeys ORDER BY journey_id').all()).toEqual([{ journey_id: 'old-timed', waiting: 0 }, { journey_id: 'old-waits', waiting: 1 }]);
    expect((await store.waiting()).map((j) => j.journeyId)).toEqual(['old-waits']);
  });
});
