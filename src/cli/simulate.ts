import { ValidationError } from '../core/errors.js';
import { loadScenario, parseScenario, REFERENCE_POLICIES, runClosedLoop, simulateToFiles, type EventFormat, type Scenario } from '../simulation/index.js';
import { numberOption, parseCommand, UsageError } from './args.js';
import { ProgressBar } from './progress.js';

const spec = {
  usage: 'nextbest simulate (--scenario FILE | --customers N --days D --seed S) [--out DIR] [--format jsonl,csv] | --policy random|rules|oracle|oracle-value|no-contact|all',
  summary:
    'Runs the digital twin. Writes events (JSONL and/or CSV), customers.jsonl, groundtruth.jsonl and truth.json to --out, ' +
    'or with --policy replays the scenario with a reference policy in the loop and prints its report as JSON.',
  options: {
    scenario: { type: 'string' },
    customers: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string', default: 'jsonl' },
    'truth-every': { type: 'string' },
    policy: { type: 'string' },
  },
  help: {
    scenario: 'A scenario YAML file (scenarios/default.yaml); flags below override its values',
    customers: 'Number of customers',
    days: 'Number of simulated days',
    seed: 'Random seed (same seed, same output, byte for byte)',
    out: 'Output directory (required unless --policy)',
    format: 'Event file formats, comma-separated: jsonl, csv',
    'truth-every': 'Write a ground-truth row per customer every N days (0: summary only)',
    policy: 'Closed loop: random, rules, oracle, oracle-value, no-contact or all; prints the policy report(s)',
  },
} as const;

/** `nextbest simulate`: the digital twin from the command line. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values as unknown as Record<string, string | undefined>;
  const scenario = buildScenario(v);
  if (v.policy !== undefined) return closedLoop(scenario, v.policy);
  if (!v.out) throw new UsageError('--out is required (the directory for the event and ground-truth files)');
  const formats = (v.format ?? 'jsonl').split(',').map((f) => f.trim());
  for (const f of formats) if (f !== 'jsonl' && f !== 'csv') throw new UsageError(`--format must be jsonl, csv or both (comma-separated), got "${f}"`);
  const bar = new ProgressBar('simulate', scenario.days, 'days');
  let events = 0;
  const summary = simulateToFiles(scenario, {
    outDir: v.out,
    formats: formats as EventFormat[],
    onProgress: (day, n) => {
      events = n;
      bar.update(day, `${n.toLocaleString('en-GB')} events`);
    },
  });
  bar.finish(scenario.days, `${events.toLocaleString('en-GB')} events`);
  const { scenario: s, ...rest } = summary;
  process.stdout.write(`${JSON.stringify({ scenario: s.name, seed: s.seed, outDir: v.out, eventsPerSecond: Math.round(summary.events / summary.seconds), ...rest }, null, 2)}\n`);
  return 0;
}

function buildScenario(v: Record<string, string | undefined>): Scenario {
  let base: Record<string, unknown> = {};
  try {
    if (v.scenario) base = { ...loadScenario(v.scenario) };
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(`--scenario ${v.scenario}: ${e.message.replace(/^scenario: /, '')}`);
    throw e;
  }
  const overrides: [string, string][] = [
    ['customers', 'customers'],
    ['days', 'days'],
    ['seed', 'seed'],
    ['truth-every', 'groundTruthEveryDays'],
  ];
  for (const [flag, field] of overrides) {
    if (v[flag] === undefined) continue;
    const n = numberOption(v, flag, 0);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} must be a non-negative integer, got ${v[flag]}`);
    base[field] = n;
  }
  try {
    return parseScenario(base);
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(e.message.replace(/^scenario: /, `${v.scenario ?? 'scenario'}: `));
    throw e;
  }
}

async function closedLoop(scenario: Scenario, which: string): Promise<number> {
  const names = which === 'all' ? Object.keys(REFERENCE_POLICIES) : [which];
  for (const name of names) if (!REFERENCE_POLICIES[name]) throw new UsageError(`--policy must be one of ${Object.keys(REFERENCE_POLICIES).join(', ')}, all; got "${name}"`);
  const reports = [];
  for (const name of names) {
    const bar = new ProgressBar(`policy ${name}`, scenario.days, 'days');
    reports.push(await runClosedLoop({ scenario, policy: REFERENCE_POLICIES[name]!, onProgress: (d) => bar.update(d) }));
    bar.finish(scenario.days);
  }
  process.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
  return 0;
}
