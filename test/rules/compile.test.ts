import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Environment } from '@marcbachmann/cel-js';
import { compileRule, evaluateNumber, evaluatePredicate, rulePath, type RuleProgram } from '../../src/rules/index.js';
import { compileCatalogue, customerView, parseCatalogueYaml } from '../../src/decisioning/index.js';
import { Customer } from '../../src/core/customer.js';
import type { ValidationError } from '../../src/core/errors.js';

// The reference: cel-js exactly as the decision environment configures it, with nothing in front.
const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

type Outcome = { value: unknown } | { error: string };

function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : `thrown ${String(e)}` };
  }
}

/** Same value as cel-js gives: Object.is on primitives (1 is not 1n, NaN is NaN), structure on plain lists and maps. */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.getPrototypeOf(b)) return false;
  // cel-js's own values (uint, bytes, types) are fresh instances per run: same class, same content.
  if (proto !== Object.prototype) return String(a) === String(b) && same(Object.entries(a), Object.entries(b));
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const show = (o: Outcome) => ('error' in o ? o.error : `value ${typeof o.value === 'bigint' ? `${o.value}n` : String(o.value)} (${typeof o.value})`);

/** Runs `expression` on each set of variables through compileRule and through cel-js, and says where they differ. */
function disagreements(expression: string, varSets: Record<string, unknown>[], program?: RuleProgram): string[] {
  const reference = env.parse(expression);
  const compiled = program ?? compileRule(expression, 'decision', 'test');
  const out: string[] = [];
  for (const vars of varSets) {
    const want = outcome(() => reference(vars));
    const got = outcome(() => compiled(vars));
    const agree = 'error' in want ? 'error' in got && got.error === want.error : 'value' in got && same(got.value, want.value);
    if (!agree) out.push(`${expression}: cel-js gives ${show(want)}, compiled ${show(got)}`);
  }
  return out;
}

// --- the random grammar: the fast subset and the CEL around it ---------------------------------

const LITERALS = ['0', '1', '2', '18', '9223372036854775807', '0.0', '1.0', '1.5', '3.0', '18.0', '-2.5', '1e3', '"a"', '"b"', '""', '"isa"', 'true', 'false', 'null', '1u', 'b"a"'];
// Variables lean to a type (a, b numbers, c a bool, s a string, l a list of strings, o a map
// of those) so that many expressions stay on the fast path, but any of them can be anything.
const NAMES = ['a', 'b', 'c', 's', 'l', 'o', 'o', 'missing', 'int'];
const FIELDS = ['p', 'q', 'r', 't', 'p', 'q', 'r', 't', 'constructor', 'toString', 'length', 'zz'];
const BINARY = ['&&', '||', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', 'in'];

const { expr } = fc.letrec<{ expr: string; leaf: string; path: string; compound: string }>((tie) => ({
  expr: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('compound'), tie('compound')),
  leaf: fc.oneof(fc.constantFrom(...LITERALS), tie('path'), tie('path')),
  path: fc.tuple(fc.constantFrom(...NAMES), fc.array(fc.constantFrom(...FIELDS), { maxLength: 2 })).map(([n, fs]) => [n, ...(n === 'o' && fs.length === 0 ? ['p'] : fs)].join('.')),
  compound: fc.oneof(
    fc.tuple(tie('expr'), fc.constantFrom(...BINARY), tie('expr'), fc.boolean()).map(([l, op, r, paren]) => (paren ? `(${l} ${op} ${r})` : `${l} ${op} ${r}`)),
    fc.tuple(fc.constantFrom('!', '-'), tie('expr')).map(([op, e]) => `${op}(${e})`),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, t, f]) => `(${c} ? ${t} : ${f})`),
    fc.array(tie('expr'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
    tie('expr').map((e) => `size(${e})`),
    tie('expr').map((e) => `(${e}).size()`),
    tie('path').map((p) => `has(${p.includes('.') ? p : `${p}.p`})`),
    fc.tuple(fc.constantFrom('int', 'double', 'string', 'dyn', 'type'), tie('expr')).map(([f, e]) => `${f}(${e})`),
    fc.tuple(tie('path'), fc.constantFrom('exists', 'all'), tie('expr')).map(([p, m, e]) => `${p}.${m}(x, x == ${e})`),
    fc.tuple(tie('path'), tie('expr')).map(([p, e]) => `${p}[${e}]`),
    tie('expr').map((e) => `{"p": ${e}}.p`),
  ),
}));

// The same operators put together so that the operand types usually fit: policy-shaped
// expressions whose closures mostly run to the end rather than bailing at the first node.
const { policy } = fc.letrec<{ policy: string; bool: string; num: string; str: string }>((tie) => ({
  policy: fc.oneof(tie('bool'), tie('bool'), tie('num'), tie('str'), fc.tuple(tie('bool'), tie('num'), tie('num')).map(([c, t, f]) => `${c} ? ${t} : ${f}`)),
  num: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', 'o.p', '0.0', '1.5', '18.0', '18', '0', '-1'),
    fc.tuple(tie('num'), fc.constantFrom('+', '-', '*', '/'), tie('num')).map(([l, op, r]) => `(${l} ${op} ${r})`),
    tie('num').map((e) => `-${e}`),
    fc.constantFrom('size(l)', 'o.t.size()'),
  ),
  str: fc.constantFrom('s', 'o.r', '"a"', '"isa"'),
  bool: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('c', 'o.q', 'true', 'false'),
    fc.tuple(tie('num'), fc.constantFrom('<', '<=', '>', '>=', '==', '!='), tie('num')).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(tie('str'), fc.constantFrom('==', '!='), tie('str')).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(tie('str'), fc.constantFrom('l', 'o.t', '["a", "b"]', '[s, "isa"]')).map(([x, list]) => `${x} in ${list}`),
    tie('bool').map((e) => `!(${e})`),
    fc.tuple(tie('bool'), fc.constantFrom('&&', '||'), tie('bool')).map(([l, op, r]) => `(${l} ${op} ${r})`),
    fc.tuple(tie('bool'), tie('bool'), tie('bool')).map(([c, t, f]) => `(${c} ? ${t} : ${f})`),
  ),
}));

// Values of every kind cel-js meets: the ones the closures handle and the ones they must leave alone.
class Account {
  p = 1;
}
const inherited = Object.assign(Object.create({ p: 1.5 }) as Record<string, unknown>, { q: 'a' });
const bare = Object.assign(Object.create(null) as Record<string, unknown>, { p: 2, q: ['a', 'b'] });
const weird = fc.constantFrom<unknown>(new Map([['p', 1]]), new Set(['a']), new Date(0), () => 1, new Account(), inherited, bare, { constructor: 5, p: 1 }, [undefined], new Uint8Array([1]), Symbol('s'));
const scalar = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, 1, 2, 18, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 2 ** 53 + 2, 2 ** 63),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.constantFrom(0n, 1n, 2n, 18n, -1n, 9223372036854775807n, -9223372036854775808n),
  fc.constantFrom('a', 'b', '', 'isa', '18', 'é'),
  fc.boolean(),
  fc.constantFrom(null, undefined),
);
const { value } = fc.letrec<{ value: unknown; list: unknown[]; map: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, scalar, tie('list'), tie('map'), weird),
  list: fc.oneof(fc.array(fc.constantFrom('a', 'b', 'isa'), { maxLength: 4 }), fc.array(tie('value'), { maxLength: 3 })),
  map: fc.record({ p: tie('value'), q: tie('value'), r: tie('value') }, { requiredKeys: [] }),
}));
const mostly = <T>(typical: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: typical }, { weight: 1, arbitrary: value });
const num = mostly(fc.oneof(fc.double(), fc.constantFrom(0, 1, 2, 18, 1.5, 3, Number.NaN, 2 ** 53 + 2), fc.constantFrom(0n, 1n, 2n, 18n, -1n, 9223372036854775807n)));
const bool = mostly(fc.boolean());
const str = mostly(fc.constantFrom('a', 'b', 'isa', ''));
const strings = mostly(fc.array(fc.constantFrom('a', 'b', 'isa'), { maxLength: 4 }));
const map = mostly(fc.record({ p: num, q: bool, r: str, t: strings }, { requiredKeys: ['p', 'q', 'r'] }));
const varSet = fc.record({ a: num, b: num, c: bool, s: str, l: strings, o: map }, { requiredKeys: ['a', 'b', 'c', 'o'] });

describe('compiled CEL agrees with cel-js', () => {
  it('on thousands of random expressions over random values, inside and outside the fast subset', () => {
    const tally = { expressions: 0, refused: 0, compiled: 0, fast: 0, fellBack: 0, interpreted: 0 };
    fc.assert(
      fc.property(fc.oneof(expr, policy), fc.array(varSet, { minLength: 1, maxLength: 6 }), (expression, varSets) => {
        try {
          env.parse(expression);
        } catch {
          expect(() => compileRule(expression, 'decision', 'test')).toThrow(/does not compile/);
          return;
        }
        let program: RuleProgram;
        try {
          program = compileRule(expression, 'decision', 'test');
        } catch (e) {
          // Refused on cost (nested comprehensions): never run, so nothing to compare.
          expect((e as ValidationError).issues.map((i) => i.rule)).toEqual(expect.arrayContaining([expect.stringMatching(/^cel_(nesting|cost)$/)]));
          tally.refused++;
          return;
        }
        const path = rulePath(program)!;
        tally.expressions++;
        if (path.compiled) tally.compiled++;
        const before = path.fallbacks;
        expect(disagreements(expression, varSets, program)).toEqual([]);
        if (!path.compiled) tally.interpreted += varSets.length;
        else {
          tally.fellBack += path.fallbacks - before;
          tally.fast += varSets.length - (path.fallbacks - before);
        }
      }),
      { numRuns: 10_000, seed: 20261201 },
    );
    // The property is only as good as its mix: every path must be well exercised.
    expect(tally.expressions).toBeGreaterThan(9000);
    expect(tally.refused).toBeLessThan(tally.expressions / 50);
    // With this seed: 10,000 expressions, 6,006 compiled; 13,450 runs on the closures, 7,040 fell back, 13,701 interpreted.
    expect(tally.compiled / tally.expressions).toBeGreaterThan(0.4);
    for (const n of [tally.fast, tally.fellBack, tally.interpreted]) expect(n).toBeGreaterThan(5000);
  });

  const NUMBERS = { n: 3.5, two: 2, i: 2n, big: 9223372036854775807n, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, s: 'a', t: 'b', yes: true, no: false, nul: null };
  const cases: [string, Record<string, unknown>][] = [
    ['two == 2 && i == 2.0 && two == i && !(n == i) && n != i', NUMBERS],
    ['nan == nan || nan == 1 || nan >= 1 || nan < 1.0 || nan == i', NUMBERS],
    ['nan != nan', NUMBERS],
    ['big > inf || big < 9223372036854775807.0 || big == 9223372036854775807.0', NUMBERS],
    ['i + 1', NUMBERS],
    ['i + i', NUMBERS],
    ['big + i', NUMBERS],
    ['big * i', NUMBERS],
    ['-big - i - i', NUMBERS],
    ['i / (i - i)', NUMBERS],
    ['n + 1', NUMBERS],
    ['n + i', NUMBERS],
    ['i / 0', NUMBERS],
    ['n / 0.0', NUMBERS],
    ['-big - 1', NUMBERS],
    ['-(-9223372036854775808)', NUMBERS],
    ['s < t', NUMBERS],
    ['s + t', NUMBERS],
    ['n == s', NUMBERS],
    ['nul == nul', NUMBERS],
    ['n && no', NUMBERS],
    ['no && n', NUMBERS],
    ['n || yes', NUMBERS],
    ['missing || yes', NUMBERS],
    ['yes || missing', NUMBERS],
    ['n ? 1 : 2', NUMBERS],
    ['2 == 2.0', NUMBERS],
    ['"a" in ["a", 1]', NUMBERS],
    ['s in [nul]', NUMBERS],
    ['size([n, s])', NUMBERS],
    ['int == int', NUMBERS],
  ];
  for (const [expression, vars] of cases) {
    it(`on ${expression}`, () => expect(disagreements(expression, [vars])).toEqual([]));
  }

  it('reads only own, defined fields of plain objects, as cel-js does', () => {
    const polluted = { customer: inherited, list: bare, account: new Account(), m: new Map([['p', 1]]), u: { p: undefined } };
    for (const e of ['customer.p', 'customer.q', 'customer.toString', 'customer.constructor', 'list.p', 'list.q', 'account.p', 'm.p', 'u.p', '"a" in list.q']) {
      expect(disagreements(e, [polluted])).toEqual([]);
    }
  });

  it('evaluates predicates and numbers: errors fail closed with cel-js messages, no number is NaN', () => {
    const rule = compileRule('customer.age >= 18', 'decision', 'r');
    expect(evaluatePredicate(rule, { customer: { age: 40 } })).toEqual({ pass: true });
    expect(evaluatePredicate(rule, { customer: {} })).toEqual({ pass: false, error: 'No such key: age' });
    expect(evaluatePredicate(rule, { customer: { age: '40' } })).toEqual({ pass: false, error: 'no such overload: dyn<string> >= int' });
    expect(evaluatePredicate(compileRule('customer.age', 'decision', 'r'), { customer: { age: 40 } })).toEqual({ pass: false, error: 'rule returned number, not a boolean' });
    const weight = compileRule('signals.travels ? 2.0 : 0.6', 'decision', 'w');
    expect([evaluateNumber(weight, { signals: { travels: true } }), evaluateNumber(weight, { signals: { travels: false } }), evaluateNumber(weight, { signals: {} })]).toEqual([2, 0.6, Number.NaN]);
    expect(evaluateNumber(compileRule('size(l)', 'decision', 'w'), { l: ['a', 'b', 'c'] })).toBe(3);
  });
});

describe('the built-in catalogue', () => {
  const catalogue = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));
  const cat = compileCatalogue(catalogue);
  const rules = [...cat.signals.map((s) => ({ name: `signals.${s.name}`, program: s.program })), ...cat.actions.flatMap((a) => [...a.rules.map((r) => ({ name: r.name, program: r.program })), ...(a.contextWeight ? [{ name: `${a.action.id}.contextWeight`, program: a.contextWeight }] : [])])];
  const expressions = [...new Set([...Object.values(catalogue.signals), ...Object.values(catalogue.policies).map((p) => p.when), ...catalogue.actions.flatMap((a) => [...a.policies.flatMap((p) => (typeof p === 'string' ? [] : [p.when])), ...(a.contextWeight ? [a.contextWeight] : [])])])];

  it('runs every rule, signal and context weight on the fast path', () => {
    expect(rules.length).toBeGreaterThan(50);
    expect(rules.filter((r) => !rulePath(r.program)?.compiled).map((r) => r.name)).toEqual([]);
  });

  const arbVars = fc.record({
    birthYear: fc.integer({ min: 1930, max: 2015 }),
    riskTolerance: fc.constantFrom('none', 'low', 'medium', 'high', undefined),
    sophistication: fc.constantFrom('novice', 'intermediate', 'experienced', undefined),
    flags: fc.subarray(['health', 'life_event', 'low_resilience', 'low_capability', 'bereavement', 'financial_difficulty'] as const, { maxLength: 2 }),
    holdings: fc.subarray(['current_account', 'savings', 'credit_card', 'personal_loan', 'mortgage', 'isa', 'pension', 'investment']),
    resident: fc.boolean(),
    profile: fc.dictionary(fc.constantFrom(...cat.reads.profile), fc.oneof(fc.constant(null), fc.double({ min: -5000, max: 60_000, noNaN: true }), fc.integer({ min: 0, max: 30 }))),
    trigger: fc.constantFrom('', 'salary', 'house_move', 'new_job'),
    signals: fc.array(fc.boolean(), { minLength: cat.signals.length, maxLength: cat.signals.length }),
    scores: fc.dictionary(fc.constantFrom(...(cat.reads.scores.length > 0 ? cat.reads.scores : ['none'])), fc.double({ min: 0, max: 5000, noNaN: true })),
  });

  /** The variables of one decision as evaluate() builds them, one set per action. */
  function decisionVars(v: typeof arbVars extends fc.Arbitrary<infer T> ? T : never) {
    const record = Customer.parse({ customerId: 'c1', dateOfBirth: `${v.birthYear}-05-05`, riskTolerance: v.riskTolerance, financialSophistication: v.sophistication, vulnerabilityFlags: [...v.flags], holdings: [...v.holdings], residentInCountry: v.resident });
    const profile: Record<string, number> = {};
    for (const k of cat.reads.profile) profile[k] = v.profile[k] ?? Number.NaN;
    const context: Record<string, unknown> = {};
    for (const k of cat.reads.context) context[k] = '';
    context.trigger = v.trigger;
    const signals = Object.fromEntries(cat.signals.map((s, i) => [s.name, v.signals[i]!]));
    // As evaluate() builds them: a score no champion serves is NaN.
    const scores: Record<string, number> = {};
    for (const k of cat.reads.scores) scores[k] = v.scores[k] ?? Number.NaN;
    const base = { customer: customerView(record, Date.parse('2026-03-02T12:00:00Z')), profile, scores, signals, context };
    return [{ ...base, action: undefined }, ...cat.actions.map((a) => ({ ...base, action: a.vars }))];
  }

  it('gives cel-js results for every expression on random customers and profiles, without falling back', () => {
    const programs = expressions.map((e) => compileRule(e, 'decision', 'catalogue'));
    fc.assert(
      fc.property(arbVars, (v) => {
        const varSets = decisionVars(v);
        // Signals run before any action is in scope; everything else with an action.
        expressions.forEach((e, i) => expect(disagreements(e, varSets.slice(Object.values(catalogue.signals).includes(e) ? 0 : 1), programs[i])).toEqual([]));
      }),
      { numRuns: 300, seed: 20261202 },
    );
    expect(programs.map((p, i) => [expressions[i], rulePath(p)!.fallbacks]).filter(([, n]) => n !== 0)).toEqual([]);
  });
});
