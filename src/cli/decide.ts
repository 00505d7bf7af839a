import { readFileSync } from 'node:fs';
import { createEngine, loadConfig, parseCatalogueYaml, DEFAULT_CATALOGUE } from '../index.js';
import { compareOnTwin } from '../simulation/enginePolicy.js';
import { CHANNEL_NAMES as CHANNELS } from '../core/channels.js';
import { numberOption, parseCommand, required, UsageError } from './args.js';

const spec = {
  usage: 'nextbest decide --customer ID --channel CHANNEL [-n N] [--context key=value ...] [--session ID] | decide show DECISION_ID | decide replay DECISION_ID | decide compare [--customers N] [--days D] [--seed S]',
  summary:
    'Decides the next best actions for a customer on a channel and prints the logged decision (chosen actions, every policy outcome, scores, explanation) as JSON. `show` prints a logged decision with its linked responses; `replay` re-runs it from its logged inputs and says whether the result is identical; `compare` runs the engine against the random, rules and oracle policies in the digital twin.',
  options: {
    customer: { type: 'string' },
    channel: { type: 'string' },
    n: { type: 'string', short: 'n', default: '1' },
    context: { type: 'string', multiple: true },
    session: { type: 'string' },
    customers: { type: 'string', default: '2000' },
    days: { type: 'string', default: '90' },
    'train-days': { type: 'string', default: '90' },
    seed: { type: 'string', default: '1' },
    catalogue: { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    customer: 'Customer id',
    channel: `One of ${CHANNELS.join(', ')}`,
    n: 'How many actions (1-20)',
    context: 'Context for the rules, e.g. --context trigger=large_deposit (repeatable; numbers and true/false are typed)',
    session: 'Session id (the per-session action limit applies)',
    customers: 'compare: twin customers',
    days: 'compare: simulated days',
    'train-days': 'compare: days of the exploration run the propensity models learn from (on seed + 1000)',
    seed: 'compare: scenario seed',
    catalogue: 'compare: a catalogue YAML (default: the built-in bank catalogue)',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

/** `nextbest decide` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const [sub, id, ...extra] = parsed.positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}\n\nUsage: ${spec.usage}`);
  if (sub === 'compare') return compare(v);
  if (sub !== undefined && sub !== 'show' && sub !== 'replay') throw new UsageError(`unknown subcommand "${sub}": use show, replay or compare\n\nUsage: ${spec.usage}`);
  if (sub && !id) throw new UsageError(`decide ${sub} needs a DECISION_ID`);
  const engine = await createEngine(loadConfig(v.config, process.env, { ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}), log: { level: 'warn' } }));
  try {
    let out: unknown;
    if (sub === 'show') out = await engine.decision(id!);
    else if (sub === 'replay') out = await engine.replayDecision(id!);
    else {
      const channel = required(v, 'channel');
      if (!(CHANNELS as readonly string[]).includes(channel)) throw new UsageError(`--channel must be one of ${CHANNELS.join(', ')}, got ${channel}`);
      const n = numberOption(v, 'n', 1);
      if (!Number.isInteger(n) || n < 1 || n > 20) throw new UsageError(`-n must be an integer from 1 to 20, got ${v.n}`);
      out = await engine.decide({ customerId: required(v, 'customer'), channel: channel as 'push', n, context: parseContext(v.context ?? []), ...(v.session ? { sessionId: v.session } : {}) });
    }
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } finally {
    await engine.close();
  }
}

function parseContext(pairs: readonly string[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--context must be key=value, got "${p}"`);
    const key = p.slice(0, eq);
    const raw = p.slice(eq + 1);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

async function compare(v: Record<string, unknown>): Promise<number> {
  const int = (name: string, lo: number, hi: number) => {
    const x = numberOption(v, name, Number.NaN);
    if (!Number.isInteger(x) || x < lo || x > hi) throw new UsageError(`--${name} must be an integer from ${lo} to ${hi}, got ${String(v[name])}`);
    return x;
  };
  const customers = int('customers', 10, 1_000_000);
  const days = int('days', 1, 3650);
  const trainDays = int('train-days', 1, 3650);
  const seed = int('seed', 0, 0xffffffff);
  const catalogue = parseCatalogueYaml(readFileSync(typeof v.catalogue === 'string' ? v.catalogue : DEFAULT_CATALOGUE, 'utf8'));
  const started = Date.now();
  const result = await compareOnTwin(catalogue, { customers, name: 'compare' }, { days, seed, trainDays, onProgress: (what) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${what}\n`) });
  const oracle = result.reports.find((r) => r.policy === 'oracle')!;
  const random = result.reports.find((r) => r.policy === 'random')!;
  const engine = result.reports.find((r) => r.policy === 'engine')!;
  const table = result.reports.map((r) => ({
    policy: r.policy,
    offersShown: r.offersShown,
    accepted: r.accepted,
    acceptanceRate: r.acceptanceRate,
    acceptedValueGBP: r.acceptedValueGBP,
    offerRevenueGBP: r.offerRevenueGBP,
    clvPerCustomerGBP: r.clvPerCustomerGBP,
    churnRate: r.churnRate,
    harm: r.harm,
    consentBreaches: r.consentBreaches,
  }));
  process.stdout.write(
    `${JSON.stringify({ customers, days, seed, trainDays, training: result.training, table, engineVsOracle: Number((engine.acceptedValueGBP / oracle.acceptedValueGBP).toFixed(3)), engineVsRandom: Number((engine.acceptedValueGBP / random.acceptedValueGBP).toFixed(3)), reports: result.reports }, null, 2)}\n`,
  );
  return 0;
}
