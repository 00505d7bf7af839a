import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { POLICIES, RULE_KINDS } from '../../src/decisioning/policies/index.js';
import { PolicyKind } from '../../src/decisioning/catalogue.js';
import { GOLDEN } from './golden.js';

describe('the built-in policy list', () => {
  it('is the one order of kinds, each with something to run', () => {
    const kinds = POLICIES.map((p) => p.kind);
    expect(kinds).toEqual(['scope', 'validity', 'channel', 'consent', 'eligibility', 'applicability', 'suitability', 'contact', 'arbitration', 'volume']);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const p of POLICIES) expect(Boolean(p.screen || p.rank || p.select), p.kind).toBe(true);
  });

  it('gives the catalogue its rule kinds, in list order', () => {
    expect(PolicyKind.options).toEqual(RULE_KINDS);
    expect(RULE_KINDS).toEqual(POLICIES.filter((p) => p.catalogueRules).map((p) => p.kind));
    expect(PolicyKind.safeParse('volume').success).toBe(false);
  });

  it('names every exclusion in the golden traces', () => {
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { cases: { record: { candidates: { excludedBy?: { kind: string } }[] } }[] };
    const seen = new Set(golden.cases.flatMap((c) => c.record.candidates.flatMap((t) => (t.excludedBy ? [t.excludedBy.kind] : []))));
    expect(seen.size).toBeGreaterThan(3);
    for (const k of seen) expect(POLICIES.map((p) => p.kind as string)).toContain(k);
  });
});
