import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { loadScenario, parseScenario } from '../../src/simulation/scenario.js';

const scenarios = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');

describe('scenarios', () => {
  it('every scenario file in scenarios/ is valid', () => {
    const files = readdirSync(scenarios).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['default.yaml', 'drift.yaml']));
    for (const f of files) expect(loadScenario(join(scenarios, f)).name).toBe(f.replace('.yaml', ''));
  });

  it('defaults make an empty scenario runnable', () => {
    const s = parseScenario({});
    expect(s.customers).toBeGreaterThan(0);
    expect(Object.values(s.personaMix).reduce((a, b) => a + (b ?? 0), 0)).toBeCloseTo(1, 6);
  });

  const issues = (input: unknown) => {
    try {
      parseScenario(input);
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      return (e as ValidationError).issues.map((i) => `${i.field}:${i.rule}`);
    }
    throw new Error('expected a ValidationError');
  };

  it('errors name the field and the rule', () => {
    expect(issues({ personaMix: { student: 0.5, retiree: 0.4 } })).toEqual(['personaMix:rule']);
    expect(issues({ personaMix: { wizard: 1 } })).toContain('personaMix:unknown_field');
    expect(issues({ customers: 0 })).toEqual(['customers:min']);
    expect(issues({ marketEvents: [{ day: 12, kind: 'rate_hike', value: 4 }] })).toEqual(['marketEvents.0.kind:enum']);
    expect(issues({ faults: { duplicateRate: 2 } })).toEqual(['faults.duplicateRate:max']);
    expect(issues({ custmers: 10 })).toEqual([':unknown_field']);
  });

  it('product response: families and personas by name, multipliers from 0 to 10, errors naming the field', () => {
    expect(parseScenario({ response: { investment: { cash_rich_saver: 1.5, all: 0.8 } } }).response).toEqual({ investment: { cash_rich_saver: 1.5, all: 0.8 } });
    expect(issues({ response: { investmnt: { retiree: 2 } } })).toEqual(['response:unknown_field']);
    expect(issues({ response: { investment: { wizard: 2 } } })).toEqual(['response.investment:unknown_field']);
    expect(issues({ response: { investment: { retiree: -1 } } })).toEqual(['response.investment.retiree:min']);
    expect(issues({ response: { investment: { retiree: 11 } } })).toEqual(['response.investment.retiree:max']);
    expect(issues({ response: { investment: 2 } })).toEqual(['response.investment:type']);
    expect(issues({ inflation: 80 })).toEqual(['inflation:max']);
  });
});
