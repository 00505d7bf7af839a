import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { threeBankExperiment } from '../../src/cli/federatedDemo.js';

describe('nextbest federated demo (three twin banks, small)', () => {
  it('builds each bank\'s rows from its own log, trains over HTTP, equals central, registers in every bank, serves', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'nb-fed-demo-')), 'banks');
    const r = await threeBankExperiment({ customers: 100, days: 90, seed: 7, rounds: 5, family: 'investment', dp: false, dataDir });
    expect(r.family).toBe('investment');
    expect(r.banks.every((b) => b.trainRows > 20 && b.trainPositives > 0)).toBe(true);
    // Different customer mixes give different banks.
    expect(new Set(r.banks.map((b) => b.trainRows)).size).toBe(3);
    expect(r.maxPredictionGap).toBeLessThan(1e-12);
    expect(r.table.map((t) => t.model)).toEqual(['federated', 'central (pooled rows)', 'bank-a alone', 'bank-b alone', 'bank-c alone']);
    expect(r.table[0]!.all).toBe(r.table[1]!.all);
    expect(r.federated.participants.map((p) => p.registered)).toEqual(['propensity_investment@1', 'propensity_investment@1', 'propensity_investment@1']);
    expect(r.served?.model).toBe('propensity_investment@1');
  }, 240_000);
});
