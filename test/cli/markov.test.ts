import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureStdio } from '../helpers/stdio.js';
import { UsageError } from '../../src/cli/args.js';
import { run } from '../../src/cli/markov.js';
import { main } from '../../src/cli/main.js';
import { periodIndex, sequencesFromPanel } from '../../src/models/markov/panel.js';

const panel = fileURLToPath(new URL('../fixtures/markov/activity_panel.csv', import.meta.url));

const io = captureStdio();

describe('nextbest markov fit', () => {
  it('fits the activity chain from an unordered monthly panel with a gap', async () => {
    expect(await run(['fit', '--data', panel, '--chain', 'activity', '--horizon', '3'])).toBe(0);
    const json = JSON.parse(io.out);
    // Same moves as the hand-checked sequences in test/models/markov: c2's rows are out of
    // order, c4 skips March (no move counted), c5 has no state (dropped).
    expect(json.counts).toEqual([
      [2, 2, 0, 0],
      [1, 0, 1, 0],
      [0, 0, 1, 2],
      [0, 0, 0, 0],
    ]);
    expect(json.customers).toBe(4);
    expect(json.absorption.transient).toEqual(['active', 'declining', 'dormant']);
    // From dormant: stay w.p. 1/3 each month, so E[months to closed] = 1 / (2/3) = 1.5 and P(closed within 3) = 1 - (1/3)^3.
    expect(json.absorption.expectedPeriodsToAbsorption[2]).toBeCloseTo(1.5, 12);
    expect(json.absorption.withinHorizon[2].closed).toBeCloseTo(1 - 1 / 27, 12);
    expect(json.stationary).toBeUndefined();
  });

  it('gives a stationary distribution for an ergodic chain and Goodman intervals on request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-markov-'));
    const file = join(dir, 'panel.csv');
    // Moves: a→a 2, a→b 2, b→a 2, b→b 1 (periods as integers).
    writeFileSync(file, 'customerId,period,state\nx,1,a\nx,2,a\nx,3,b\nx,4,b\nx,5,a\ny,1,a\ny,2,b\ny,3,a\ny,4,a\n');
    expect(await run(['fit', '--data', file, '--interval', 'goodman'])).toBe(0);
    const json = JSON.parse(io.out);
    expect(json.counts).toEqual([
      [2, 2],
      [2, 1],
    ]);
    expect(json.interval).toBe('goodman');
    // Two states: π_a = P(b→a) / (P(a→b) + P(b→a)) = (2/3) / (1/2 + 2/3) = 4/7.
    expect(json.stationary[0]).toBeCloseTo(4 / 7, 12);
    expect(json.absorption).toBeUndefined();
    // With --states restricted, a row in another state is a clear error naming it.
    await expect(run(['fit', '--data', panel, '--states', 'active,declining'])).rejects.toThrow(/state "dormant" is not one of active, declining/);
  });

  it('names bad flags and columns, and exits non-zero through main', async () => {
    await expect(run(['fit', '--data', panel, '--interval', 'exact'])).rejects.toThrow(UsageError);
    await expect(run(['fit', '--data', panel, '--customer', 'client'])).rejects.toThrow(/--customer: column "client"/);
    await expect(run(['fit', '--data', panel, '--horizon', '0'])).rejects.toThrow(/--horizon/);
    expect(await main(['markov', 'fit', '--data', panel, '--chain', 'loans'])).toBe(2);
    expect(await main(['markov', 'fit', '--help'])).toBe(0);
  });
});

describe('panel to sequences', () => {
  it('reads integer and YYYY-MM periods', () => {
    expect(periodIndex('2024-01')! + 1).toBe(periodIndex('2024-02'));
    expect(periodIndex('2023-12')! + 1).toBe(periodIndex('2024-01'));
    expect(periodIndex('2024-02-29')).toBe(periodIndex('2024-02'));
    expect(periodIndex('7')).toBe(7);
    expect(periodIndex('2024-13')).toBeNull();
    expect(periodIndex('soon')).toBeNull();
  });

  it('rejects two rows for one customer and period', () => {
    expect(() => sequencesFromPanel({ customer: ['a', 'a'], period: [1, 1], state: ['x', 'y'] })).toThrow(/customer "a" has two rows for period 1/);
  });

  it('fills gaps with -1', () => {
    const s = sequencesFromPanel({ customer: ['a', 'a', 'b'], period: [3, 1, 5], state: ['y', 'x', 'x'] });
    expect(Array.from(s.codes)).toEqual([0, -1, 1, 0]);
    expect(Array.from(s.offsets)).toEqual([0, 3, 4]);
    expect(s.customerIds).toEqual(['a', 'b']);
  });
});
