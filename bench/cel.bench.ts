import { readFileSync } from 'node:fs';
import { Environment } from '@marcbachmann/cel-js';
import { type Bench, type BenchRow } from './harness.js';
import { Customer } from '../src/core/customer.js';
import { mulberry32, type Rng } from '../src/core/random.js';
import { compileRule, rulePath, type RuleProgram } from '../src/rules/index.js';
import { compileCatalogue, customerView, parseCatalogueYaml, type CompiledCatalogue } from '../src/decisioning/index.js';

/**
 * Policy CEL: evaluations per second of the built-in catalogue's expressions on the plain
 * cel-js interpreter and through compileRule (closures with the interpreter as fallback).
 */
const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
const NOW = Date.parse('2026-03-02T12:00:00Z');

/** One expression evaluated on one set of variables, as a decision does it. */
interface Job {
  expression: number;
  vars: Record<string, unknown>;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
const subset = <T>(rng: Rng, xs: readonly T[], p: number): T[] => xs.filter(() => rng.next() < p);

/** Decision-shaped workloads: signals and shared policies once per customer, each action's own rules with its `action`. */
function workload(cat: CompiledCatalogue, customers: number, seed: number): { expressions: string[]; jobs: Job[] } {
  const rng = mulberry32(seed);
  const expressions: string[] = [];
  const index = new Map<string, number>();
  const id = (e: string) => index.get(e) ?? (index.set(e, expressions.length), expressions.push(e) - 1);
  const signalIds = Object.values(cat.catalogue.signals).map(id);
  const jobs: Job[] = [];
  for (let c = 0; c < customers; c++) {
    const record = Customer.parse({
      customerId: `c${c}`,
      dateOfBirth: `${1935 + Math.floor(rng.next() * 73)}-0${1 + Math.floor(rng.next() * 9)}-15`,
      riskTolerance: pick(rng, ['none', 'low', 'medium', 'high', undefined]),
      financialSophistication: pick(rng, ['novice', 'intermediate', 'experienced', undefined]),
      vulnerabilityFlags: subset(rng, ['health', 'life_event', 'low_resilience', 'low_capability', 'bereavement', 'financial_difficulty'] as const, 0.08),
      holdings: subset(rng, ['current_account', 'savings', 'credit_card', 'personal_loan', 'mortgage', 'isa', 'pension', 'investment'], 0.3),
      residentInCountry: rng.next() < 0.95,
    });
    const profile: Record<string, number> = {};
    for (const k of cat.reads.profile) profile[k] = rng.next() < 0.15 ? Number.NaN : Math.round(rng.next() * (k.endsWith('_days_90d') || k.includes('missed') || k.includes('contacts') || k.includes('complaints') || k.includes('logins') ? 20 : 40_000));
    const context: Record<string, unknown> = {};
    for (const k of cat.reads.context) context[k] = '';
    context.trigger = pick(rng, ['', 'salary', 'house_move', 'new_job']);
    const base: Record<string, unknown> = { customer: customerView(record, NOW), profile, scores: {}, signals: {}, context, action: undefined };
    for (const s of signalIds) jobs.push({ expression: s, vars: base });
    const signals: Record<string, boolean> = {};
    for (const s of cat.signals) signals[s.name] = s.program(base) === true;
    const withSignals = { ...base, signals };
    for (const a of cat.actions) {
      const vars = { ...withSignals, action: a.vars };
      for (const r of a.rules) jobs.push({ expression: id(r.expression), vars: r.perAction ? vars : withSignals });
      if (a.action.contextWeight) jobs.push({ expression: id(a.action.contextWeight), vars });
    }
  }
  return { expressions, jobs };
}

/** One pass over the jobs: evaluations per CPU-second of this process (the machine is shared), and a checksum of the results. */
function pass(programs: RuleProgram[], jobs: Job[]): { perSecond: number; sum: number } {
  let sum = 0;
  const t0 = process.cpuUsage();
  for (const j of jobs) {
    try {
      const v = programs[j.expression]!(j.vars);
      sum += v === true ? 1 : typeof v === 'number' ? v : 0;
    } catch {
      sum -= 1;
    }
  }
  const cpu = process.cpuUsage(t0);
  return { perSecond: jobs.length / ((cpu.user + cpu.system) / 1e6), sum };
}

const bench: Bench = {
  name: 'cel',
  async run({ quick }) {
    const catalogue = parseCatalogueYaml(readFileSync(new URL('../catalogue/default.yaml', import.meta.url), 'utf8'));
    const cat = compileCatalogue(catalogue);
    const customers = quick ? 200 : 2000;
    const { expressions, jobs } = workload(cat, customers, 7);
    const interpreted = expressions.map((e) => env.parse(e) as RuleProgram);
    const compiled = expressions.map((e, i) => compileRule(e, 'decision', `bench.${i}`));
    const rounds = quick ? 3 : 9;
    // Warm both paths (JIT, cel-js's first-run type check), then alternate them so that a
    // change in the machine's load hits both alike; the best pass of each counts.
    pass(interpreted, jobs);
    pass(compiled, jobs);
    let a = 0;
    let b = 0;
    for (let r = 0; r < rounds; r++) {
      const x = pass(interpreted, jobs);
      const y = pass(compiled, jobs);
      if (x.sum !== y.sum) throw new Error(`interpreter and compiled programs disagree (checksums ${x.sum} and ${y.sum})`);
      a = Math.max(a, x.perSecond);
      b = Math.max(b, y.perSecond);
    }
    const fallbacks = compiled.reduce((n, p) => n + (rulePath(p)?.fallbacks ?? 0), 0);
    const onClosures = compiled.filter((p) => rulePath(p)?.compiled).length;
    const perDecision = jobs.length / customers;
    const label = `built-in catalogue: ${expressions.length} distinct expressions, ${customers.toLocaleString('en-GB')} customers × ${perDecision.toFixed(0)} evaluations`;
    const rows: BenchRow[] = [
      { case: label, metric: 'cel-js interpreter, per CPU-second', value: a, unit: 'evaluations/s' },
      { case: label, metric: 'compileRule, per CPU-second', value: b, unit: 'evaluations/s', peer: { name: 'interpreter', value: a }, ratio: b / a, note: 'ratio is compiled / interpreter evaluations per second' },
      { case: label, metric: 'CEL CPU time per decision, interpreter', value: (perDecision / a) * 1e6, unit: 'µs' },
      { case: label, metric: 'CEL CPU time per decision, compileRule', value: (perDecision / b) * 1e6, unit: 'µs' },
    ];
    const notes = [
      `Each customer is one decision's worth of CEL: the ${cat.signals.length} signals, then every action's rules (shared and own) and context weight with that action's variables, as evaluate() runs them (without its memo of shared rules).`,
      `${onClosures} of ${expressions.length} expressions compile to closures; ${fallbacks} of the compiled evaluations fell back to the interpreter.`,
      `Best of ${rounds} alternating passes over ${jobs.length.toLocaleString('en-GB')} evaluations each, after one warm-up pass per path, timed in CPU time of this process (user + system) because the 2-core machine is shared with other work (load average in the header).`,
    ];
    return { rows, notes };
  },
};
export default bench;
