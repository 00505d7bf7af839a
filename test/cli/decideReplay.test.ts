import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { run } from '../../src/cli/decide.js';
import { createEngine } from '../../src/engine.js';
import { ManualClock } from '../../src/core/clock.js';

afterEach(() => vi.restoreAllMocks());
const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));

describe('nextbest decide show / replay on a data dir whose log keeps records packed (issue 21)', () => {
  it('a later process shows each decision as decide() returned it and replays it identically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-replay-'));
    const config = join(dir, 'nextbest.config.yaml');
    writeFileSync(config, `decisioning:\n  catalogue: ${catalogue}\n  bandit:\n    channels: { in_app: 0.5 }\nlog: { level: silent }\n`);
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' }, decisioning: { catalogue, bandit: { channels: { in_app: 0.5 } } } }, { clock: new ManualClock('2026-03-01T12:00:00Z') });
    await engine.upsertCustomers(Array.from({ length: 6 }, (_, k) => ({ customerId: `c${k}`, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
    const decided = [];
    for (let k = 0; k < 6; k++) decided.push(await engine.decide({ customerId: `c${k}`, channel: k % 2 ? 'in_app' : 'email', n: 2 }));
    await engine.close();
    // Stored packed and deflated, far smaller than the record.
    const db = new Database(join(dir, 'decision-log.db'), { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT decision_id AS id, typeof(record) AS t, LENGTH(record) AS n, chosen_actions AS chosen FROM decisions').all() as { id: string; t: string; n: number; chosen: string }[];
    db.close();
    expect(rows).toHaveLength(6);
    for (const r of rows) {
      const d = decided.find((x) => x.decisionId === r.id)!;
      expect(r.t).toBe('blob');
      expect(r.n).toBeLessThan(JSON.stringify(d).length / 4);
      expect(JSON.parse(r.chosen)).toEqual(d.chosen.map((c) => c.actionId));
    }
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    for (const d of decided) {
      out = '';
      expect(await run(['show', d.decisionId, '--data-dir', dir, '--config', config])).toBe(0);
      const { responses, ...shown } = JSON.parse(out) as Record<string, unknown>;
      expect(responses).toEqual([]);
      expect(JSON.stringify(shown)).toBe(JSON.stringify(d));
      out = '';
      expect(await run(['replay', d.decisionId, '--data-dir', dir, '--config', config])).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ decisionId: d.decisionId, identical: true, differences: [] });
    }
    expect(decided.some((d) => d.bandit !== undefined)).toBe(true);
    expect(decided.some((d) => d.chosen.length > 0)).toBe(true);
  });
});
