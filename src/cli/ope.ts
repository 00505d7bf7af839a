import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseCatalogueYaml, type OpeResult } from '../index.js';
import { parseCommand, UsageError } from './args.js';
import { quietEngine } from './quietEngine.js';

const spec = {
  usage: 'nextbest ope [--catalogue FILE] [--levers FILE] [--model FAMILY=VERSION ...] [--bandit BUDGET] [--channel C] [--days N] [--json]',
  summary:
    'Off-policy evaluation: what a candidate policy would have earned on the decisions already logged, before it goes live. The candidate is a catalogue (YAML), levers (YAML or JSON: families/actions weights), model versions (registry ids by action family), a bandit (an exploration budget), or the logged catalogue itself when none is given. Prints acceptance and net value per decision by IPS, SNIPS, DM, DR, clipped DR and Switch-DR with bootstrap intervals and the effective sample size.',
  options: {
    catalogue: { type: 'string' },
    levers: { type: 'string' },
    model: { type: 'string', multiple: true },
    bandit: { type: 'string' },
    channel: { type: 'string' },
    days: { type: 'string' },
    resamples: { type: 'string', default: '500' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    catalogue: 'A candidate catalogue YAML (as `nextbest catalogue export` writes)',
    levers: 'Candidate levers: a YAML or JSON file with `families:` and/or `actions:` weights',
    model: 'A candidate model version for an action family, FAMILY=VERSION (a registry id); repeat for more families. The champions score the rest and stay the reward model',
    bandit: 'A bandit candidate: Thompson sampling exploring on this share of decisions (0-1)',
    channel: 'Only decisions on this channel',
    days: 'Only decisions of the last N days',
    resamples: 'Bootstrap resamples for the 95% intervals',
    seed: 'Seed of the bootstrap',
    json: 'Print the whole result as JSON',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
} as const;

const number = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new UsageError(`--${flag} needs a number, got ${v}`);
  return x;
};

/** `nextbest ope` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const request: Record<string, unknown> = { resamples: number('resamples', v.resamples), seed: number('seed', v.seed) };
  // Files are read and checked before the engine opens.
  if (v.catalogue) request.catalogue = parseCatalogueYaml(readFileSync(v.catalogue, 'utf8'));
  if (v.levers) request.levers = parseYaml(readFileSync(v.levers, 'utf8')) as unknown;
  if (v.model && v.model.length > 0) request.models = modelFlags(v.model);
  if (v.bandit !== undefined) request.bandit = { budget: number('bandit', v.bandit) };
  if (v.channel) request.channel = v.channel;
  if (v.days !== undefined) request.days = number('days', v.days);
  const engine = await quietEngine(v);
  try {
    const result = await engine.offPolicyEvaluation(request);
    process.stdout.write(v.json ? `${JSON.stringify(result, null, 2)}\n` : opeTable(result));
    return 0;
  } finally {
    await engine.close();
  }
}

/** `--model family=version` flags as a map; a malformed one is a usage error naming it. */
export function modelFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0 || eq === f.length - 1) throw new UsageError(`--model needs FAMILY=VERSION (e.g. savings=propensity-savings@3), got ${f}`);
    const family = f.slice(0, eq);
    if (out[family] !== undefined) throw new UsageError(`--model names ${family} twice`);
    out[family] = f.slice(eq + 1);
  }
  return out;
}

/** The result as a text table: one row per estimator, acceptance and net value with intervals. */
export function opeTable(r: OpeResult): string {
  const pct = (x: number | null) => (x === null || Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(2)}%`);
  const gbp = (x: number | null) => (x === null || Number.isNaN(x) ? 'n/a' : `${x < 0 ? '−' : ''}£${Math.abs(x).toFixed(2)}`);
  const names = Object.keys(r.acceptance.estimates) as (keyof OpeResult['acceptance']['estimates'])[];
  const what = [r.candidate.catalogueVersion ? `catalogue ${r.candidate.catalogueVersion}` : 'the logged catalogues', r.candidate.levers ? 'candidate levers' : '', r.candidate.models ? `models ${Object.entries(r.candidate.models).map(([f, m]) => `${f}=${m}`).join(', ')}` : '', r.candidate.bandit ? `bandit (budget ${r.candidate.bandit.budget})` : ''].filter(Boolean).join(', ');
  const lines = [
    `candidate: ${what}`,
    `decisions: ${r.decisions.used} used of ${r.decisions.read} (${r.decisions.heldOut} held out, ${r.decisions.filtered} outside the channel or window)`,
    `logged policy: acceptance ${pct(r.logged.acceptance)}, net value ${gbp(r.logged.netValue)} per decision; agreement with the candidate ${(100 * r.agreement).toFixed(1)}%`,
    `effective sample size ${r.acceptance.effectiveSampleSize.toFixed(1)} (largest weight ${r.acceptance.maxWeight.toFixed(2)}); ${r.customers} customers (the bootstrap's unit)`,
    ...(r.unsupported > 0.001 ? [`warning: ${(100 * r.unsupported).toFixed(1)}% of the candidate's choices are ones the logged policy could not have made; only the reward model (DM) speaks for them`] : []),
    '',
    `${'estimator'.padEnd(11)}${'acceptance'.padStart(9)}  ${'95% interval'.padEnd(19)}${'net value'.padStart(9)}  95% interval`,
    ...names.map((n) => {
      const a = r.acceptance.estimates[n];
      const v = r.netValue.estimates[n];
      return `${n.padEnd(11)}${pct(a.estimate).padStart(9)}  ${`[${pct(a.low)}, ${pct(a.high)}]`.padEnd(19)}${gbp(v.estimate).padStart(9)}  [${gbp(v.low)}, ${gbp(v.high)}]`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
