import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine } from '../../src/engine.js';
import { readEventFile } from '../../src/ingest/files.js';
import { simulateToFiles, type RunSummary } from '../../src/simulation/output.js';
import { parseScenario } from '../../src/simulation/scenario.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

/** Every fault the twin injects must be one ingestion dedupes or rejects. */
describe('data faults against the real ingestion', () => {
  const scenario = parseScenario({ customers: 80, days: 15, seed: 5, faults: { duplicateRate: 0.03, lateRate: 0.03, malformedRate: 0.03, maxLateDays: 3 } });
  const dir = tempDir('faults');
  const summary: RunSummary = simulateToFiles(scenario, { outDir: dir, formats: ['jsonl', 'csv'] });
  const faults = summary.faults!;

  it('injects every kind of fault', () => {
    expect(faults.duplicates).toBeGreaterThan(50);
    expect(faults.late).toBeGreaterThan(50);
    expect(faults.malformed).toBeGreaterThan(50);
    for (const n of Object.values(faults.malformedByKind)) expect(n).toBeGreaterThan(0);
    expect(summary.rowsWritten).toBe(summary.events + faults.duplicates + faults.malformed);
  });

  for (const file of ['events.jsonl', 'events.csv']) {
    it(`${file}: duplicates are deduped, malformed rows rejected, late events accepted and placed in event-time order`, async () => {
      const engine = await createEngine({ store: 'memory' }, { clock: new ManualClock('2026-01-01T00:00:00Z'), logger: pino({ level: 'silent' }) });
      let accepted = 0;
      let duplicates = 0;
      let rejected = 0;
      for await (const page of readEventFile(join(dir, file), { batchSize: 2000 })) {
        const r = await engine.ingest(page.items, { source: file, rawText: page.rawText });
        accepted += r.accepted;
        duplicates += r.duplicates;
        rejected += r.rejected;
      }
      expect({ accepted, duplicates, rejected }).toEqual({ accepted: summary.events, duplicates: faults.duplicates, rejected: faults.malformed });
      for (const c of ['c0000001', 'c0000040', 'c0000080']) {
        const events = await engine.customerEvents(c);
        expect(events.length).toBeGreaterThan(20);
        for (let k = 1; k < events.length; k++) expect(events[k]!.t).toBeGreaterThanOrEqual(events[k - 1]!.t);
      }
      await engine.close();
    });
  }
});
