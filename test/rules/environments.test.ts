import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Environment } from '@marcbachmann/cel-js';
import { BANK_PACK } from '../../src/features/bankPack.js';
import { derivedDeps, PLAIN_PATH } from '../../src/features/validate.js';
import { compileRule, derivedFeatureEnvironment, rulePath, type RuleProgram } from '../../src/rules/index.js';

// The closures must agree with cel-js in the event and formula environments too, where
// `event` is declared dyn and a formula's features are declared double.
type Outcome = { value: unknown } | { error: string };
const outcome = (run: () => unknown): Outcome => {
  try {
    return { value: run() };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
};
const agree = (a: Outcome, b: Outcome) => ('error' in a ? 'error' in b && a.error === b.error : 'value' in b && (Object.is(a.value, b.value) || JSON.stringify(a.value) === JSON.stringify(b.value)));

const defs = BANK_PACK as unknown as { name: string; where?: string; value?: string; expr?: string }[];
const eventRules = [...new Set(defs.flatMap((d) => [d.where, d.value]).filter((e): e is string => e !== undefined && !PLAIN_PATH.test(e)))];
const names = new Set(defs.map((d) => d.name));
const formulas = defs.filter((d) => d.expr !== undefined).map((d) => ({ expr: d.expr!, deps: derivedDeps(d.expr!, names) }));

const anything = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('current', 'savings', 'isa', 'GB', 'FR', 'self', 'missed', 'complaint', 'hardship', 'negative', 'credit', '3500', '5411', 'mobile_app'), fc.double(), fc.integer().map(BigInt), fc.boolean(), fc.constant(null), fc.array(fc.constantFrom('complaint', 'hardship', 'x'), { maxLength: 3 }));
const payload = fc.dictionary(
  fc.constantFrom('accountType', 'balance', 'merchantCategoryCode', 'merchantCountry', 'originalAmount', 'cardType', 'channel', 'counterpartyBank', 'ownAccount', 'status', 'kind', 'side', 'topics', 'sentiment', 'amount'),
  fc.oneof(anything, fc.record({ minor: fc.oneof(fc.integer(), fc.double()), currency: fc.constant('GBP') })),
);

describe('closures agree with cel-js beyond the decision environment', () => {
  it('feature filters and values over random events (event declared dyn)', () => {
    const reference = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false }).registerVariable('event', 'dyn');
    const rules = eventRules.map((e) => ({ e, ours: compileRule(e, 'feature', 'f'), theirs: reference.parse(e) }));
    expect(rules.filter((r) => rulePath(r.ours)!.compiled).length).toBeGreaterThan(rules.length / 2);
    fc.assert(
      fc.property(payload, (p) => {
        const vars = { event: { type: 'x', payload: p } };
        for (const r of rules) expect(agree(outcome(() => r.ours(vars)), outcome(() => r.theirs(vars))), r.e).toBe(true);
      }),
      { numRuns: 500, seed: 20261204 },
    );
  });

  it('derived feature formulas over random doubles (features declared double)', () => {
    const progs: { expr: string; ours: RuleProgram; theirs: (v: Record<string, unknown>) => unknown; deps: string[] }[] = formulas.map((f) => {
      const env = new Environment({ unlistedVariablesAreDyn: false });
      for (const n of f.deps) env.registerVariable(n, 'double');
      return { expr: f.expr, ours: compileRule(f.expr, derivedFeatureEnvironment(f.deps), 'f'), theirs: env.parse(f.expr), deps: f.deps };
    });
    expect(progs.every((p) => rulePath(p.ours)!.compiled)).toBe(true);
    const value = fc.oneof({ weight: 8, arbitrary: fc.double() }, fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY), fc.constantFrom<unknown>(1n, 'a', undefined, null, true));
    fc.assert(
      fc.property(fc.array(value, { minLength: 8, maxLength: 8 }), (vs) => {
        for (const p of progs) {
          const vars = Object.fromEntries(p.deps.map((d, i) => [d, vs[i % vs.length]]));
          expect(agree(outcome(() => p.ours(vars)), outcome(() => p.theirs(vars))), p.expr).toBe(true);
        }
      }),
      { numRuns: 1000, seed: 20261204 },
    );
  });
});
