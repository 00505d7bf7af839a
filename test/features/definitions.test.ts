import { describe, it, expect } from 'vitest';
import { FeatureSet } from '../../src/features/featureSet.js';
import { BANK_PACK } from '../../src/features/bankPack.js';
import { loadFeatureFile, parseFeatureFile } from '../../src/features/load.js';
import { ValidationError } from '../../src/core/errors.js';

function issuesOf(defs: unknown[]) {
  try {
    FeatureSet.compile(defs);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

const ok = { name: 'logins_30d', description: 'Logins', events: ['login'], aggregation: 'count', window: '30d' };

describe('feature definitions', () => {
  it('compiles the bank pack: ~40+ features, unique names, every one documented', () => {
    const fs = FeatureSet.compile(BANK_PACK);
    expect(fs.size).toBeGreaterThanOrEqual(40);
    expect(new Set(fs.names).size).toBe(fs.size);
    for (const f of fs.info) expect(f.description.length).toBeGreaterThan(10);
  });

  it('names an unknown event type, field and window with the field path and rule', () => {
    const issues = issuesOf([
      { ...ok, events: ['logn'] },
      { ...ok, name: 'spend', events: ['card_payment'], value: 'payload.amout.minor', aggregation: 'sum' },
      { ...ok, name: 'w', window: '31d' },
    ]);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'features[0].events[0]', rule: 'unknown_event_type' }),
        expect.objectContaining({ field: 'features[1].value', rule: 'unknown_field' }),
        expect.objectContaining({ field: 'features[2].window', rule: 'unknown_window' }),
      ]),
    );
    expect(issues.find((i) => i.rule === 'unknown_field')!.message).toContain('amount');
  });

  it('checks fields inside CEL filters, CEL syntax, aggregation rules and derived features', () => {
    const issues = issuesOf([
      { ...ok, where: 'event.payload.chanel == "web"' },
      { ...ok, name: 'b', where: 'event.payload.channel ==' },
      { ...ok, name: 'c', aggregation: 'sum' },
      { ...ok, name: 'd', aggregation: 'days_since_last' },
      { ...ok, name: 'e', aggregation: 'ewm', window: 'lifetime', value: 'payload.channel' },
      { ...ok, name: 'logins_30d' },
    ]);
    const rules = issues.map((i) => `${i.field}:${i.rule}`);
    expect(rules).toEqual(
      expect.arrayContaining(['features[0].where:unknown_field', 'features[1].where:cel', 'features[2].value:required', 'features[3].window:lifetime_only', 'features[4].halfLifeDays:required', 'features[4].value:numeric_field', 'features[5].name:duplicate']),
    );
  });

  it('refuses derived features over unknown features, int arithmetic on doubles, and cycles', () => {
    expect(issuesOf([ok, { name: 'x', description: 'd', expr: 'logins_30d + nothing_here' }])[0]).toMatchObject({ field: 'features[1].expr', rule: 'unknown_feature' });
    expect(issuesOf([ok, { name: 'x', description: 'd', expr: 'logins_30d * 2' }])[0]).toMatchObject({ rule: 'cel' });
    expect(issuesOf([ok, { name: 'x', description: 'd', expr: 'y + 1.0' }, { name: 'y', description: 'd', expr: 'x + 1.0' }])[0]).toMatchObject({ rule: 'cycle' });
  });

  it('loads definitions from YAML and refuses a bad file naming the field', () => {
    const fs = parseFeatureFile(`version: 1\nfeatures:\n  - name: logins_7d\n    description: Logins in 7 days\n    events: [login]\n    aggregation: count\n    window: 7d\n  - name: busy\n    description: Busy user\n    expr: "logins_7d > 5.0 ? 1.0 : 0.0"\n`, 'f.yaml');
    expect(fs.names).toEqual(['logins_7d', 'busy']);
    expect(() => parseFeatureFile('version: 2\nfeatures: []\n', 'f.yaml')).toThrow(/version/);
    expect(() => loadFeatureFile('/nonexistent/features.yaml')).toThrow(/features.yaml/);
  });
});
