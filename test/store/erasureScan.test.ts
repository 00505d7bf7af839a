import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine } from '../../src/engine.js';
import { exampleEvents } from '../helpers/events.js';
import { scanFiles } from './scanFiles.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));

describe('erasure leaves no bytes of the customer in the data dir (SQLite store)', () => {
  it('after erasure (WAL truncated) and after close, no file holds the id, email or name', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nb-erase-scan-'));
    const id = 'zq-erasable-4711';
    const email = 'zoe.quartermaine@example.org';
    const name = 'Zoe Quartermaine';
    const other = 'keep-me-0815';
    const clock = new ManualClock('2026-03-01T12:00:00Z');
    const engine = await createEngine({ dataDir, log: { level: 'silent' }, decisioning: { catalogue }, privacy: { retentionEveryMinutes: 0 } }, { clock });
    const up = await engine.upsertCustomers([
      { customerId: id, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true }, attributes: { email, full_name: name } },
      { customerId: other, dateOfBirth: '1975-05-05', consents: { marketing: true } },
    ]);
    expect(up.upserted).toBe(2);
    for (const c of [id, other]) {
      const r = await engine.ingest(exampleEvents(c, '2026-03-01T09:00:00Z', c).filter((e) => e.type !== 'market_event'));
      expect(r.rejected).toBe(0);
      await engine.decide({ customerId: c, channel: 'in_app', n: 2 });
      await engine.decide({ customerId: c, channel: 'email', n: 1 });
    }
    // A quarantined item of theirs, raw body included.
    expect((await engine.ingest([{ eventId: 'bad-1', customerId: id, occurredAt: 'not a date', type: 'login', schemaVersion: 1, payload: { note: email } }])).rejected).toBe(1);
    expect(scanFiles(dataDir, [id]).length).toBeGreaterThan(0); // the scan can see them before

    const erased = await engine.eraseCustomer(id);
    expect(erased).toMatchObject({ record: true, rejects: 1 });
    expect(scanFiles(dataDir, [id, email, name]), 'after erasure, engine open').toEqual([]);
    await engine.close();
    expect(scanFiles(dataDir, [id, email, name]), 'after close').toEqual([]);
    // The other customer's data is still there: the scan is not vacuous.
    expect(scanFiles(dataDir, [other]).length).toBeGreaterThan(0);
  }, 30_000);
});
