import { describe, it, expect, afterEach } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { compileRule, evaluateNumber, evaluatePredicate, evaluateValue, onRuleOverBudget, passes, ruleEnvironment, rulePath, ruleReads, unsafePattern, type RuleProgram } from '../../src/rules/index.js';
import { compileCatalogue, type CatalogueInput } from '../../src/decisioning/index.js';
import { parseCatalogue } from '../../src/decisioning/catalogue.js';
import { rig, scenarioCatalogue } from '../decisioning/rig.js';

/** The issues a refused rule reports. */
function refusal(expression: string, env: 'decision' | 'feature' = 'decision'): { field: string; rule: string; message: string }[] {
  try {
    compileRule(expression, env, 'policies.p.when');
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  return [];
}

const range = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
const budget = ruleEnvironment('decision').limits.runBudget;

// The class of rule that held the server for 28.8 s per decision: comprehensions over list
// literals nested six deep, 20^6 = 64 million iterations, in about 500 characters.
const L = range(20);
const STALL = `${L}.all(a, ${L}.all(b, ${L}.all(c, ${L}.all(d, ${L}.all(e, ${L}.all(f, a + b + c + d + e + f >= 0 && f < 20))))))`;

describe('cost limits at compile time', () => {
  it('refuses the stalling rule when it is saved, naming the field and the limit', () => {
    expect(STALL.length).toBeGreaterThan(450);
    expect(STALL.length).toBeLessThan(520);
    const issues = refusal(STALL);
    expect(issues.map((i) => i.rule).sort()).toEqual(['cel_cost', 'cel_nesting']);
    expect(issues.find((i) => i.rule === 'cel_nesting')!.message).toMatch(/nest 3 deep; at most 2/);
    // The estimate sees the 64 million iterations.
    const cost = Number(/estimated at ([\d.e+]+)/.exec(issues.find((i) => i.rule === 'cel_cost')!.message)![1]);
    expect(cost).toBeGreaterThan(20 ** 6);
    expect(issues.every((i) => i.field === 'policies.p.when')).toBe(true);
  });

  it('refuses it in a catalogue: nothing is compiled, the error names the policy', () => {
    const input: CatalogueInput = {
      formatVersion: 1,
      policies: { adults: { kind: 'eligibility', when: STALL, reason: 'never' } },
      actions: [{ id: 'isa', name: 'ISA', family: 'savings', value: { amountGbp: 10 }, message: { headline: 'h', body: 'b' }, treatments: { email: {} }, policies: ['adults'] }],
    };
    let error: unknown;
    try {
      compileCatalogue(parseCatalogue(input));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'policies.adults.when', rule: 'cel_nesting' })]));
  });

  it('refuses two nested comprehensions over large lists, and allows them over small ones', () => {
    expect(refusal(`${range(200)}.exists(a, ${range(200)}.exists(b, a * b == -1))`).map((i) => i.rule)).toEqual(['cel_cost']);
    // Two lists from the inputs, each assumed 100 long: 10,000 iterations of a few steps each.
    expect(refusal('customer.accounts.exists(a, customer.blocked.exists(b, a == b))').map((i) => i.rule)).toEqual(['cel_cost']);
    expect(refusal(`${range(5)}.exists(a, customer.holdings.exists(h, size(h) == a))`)).toEqual([]);
    expect(refusal('customer.holdings.exists(h, h == "isa") && size(customer.holdings) < 10')).toEqual([]);
  });

  it('refuses lists that double in size through cel.bind', () => {
    let e = 'x';
    for (let i = 0; i < 16; i++) e = `cel.bind(x, x + x, ${e})`;
    expect(refusal(`cel.bind(x, [1, 2, 3, 4], size(${e}) > 0)`).map((i) => i.rule)).toEqual(['cel_cost']);
  });

  it('refuses patterns that backtrack exponentially, and patterns that are not literals', () => {
    expect(refusal('customer.name.matches("^(a+)+$")').map((i) => i.rule)).toEqual(['cel_regex']);
    expect(refusal('customer.name.matches("(x|xx)*y")').map((i) => i.rule)).toEqual(['cel_regex']);
    expect(refusal('customer.name.matches("(a)\\\\1")').map((i) => i.rule)).toEqual(['cel_regex']);
    expect(refusal('customer.name.matches(context.pattern)').map((i) => i.rule)).toEqual(['cel_regex']);
    expect(refusal('customer.postcode.matches("^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")')).toEqual([]);
    expect(unsafePattern('^(ab)+$')).toBeUndefined();
    expect(unsafePattern('^([a-z]+ )*$')).toMatch(/exponential/);
    expect(unsafePattern('[(a+)+]')).toBeUndefined();
  });

  it('limits nesting in event rules too (features, training labels)', () => {
    expect(refusal('event.payload.items.exists(a, a.tags.exists(t, t.parts.exists(p, p == "x")))', 'feature').map((i) => i.rule)).toContain('cel_nesting');
    expect(refusal('event.payload.items.exists(a, a.amount > 100.0)', 'feature')).toEqual([]);
  });
});

describe('the evaluation budget at run time', () => {
  const seen: RuleProgram[] = [];
  afterEach(() => onRuleOverBudget(undefined));

  it('stops a rule whose inputs are far larger than assumed, and fails it closed', () => {
    // 100 × 100 assumed, so it is saved; with 20,000 × 20,000 it would take 400 million steps.
    const rule = compileRule('customer.accounts.exists(a, a in customer.blocked)', 'decision', 'r');
    onRuleOverBudget((p) => seen.push(p));
    const big = Array.from({ length: 20_000 }, (_, i) => `acc${i}`);
    const blocked = Array.from({ length: 20_000 }, (_, i) => `other${i}`);
    const out = evaluatePredicate(rule, { customer: { accounts: big, blocked } });
    expect(out).toEqual({ pass: false, error: `rule stopped: over its evaluation budget of ${budget.toLocaleString('en-GB')} steps` });
    expect(rulePath(rule)!.overBudget).toBe(1);
    expect(seen).toEqual([rule]);
    // Within budget, the same rule gives its answer.
    expect(evaluatePredicate(rule, { customer: { accounts: ['a', 'b'], blocked: ['b'] } })).toEqual({ pass: true });
    expect(evaluatePredicate(rule, { customer: { accounts: ['a'], blocked: ['b'] } })).toEqual({ pass: false });
  });

  it('charges lists built by + for their length, so doubling from the inputs stops', () => {
    let e = 'size(x) > 0';
    for (let i = 0; i < 24; i++) e = `cel.bind(x, x + x, ${e})`;
    const rule = compileRule(`cel.bind(x, customer.accounts, ${e})`, 'decision', 'r');
    expect(evaluatePredicate(rule, { customer: { accounts: ['a'] } }).error).toMatch(/budget/);
    expect(evaluateNumber(compileRule(`cel.bind(x, customer.accounts, ${e}) ? 2.0 : 1.0`, 'decision', 'w'), { customer: { accounts: ['a'] } })).toBeNaN();
  });

  it('fails closed even when CEL would absorb the error (error || true is true)', () => {
    const rule = compileRule('customer.accounts.exists(a, a in customer.blocked) || true', 'decision', 'r');
    expect(evaluatePredicate(rule, { customer: { accounts: ['x'], blocked: ['y'] } })).toEqual({ pass: true });
    const big = Array.from({ length: 20_000 }, (_, i) => `v${i}`);
    expect(evaluatePredicate(rule, { customer: { accounts: big, blocked: big.map((v) => `${v}!`) } }).pass).toBe(false);
  });

  it('keeps a budget per run: a rule that ran out passes again on small inputs', () => {
    const rule = compileRule('customer.accounts.all(a, a != "")', 'decision', 'r');
    const huge = Array.from({ length: budget }, () => 'a');
    expect(passes(rule, { customer: { accounts: huge } })).toBe(false);
    expect(passes(rule, { customer: { accounts: ['a', 'b'] } })).toBe(true);
  });
});

describe('a decision with a rule over budget', () => {
  it('excludes the action with the reason in the trace, and decides the rest', async () => {
    // Saved (a list from the inputs is assumed 100 long and not doubled at compile time),
    // but 2^24 copies of the customer's holdings at run time.
    let e = 'size(x) < 1000';
    for (let i = 0; i < 24; i++) e = `cel.bind(x, x + x, ${e})`;
    const catalogue = scenarioCatalogue();
    const saver = catalogue.actions.find((a) => a.id === 'saver')!;
    saver.policies.push({ kind: 'suitability', when: `cel.bind(x, customer.holdings, ${e})`, reason: 'not too many holdings' });
    const { d, customer } = rig({ catalogue });
    customer({ customerId: 'c1', holdings: ['current_account'] }, { idle_cash: 20_000 });
    const r = await d.decide({ customerId: 'c1', channel: 'in_app', n: 3 });
    const trace = r.candidates.find((c) => c.actionId === 'saver')!;
    expect(trace.status).toBe('excluded');
    expect(trace.excludedBy).toMatchObject({ kind: 'suitability', rule: `saver#${saver.policies.length - 1}`, error: expect.stringMatching(/over its evaluation budget/) });
    expect(r.chosen.length).toBeGreaterThan(0);
  });
});

describe('failure semantics, once', () => {
  const run = (e: string) => compileRule(e, 'decision', 'r');

  it('predicate: only true passes; errors and non-booleans fail with the reason, false without', () => {
    expect(evaluatePredicate(run('x > 1'), { x: 2 })).toEqual({ pass: true });
    expect(evaluatePredicate(run('x > 1'), { x: 0 })).toEqual({ pass: false });
    expect(evaluatePredicate(run('x.y'), { x: {} })).toEqual({ pass: false, error: 'No such key: y' });
    expect(evaluatePredicate(run('x'), { x: 'yes' })).toEqual({ pass: false, error: 'rule returned string, not a boolean' });
    expect(passes(run('x'), { x: 1 })).toBe(false);
  });

  it('number: doubles, ints and bools are numbers; anything else is NaN', () => {
    expect(evaluateNumber(run('x * 2.0'), { x: 1.5 })).toBe(3);
    expect(evaluateNumber(run('x + 1'), { x: 2n })).toBe(3);
    expect(evaluateNumber(run('x > 1.0'), { x: 2 })).toBe(1);
    expect(evaluateNumber(run('x > 1.0'), { x: 0 })).toBe(0);
    expect(evaluateNumber(run('x'), { x: 'a' })).toBeNaN();
    expect(evaluateNumber(run('x / 0.0'), { x: 1 })).toBeNaN();
    expect(evaluateNumber(run('x.y'), { x: {} })).toBeNaN();
  });

  it('value: what the rule gives, undefined on an error', () => {
    expect(evaluateValue(run('x.y'), { x: { y: [1n] } })).toEqual([1n]);
    expect(evaluateValue(run('x.y'), { x: {} })).toBeUndefined();
  });
});

describe('read analysis', () => {
  const reads = (e: string) => ruleReads(compileRule(e, 'decision', 'r'))!;

  it('lists variables and field paths from the tree, not the text', () => {
    const r = reads('profile.idle_cash > 1.0 && [1.0].exists(profile, profile > 0.0) && customer.address.city != "profile.other" && has(scores.churn)');
    expect([...r.variables].sort()).toEqual(['customer', 'profile', 'scores']);
    expect(r.paths).toEqual(['customer.address.city', 'profile.idle_cash', 'scores.churn']);
    expect([...r.whole]).toEqual([]);
  });

  it('marks a variable read as a whole when it is indexed or iterated', () => {
    expect([...reads('profile["idle_cash"] > 1.0').whole]).toEqual(['profile']);
    expect([...reads('profile.exists(k, k == "x")').whole]).toEqual(['profile']);
    expect(reads('action.family == "savings"').variables.has('action')).toBe(true);
    expect(reads('customer.age > 18 && "action.x" != ""').variables.has('action')).toBe(false);
  });
});
