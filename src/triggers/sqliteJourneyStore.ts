/** Journeys in the embedded database (`triggers.db`, beside the fire log), so they survive a restart. */
import type { Statement } from 'better-sqlite3';
import { ensureSchema, type SqliteDb } from '../store/sqlite/db.js';
import { statementCache } from './sqliteStatements.js';
import type { Journey, JourneyStore } from './journeys.js';

const MIGRATIONS = [
  `CREATE TABLE journeys (
     journey_id TEXT PRIMARY KEY,
     customer_id TEXT NOT NULL,
     status TEXT NOT NULL,
     next_at INTEGER,
     started_at INTEGER NOT NULL,
     body TEXT NOT NULL
   );
   CREATE INDEX journeys_customer ON journeys (customer_id, started_at);
   CREATE INDEX journeys_due ON journeys (next_at) WHERE status = 'active';`,
  // Whether the current step waits for an event, as a column: `waiting()` reads only those
  // journeys (at open and when a partition is taken over) instead of parsing every active one.
  `ALTER TABLE journeys ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
   UPDATE journeys SET waiting = json_extract(body, '$.waitingFrom') IS NOT NULL;
   CREATE INDEX journeys_waiting ON journeys (status) WHERE waiting = 1;`,
];

export class SqliteJourneyStore implements JourneyStore {
  private readonly st: (sql: string) => Statement;

  constructor(db: SqliteDb) {
    ensureSchema(db, 'trigger_journeys', MIGRATIONS);
    this.st = statementCache(db);
  }
  async put(j: Journey): Promise<void> {
    this.st('INSERT INTO journeys (journey_id, customer_id, status, next_at, started_at, waiting, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (journey_id) DO UPDATE SET status = excluded.status, next_at = excluded.next_at, waiting = excluded.waiting, body = excluded.body')
      .run(j.journeyId, j.customerId, j.status, j.nextAt, j.startedAt, j.waitingFrom != null ? 1 : 0, JSON.stringify(j));
  }
  async get(id: string): Promise<Journey | undefined> {
    const r = this.st('SELECT body FROM journeys WHERE journey_id = ?').get(id) as { body: string } | undefined;
    return r && (JSON.parse(r.body) as Journey);
  }
  async forCustomer(customerId: string): Promise<Journey[]> {
    return (this.st('SELECT body FROM journeys WHERE customer_id = ? ORDER BY started_at, rowid').all(customerId) as { body: string }[]).map((r) => JSON.parse(r.body) as Journey);
  }
  async due(now: number): Promise<Journey[]> {
    return (this.st("SELECT body FROM journeys WHERE status = 'active' AND next_at <= ? ORDER BY next_at").all(now) as { body: string }[]).map((r) => JSON.parse(r.body) as Journey);
  }
  async waiting(): Promise<Journey[]> {
    return (this.st("SELECT body FROM journeys WHERE status = 'active' AND waiting = 1").all() as { body: string }[]).map((r) => JSON.parse(r.body) as Journey);
  }
  async erase(customerId: string): Promise<void> {
    this.st('DELETE FROM journeys WHERE customer_id = ?').run(customerId);
  }
}
