import { describe, expect, it } from 'vitest';
import { catalogueDiff } from '../../web/src/pages/CatalogueTry';
import { searchQuery } from '../../web/src/pages/DecisionSearch';
import { comparisonText } from '../../web/src/pages/Experiments';
import { brief } from '../../web/src/pages/Audit';
import { issuesForAction, withEditedAction, type Action } from '../../web/src/pages/Catalogue';

const action = (id: string, extra: Partial<Action> = {}): Action => ({ id, name: id, family: 'savings', treatments: { email: {} }, ...extra });

describe('catalogue diff', () => {
  it('lists actions added and removed, the fields that changed, and other sections', () => {
    const a = { formatVersion: 1, actions: [action('a'), action('b', { policies: [{ kind: 'eligibility', when: 'true', reason: 'r' }] })], levers: { families: {} } };
    const b = { formatVersion: 1, actions: [action('b', { policies: [{ kind: 'eligibility', when: 'false', reason: 'r' }] }), action('c', { family: 'investment' })], levers: { families: { savings: 2 } } };
    const lines = catalogueDiff(a, b);
    expect(lines).toContain('add action c (investment)');
    expect(lines).toContain('remove action a');
    expect(lines.find((l) => l.startsWith('b.policies:'))).toContain('"when":"false"');
    expect(lines).toContain('levers: {"families":{}} → {"families":{"savings":2}}');
    expect(catalogueDiff(a, structuredClone(a))).toEqual([]);
  });
});

describe('decision search query', () => {
  it('sends only the filters set, times as UTC ISO, and the cursor', () => {
    const q = searchQuery({ customerId: ' c1 ', actionId: '', channel: 'email', from: '2026-03-01T10:00', to: '' }, 'abc', 20);
    const u = new URL(q, 'http://x');
    expect(u.pathname).toBe('/v1/decisions');
    expect(Object.fromEntries(u.searchParams)).toEqual({ customerId: 'c1', channel: 'email', from: '2026-03-01T10:00:00.000Z', limit: '20', cursor: 'abc' });
  });
});

describe('review texts', () => {
  it('states a comparison with its interval and p-value, or why it cannot', () => {
    expect(comparisonText({ difference: 0.0123, relativeLift: 0.1, pValue: 0.0412, newcombeInterval: [0.001, 0.024] })).toBe('+1.23 pts (95% CI 0.1% – 2.4%), p = 0.041');
    expect(comparisonText({ unavailable: 'no variance' })).toBe('not computable: no variance');
  });
  it('shortens long audit values', () => {
    expect(brief(null)).toBe('—');
    expect(brief({ a: 1 })).toBe('{"a":1}');
    expect(brief('x'.repeat(500))).toHaveLength(158);
  });
  it('puts the edited action in the catalogue and reads back the issues about it alone', () => {
    const cat = { formatVersion: 1, actions: [action('a'), action('b')] };
    const edited = withEditedAction(cat, action('b', { policies: [{ kind: 'eligibility', when: 'x >', reason: 'r' }] }));
    expect(edited.actions[1]!.policies).toHaveLength(1);
    expect(cat.actions[1]!.policies).toBeUndefined();
    const issues = [{ field: 'actions.1.policies.0.when', rule: 'cel', message: 'bad' }, { field: 'actions.0.policies.0.when', rule: 'cel', message: 'other' }];
    expect(issuesForAction(issues, 1)).toEqual([{ field: 'policies.0.when', rule: 'cel', message: 'bad' }]);
  });
});

describe('drift over time', () => {
  it('draws the score and the features that shifted most at any check', async () => {
    const { driftSeries } = await import('../../web/src/components/DriftOverTime');
    const checks: import('../../web/src/components/DriftOverTime').DriftCheck[] = [
      { checkedAt: '2026-01-01T00:00:00Z', rows: 10, scorePsi: 0.01, features: { a: 0.01, b: 0.3, c: 0.02 }, ece: null, drifted: false },
      { checkedAt: '2026-02-01T00:00:00Z', rows: 10, scorePsi: 0.2, features: { a: 0.5, b: 0.05 }, ece: 0.1, drifted: true },
    ];
    const s = driftSeries(checks, 2);
    expect(s.map((x) => x.name)).toEqual(['score', 'a', 'b']);
    expect(s[0]!.values).toEqual([0.01, 0.2]);
    expect(s[2]!.values).toEqual([0.3, 0.05]);
    expect(driftSeries([{ ...checks[1]!, features: {} }], 2)[0]!.values).toEqual([0.2]);
  });
});

describe('ingest rate', () => {
  it('differences two readings of the event count', async () => {
    const { ingestRate } = await import('../../web/src/pages/Operations');
    expect(ingestRate(null, { events: 10, at: 1000 })).toBeNull();
    expect(ingestRate({ events: 10, at: 1000 }, { events: 60, at: 6000 })).toBe(10);
    expect(ingestRate({ events: 10, at: 1000 }, { events: 10, at: 1000 })).toBeNull();
    // An erasure can lower the count: never a negative rate.
    expect(ingestRate({ events: 100, at: 0 }, { events: 90, at: 1000 })).toBe(0);
  });
});

describe('trigger periods', () => {
  it('reads milliseconds in the largest whole unit', async () => {
    const { period } = await import('../../web/src/pages/Triggers');
    expect(period(30 * 86_400_000)).toBe('30 d');
    expect(period(36 * 3_600_000)).toBe('36 h');
    expect(period(90 * 60_000)).toBe('90 min');
    expect(period(1500)).toBe('1500 ms');
  });
});

describe('customer 360 extras', () => {
  it('reads the peer sentences of the segment score, and nothing when there are none', async () => {
    const { peerSentences } = await import('../../web/src/pages/Customer360');
    expect(peerSentences({ segment: { name: 'savers', peers: { size: 10, insights: [{ sentence: 'Your card spend: higher than 72% of customers like you.' }, { sentence: 3 }] } } })).toEqual(['Your card spend: higher than 72% of customers like you.']);
    expect(peerSentences({ segment: null })).toEqual([]);
    expect(peerSentences(undefined)).toEqual([]);
  });
  it('states an outcome difference with its interval', async () => {
    const { outcomeText } = await import('../../web/src/pages/Experiments');
    expect(outcomeText({ contacted: 10, comparison: 10, difference: 0.05, interval: [0.01, 0.09], pValue: 0.01, worse: true })).toBe('+0.050 [0.01, 0.09] worse');
    expect(outcomeText({ unavailable: 'too few' })).toBe('— (too few)');
  });
});
