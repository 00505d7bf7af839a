/**
 * Decision quality across scenarios and seeds: collects the JSON that
 * `nextbest decide compare --scenario … --seed … --json` printed for each run and writes
 * bench/results/quality.json and quality.md (the engine's net value against the value
 * oracle's, accepted value against random's, harm and churn against rules', and whether the
 * goal of issue 17 is met). Runs nothing itself: each compare run takes minutes.
 *
 *   for s in default drift faults shock; do for seed in 1 2 3; do
 *     npx nextbest decide compare --scenario scenarios/$s.yaml --seed $seed --customers 2000 --days 90 --json > out/$s-90-$seed.json
 *   done; done
 *   npx nextbest decide compare --scenario scenarios/default.yaml --seed 1 --customers 2000 --days 180 --json > out/default-180-1.json
 *   npx tsx bench/qualityTable.ts out/*.json
 *
 * A second table sets the triggered arms (engine-triggered: triggers first, then batch;
 * triggers-only: the moments alone) beside the batch engine: net value, contacts, churn, harm.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, resultsDir } from './harness.js';
import type { YardstickRow, GoalCheck } from '../src/simulation/yardstick.js';

interface CompareJson {
  scenario: string;
  seed: number;
  customers: number;
  days: number;
  rows: YardstickRow[];
  goal: GoalCheck[];
  triggerFires?: Record<string, { fires: Record<string, number>; offers: Record<string, number> }>;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: npx tsx bench/qualityTable.ts COMPARE_JSON...\n');
  process.exit(2);
}
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CompareJson).sort((a, b) => a.days - b.days || a.scenario.localeCompare(b.scenario) || a.seed - b.seed);
const gbp = (x: number) => `${x < 0 ? '−' : ''}£${Math.abs(Math.round(x)).toLocaleString('en-GB')}`;
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const times = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)}×`);

const table = runs.map((r) => {
  const arm = (p: string) => r.rows.find((x) => x.policy === p);
  const e = arm('engine')!;
  const g = r.goal.find((x) => x.policy === 'engine')!;
  const missed = (['netVsValueOracle', 'acceptedVsRandom', 'harmVsRules', 'churnVsRules'] as const).filter((k) => g[k] === false);
  return {
    scenario: r.scenario,
    days: r.days,
    seed: r.seed,
    customers: r.customers,
    engineNet: e.netValueGBP,
    valueOracleNet: arm('oracle-value')?.netValueGBP ?? null,
    netVsValueOracle: e.netVsValueOracle,
    engineAccepted: e.acceptedValueGBP,
    randomAccepted: arm('random')?.acceptedValueGBP ?? null,
    acceptedVsRandom: e.acceptedVsRandom,
    harm: { engine: e.harm, rules: arm('rules')?.harm ?? null },
    churn: { engine: e.churnRate, rules: arm('rules')?.churnRate ?? null },
    contactsPerCustomer: { engine: e.contactsPerCustomer, rules: arm('rules')?.contactsPerCustomer ?? null, valueOracle: arm('oracle-value')?.contactsPerCustomer ?? null },
    goalMet: g.met,
    missed,
    triggered: (['engine-triggered', 'triggers-only'] as const).flatMap((p) => {
      const t = arm(p);
      return t ? [{ policy: p, net: t.netValueGBP, netVsValueOracle: t.netVsValueOracle, contactsPerCustomer: t.contactsPerCustomer, churn: t.churnRate, harm: t.harm, fires: r.triggerFires?.[p] ?? null }] : [];
    }),
  };
});
const fires = (f: { fires: Record<string, number>; offers: Record<string, number> } | null) =>
  f === null ? '–' : Object.entries(f.fires).map(([id, n]) => `${id} ${n}/${f.offers[id] ?? 0}`).join(', ') || 'none';
const withTriggers = table.filter((t) => t.triggered.length > 0);

const md = [
  `### quality (${new Date().toISOString().slice(0, 10)}, ${machine().cpu}, ${machine().cores} cores, Node ${machine().node})`,
  '',
  '| scenario | days | seed | engine net | value oracle net | net / value oracle | engine accepted | random accepted | accepted / random | harm engine / rules | churn engine / rules | contacts per customer (engine / rules / value oracle) | goal |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...table.map(
    (t) =>
      `| ${t.scenario} | ${t.days} | ${t.seed} | ${gbp(t.engineNet)} | ${t.valueOracleNet === null ? '–' : gbp(t.valueOracleNet)} | **${times(t.netVsValueOracle)}** | ${gbp(t.engineAccepted)} | ${t.randomAccepted === null ? '–' : gbp(t.randomAccepted)} | **${times(t.acceptedVsRandom)}** | ${t.harm.engine} / ${t.harm.rules ?? '–'} | ${pct(t.churn.engine)} / ${t.churn.rules === null ? '–' : pct(t.churn.rules)} | ${t.contactsPerCustomer.engine.toFixed(2)} / ${t.contactsPerCustomer.rules?.toFixed(2) ?? '–'} / ${t.contactsPerCustomer.valueOracle?.toFixed(2) ?? '–'} | ${t.goalMet ? 'met' : `missed (${t.missed.join(', ')})`} |`,
  ),
  '',
  `- Each row is one \`nextbest decide compare --scenario scenarios/<scenario>.yaml --seed <seed> --customers ${runs[0]!.customers} --days <days> --json\` run; the engine learns from a 90-day exploration run on seed + 1000.`,
  '- Goal (issue 17): net value ≥ 0.9× the value oracle, accepted value ≥ 2× random, harm ≤ a third of rules\', churn ≤ rules\'.',
  ...(withTriggers.length === 0
    ? []
    : [
        '',
        'Acting on the moment (catalogue/triggers.yaml) against batch decisions, same runs: net value (and its ratio to the value oracle), contacts per customer, churn, harm; fires / offers by trigger.',
        '',
        '| scenario | days | seed | engine (batch) | engine-triggered | triggers-only | contacts per customer (batch / triggered / triggers-only) | churn (batch / triggered / triggers-only) | harm (batch / triggered / triggers-only) | fires / offers (triggers-only) |',
        '|---|---|---|---|---|---|---|---|---|---|',
        ...withTriggers.map((t) => {
          const a = (p: string) => t.triggered.find((x) => x.policy === p);
          const net = (x: { net: number; netVsValueOracle: number | null } | undefined) => (x ? `${gbp(x.net)} (${times(x.netVsValueOracle)})` : '–');
          const et = a('engine-triggered');
          const to = a('triggers-only');
          return `| ${t.scenario} | ${t.days} | ${t.seed} | ${gbp(t.engineNet)} (${times(t.netVsValueOracle)}) | ${net(et)} | ${net(to)} | ${t.contactsPerCustomer.engine.toFixed(2)} / ${et?.contactsPerCustomer.toFixed(2) ?? '–'} / ${to?.contactsPerCustomer.toFixed(2) ?? '–'} | ${pct(t.churn.engine)} / ${et ? pct(et.churn) : '–'} / ${to ? pct(to.churn) : '–'} | ${t.harm.engine} / ${et?.harm ?? '–'} / ${to?.harm ?? '–'} | ${fires(to?.fires ?? null)} |`;
        }),
      ]),
];
writeFileSync(join(resultsDir, 'quality.json'), `${JSON.stringify({ name: 'quality', ranAt: new Date().toISOString(), machine: machine(), runs: table }, null, 2)}\n`);
writeFileSync(join(resultsDir, 'quality.md'), `${md.join('\n')}\n`);
process.stdout.write(`${md.join('\n')}\n`);
