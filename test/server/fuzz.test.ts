import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { testApp } from '../helpers/app.js';
import { exampleEvents } from '../helpers/events.js';

/** Every path (dotted) into a JSON value, objects and arrays included. */
function paths(v: unknown, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const own = Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => paths(x, [...prefix, k]));
  return prefix.length ? [prefix, ...own] : own;
}

function mutate(base: Record<string, unknown>, path: string[], op: 'delete' | 'replace', value: unknown): unknown {
  const copy = structuredClone(base);
  let cur = copy as Record<string, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  if (op === 'delete') delete cur[last];
  else cur[last] = value;
  return copy;
}

const examples = exampleEvents('fz', '2026-02-27T09:00:00Z');
const oddValues = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(null, '', ' ', -0, 1e308, -1e308, 2 ** 53, 0.1, '2026-02-30T25:61:00Z', '9999-12-31T23:59:59Z', 'GBP', 'XXX', 'gbp', '__proto__', [], {}, '\u0000', '💷'.repeat(50), 'a'.repeat(5000)),
);
const item = fc.oneof(
  { weight: 6, arbitrary: fc.record({ base: fc.constantFrom(...examples), pick: fc.nat(), op: fc.constantFrom('delete' as const, 'replace' as const), value: oddValues }) },
  { weight: 2, arbitrary: fc.record({ base: fc.constantFrom(...examples), pick: fc.constant(-1), op: fc.constant('replace' as const), value: fc.constant(null) }) },
  { weight: 1, arbitrary: fc.record({ base: fc.constant(null), pick: fc.constant(0), op: fc.constant('replace' as const), value: fc.jsonValue() }) },
);

describe('HTTP ingest under random and mutated input', () => {
  it('never answers 5xx, names a field for every rejection, stores exactly what it accepted (10,000 items)', async () => {
    const t = await testApp();
    const accepted = new Set<string>();
    let n = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 4 }), fc.boolean(), async (specs, asBatch) => {
        const raws = specs.map((s) => {
          n++;
          if (s.base === null) return s.value;
          const base = { ...(s.base as Record<string, unknown>), eventId: `fz-${n}` };
          if (s.pick < 0) return base;
          const all = paths(base);
          return mutate(base, all[s.pick % all.length]!, s.op, s.value);
        });
        const body = asBatch || raws.length > 1 ? { events: raws } : raws[0];
        const res = await t.post('/v1/events', body);
        expect(res.statusCode, res.body).toBeLessThan(500);
        const json = res.json();
        const results = json.results ?? [{ status: 'rejected', issues: json.error?.details?.issues ?? [{ field: 'events', rule: 'type' }] }];
        results.forEach((r: { status: string; eventId?: string; issues?: { field: string; rule: string }[] }, i: number) => {
          if (r.status === 'accepted') accepted.add(r.eventId!);
          if (r.status === 'rejected') {
            rejected++;
            expect(r.issues!.length).toBeGreaterThan(0);
            const raw = Array.isArray(json.results) ? raws[i] : body;
            for (const issue of r.issues!) {
              expect(typeof issue.rule).toBe('string');
              // an object item's issues name a field; a non-object item is the field itself
              if (raw && typeof raw === 'object' && !Array.isArray(raw)) expect(issue.field.length, JSON.stringify(issue)).toBeGreaterThan(0);
            }
          }
        });
      }),
      { numRuns: 4500, seed: 20261122 },
    );
    expect(n).toBeGreaterThanOrEqual(10_000);
    expect(rejected).toBeGreaterThan(1000);
    expect(accepted.size).toBeGreaterThan(500);
    const stored: string[] = [];
    for await (const page of t.engine.stores.eventLog.scan()) stored.push(...page.map((e) => e.event.eventId));
    expect(new Set(stored)).toEqual(accepted);
    expect(stored.length).toBe(accepted.size);
    await t.close();
  });
});
