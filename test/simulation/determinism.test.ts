import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/simulation/scenario.js';
import { simulateToFiles } from '../../src/simulation/output.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const scenario = parseScenario({
  customers: 100,
  days: 15,
  seed: 77,
  inflation: 4,
  marketEvents: [
    { day: 3, kind: 'base_rate_change', value: 5 },
    { day: 5, kind: 'inflation_release', value: 7.5 },
    { day: 9, kind: 'market_shock', value: -15 },
  ],
  response: { investment: { cash_rich_saver: 1.5 }, credit_card: { all: 0.8 } },
  drift: [{ day: 8, personaMix: { student: 0.5, retiree: 0.5 } }],
  faults: { duplicateRate: 0.01, lateRate: 0.01, malformedRate: 0.01 },
});

function filesOf(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));
}

describe('same seed, same bytes', () => {
  it('two runs of one scenario write byte-identical files (events in both formats, customers, ground truth, summary)', () => {
    const a = tempDir('det-a');
    const b = tempDir('det-b');
    simulateToFiles(scenario, { outDir: a, formats: ['jsonl', 'csv'] });
    simulateToFiles(scenario, { outDir: b, formats: ['jsonl', 'csv'] });
    const fa = filesOf(a);
    const fb = filesOf(b);
    expect(Object.keys(fa)).toEqual(['customers.jsonl', 'events.csv', 'events.jsonl', 'groundtruth.jsonl', 'truth.json']);
    for (const name of Object.keys(fa)) expect(fa[name]!.equals(fb[name]!), name).toBe(true);
    expect(fa['events.jsonl']!.length).toBeGreaterThan(50_000);
  });

  it('the fast JSONL path and the object path agree when no faults are injected', () => {
    const clean = parseScenario({ ...scenario, faults: { duplicateRate: 0, lateRate: 0, malformedRate: 0 } });
    const fast = tempDir('det-fast');
    const both = tempDir('det-both');
    simulateToFiles(clean, { outDir: fast, formats: ['jsonl'] });
    simulateToFiles(clean, { outDir: both, formats: ['jsonl', 'csv'] });
    expect(readFileSync(join(fast, 'events.jsonl')).equals(readFileSync(join(both, 'events.jsonl')))).toBe(true);
  });

  it('another seed gives other events', () => {
    const a = tempDir('det-s1');
    const b = tempDir('det-s2');
    simulateToFiles(parseScenario({ ...scenario, seed: 1 }), { outDir: a });
    simulateToFiles(parseScenario({ ...scenario, seed: 2 }), { outDir: b });
    expect(readFileSync(join(a, 'events.jsonl')).equals(readFileSync(join(b, 'events.jsonl')))).toBe(false);
  });

  it('ground truth stays out of the event files', () => {
    const dir = tempDir('det-truth');
    simulateToFiles(scenario, { outDir: dir, formats: ['jsonl'] });
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8');
    expect(events).not.toMatch(/churnHazard|prepaymentHazard|"persona"|"stress"/);
    const truth = readFileSync(join(dir, 'groundtruth.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(truth.length).toBeGreaterThan(100 * 15 * 0.9);
    expect(JSON.parse(truth[0]!)).toMatchObject({ day: 0, customerId: 'c0000001' });
  });
});
