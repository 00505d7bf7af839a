import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteFireLog } from '../../src/triggers/sqliteFireLog.js';

const readings = (balance: number) => ({ profile: { balance }, scores: {} });

describe('SqliteFireLog readings and seen times', () => {
  it('are read back at once, written with the checkpoint in one transaction, and a reopened log sees only what was checkpointed', async () => {
    const db = new Database(':memory:');
    const log = new SqliteFireLog(db);
    await log.saveReadings('c1', readings(10));
    await log.saveSeen('c1', 'card_payment', 1_000);
    await log.saveSeen('c1', 'card_payment', 500); // an older event does not move it back
    await log.saveSeen('c2', 'login', 2_000);
    expect(await log.lastReadings('c1')).toEqual(readings(10));
    expect(await log.lastSeen('c1')).toEqual({ card_payment: 1_000 });
    expect(await log.watchedCustomers()).toEqual(['c1', 'c2']);
    // Not yet checkpointed: another reader of the file (a restart) sees none of it.
    expect(await new SqliteFireLog(db).lastReadings('c1')).toBeUndefined();
    expect(await new SqliteFireLog(db).watchedCustomers()).toEqual([]);
    await log.saveCheckpoint(7);
    const reopened = new SqliteFireLog(db);
    expect(await reopened.checkpoint()).toBe(7);
    expect(await reopened.lastReadings('c1')).toEqual(readings(10));
    expect(await reopened.lastSeen('c1')).toEqual({ card_payment: 1_000 });
    expect(await reopened.watchedCustomers()).toEqual(['c1', 'c2']);
    // A later, buffered seen time merges with the stored one.
    await log.saveSeen('c1', 'card_payment', 3_000);
    expect(await log.lastSeen('c1')).toEqual({ card_payment: 3_000 });
  });

  it('erasure drops a customer\'s buffered readings too, so the checkpoint writes nothing of them', async () => {
    const db = new Database(':memory:');
    const log = new SqliteFireLog(db);
    await log.saveReadings('gone', readings(1));
    await log.saveSeen('gone', 'login', 1);
    await log.saveReadings('kept', readings(2));
    await log.erase('gone');
    await log.saveCheckpoint(3);
    const rows = db.prepare("SELECT customer_id FROM trigger_readings UNION ALL SELECT customer_id FROM trigger_seen").all() as { customer_id: string }[];
    expect(rows.map((r) => r.customer_id)).toEqual(['kept']);
    expect(await log.lastReadings('gone')).toBeUndefined();
  });
});
