import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { MemoryContactStore } from '../../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../../src/store/memory/decisionLog.js';
import { SqliteContactStore } from '../../src/store/sqlite/contactStore.js';
import { SqliteDecisionLog } from '../../src/store/sqlite/decisionLog.js';
import { WorkerSqliteDecisionLog } from '../../src/store/sqlite/decisionLogWorker.js';
import { contactStoreContract } from './contactStore.contract.js';
import { decisionLogContract } from './decisionLog.contract.js';

const db = () => openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-dec-')), 'db.sqlite'));
contactStoreContract('memory', async () => new MemoryContactStore());
contactStoreContract('sqlite', async () => new SqliteContactStore(db()));
decisionLogContract('memory', async () => new MemoryDecisionLog());
decisionLogContract('sqlite', async () => new SqliteDecisionLog(db()));
decisionLogContract('sqlite, written by a worker thread', async () => new WorkerSqliteDecisionLog(join(mkdtempSync(join(tmpdir(), 'nb-declog-')), 'decision-log.db')));

describe('decision log written by a worker thread', () => {
  const decision = (id: string, customerId: string, at: number) => ({ decisionId: id, customerId, channel: 'email', decidedAt: at, catalogueVersion: 'v1', record: { id, chosen: [{ actionId: 'a' }] } });

  it('commits concurrent appends in batches, fails a duplicate alone, and keeps everything across a reopen', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-declog-')), 'decision-log.db');
    const log = new WorkerSqliteDecisionLog(path);
    const results = await Promise.allSettled([...Array.from({ length: 500 }, (_, i) => log.append(decision(`d${i}`, `c${i % 7}`, 1000 + i))), log.append(decision('d3', 'c3', 5))]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((results[500] as PromiseRejectedResult).reason.message).toMatch(/UNIQUE/);
    // An append resolves only once committed: a read right after sees it.
    await log.append(decision('late', 'c1', 9999));
    expect((await log.get('late'))?.record).toEqual({ id: 'late', chosen: [{ actionId: 'a' }] });
    await log.close();
    await expect(log.append(decision('after', 'c1', 1))).rejects.toThrow();

    const again = new WorkerSqliteDecisionLog(path);
    expect(await again.count()).toBe(501);
    expect((await again.get('d3'))?.decidedAt).toBe(1003);
    expect(await again.eraseCustomer('c0')).toBe(72);
    expect(await again.count()).toBe(429);
    await again.close();
  });
});
