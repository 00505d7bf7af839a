import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { readSimulatedClock, writeSimulatedClock } from '../../src/engine/dataDirClock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'nb-clock-'));
const customer = { customerId: 'k1', dateOfBirth: '1980-05-01', consents: { marketing: true, personalised_offers: true } };

describe('a data dir on simulated time (clock.json)', () => {
  it('an engine opened on a dir the demo wrote decides at the demo instant, not the real clock', async () => {
    const dataDir = dir();
    const at = Date.parse('2025-05-01T09:00:00Z');
    writeSimulatedClock(dataDir, at, 'test');
    expect(readSimulatedClock(dataDir)).toBe(at);
    const engine = await createEngine({ dataDir, log: { level: 'silent' } });
    try {
      await engine.upsertCustomers([customer]);
      // Ingest checks timestamps against the simulated instant: today's real time is in its future.
      const login = (eventId: string, occurredAt: string) => ({ eventId, customerId: 'k1', type: 'login', schemaVersion: 1, occurredAt, payload: { channel: 'mobile_app' } });
      const r = await engine.ingest([login('e1', '2025-05-01T08:59:00Z'), login('e2', new Date().toISOString())]);
      expect(r.results.map((x) => x.status)).toEqual(['accepted', 'rejected']);
      const d = await engine.decide({ customerId: 'k1', channel: 'in_app' });
      expect(d.decidedAt).toBe('2025-05-01T09:00:00.000Z');
    } finally {
      await engine.close();
    }
  });

  it('a dir without the file runs on the real clock; a broken file is refused with the field and the way out', async () => {
    const plain = dir();
    expect(readSimulatedClock(plain)).toBeUndefined();
    const broken = dir();
    writeFileSync(join(broken, 'clock.json'), JSON.stringify({ simulatedNow: 'yesterday' }));
    expect(() => readSimulatedClock(broken)).toThrow(/simulatedNow: .*delete it to run on the real clock/);
    writeFileSync(join(broken, 'clock.json'), '{');
    expect(() => readSimulatedClock(broken)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    await expect(createEngine({ dataDir: broken, log: { level: 'silent' } })).rejects.toThrow(/clock\.json/);
  });
});
