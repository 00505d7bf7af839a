import { existsSync, readFileSync } from 'node:fs';
import { ValidationError } from '../core/errors.js';
import { createEngine, loadConfig, parseCatalogueYaml, parseTriggerYaml, DEFAULT_CATALOGUE } from '../index.js';
import { COMPARE_ARMS, compareOnScenario, type CompareArm } from '../simulation/compare.js';
import { loadScenario, parseScenario, type ScenarioInput } from '../simulation/index.js';
import { yardstickTable } from '../simulation/yardstick.js';
import { CHANNEL_NAMES as CHANNELS } from '../core/channels.js';
import { numberOption, parseCommand, required, UsageError } from './args.js';

/** The ready-made triggers (the engine seeds its trigger set from the same file). */
const DEFAULT_TRIGGERS = new URL('../../catalogue/triggers.yaml', import.meta.url);

const spec = {
  usage: 'nextbest decide --customer ID --channel CHANNEL [-n N] [--context key=value ...] [--session ID] | decide show DECISION_ID | decide replay DECISION_ID | decide compare [--scenario FILE] [--seed N] [--customers N] [--days D] [--policies engine,rules,...] [--triggers FILE] [--json]',
  summary:
    'Decides the next best actions for a customer on a channel and prints the logged decision (chosen actions, every policy outcome, scores, explanation) as JSON. `show` prints a logged decision with its linked responses; `replay` re-runs it from its logged inputs and says whether the result is identical; `compare` runs the engine against the reference policies in the digital twin and prints the yardstick: accepted value, net value (net of contact and harm costs), contacts, churn, harm and acceptance per arm, with ratios to the value oracle, random and rules.',
  options: {
    customer: { type: 'string' },
    channel: { type: 'string' },
    n: { type: 'string', short: 'n', default: '1' },
    context: { type: 'string', multiple: true },
    session: { type: 'string' },
    scenario: { type: 'string' },
    policies: { type: 'string', default: COMPARE_ARMS.join(',') },
    json: { type: 'boolean', default: false },
    customers: { type: 'string' },
    days: { type: 'string' },
    'train-days': { type: 'string', default: '90' },
    seed: { type: 'string' },
    catalogue: { type: 'string' },
    triggers: { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    customer: 'Customer id',
    channel: `One of ${CHANNELS.join(', ')}`,
    n: 'How many actions (1-20)',
    context: 'Context for the rules, e.g. --context trigger=large_deposit (repeatable; numbers and true/false are typed)',
    session: 'Session id (the per-session action limit applies)',
    scenario: 'compare: a scenario YAML (scenarios/*.yaml); --seed, --customers and --days override it',
    policies: `compare: the arms, comma-separated, from ${COMPARE_ARMS.join(', ')}`,
    json: 'compare: print the yardstick as JSON instead of a table',
    customers: 'compare: twin customers (default: the scenario\'s, or 2000)',
    days: 'compare: simulated days (default: the scenario\'s, or 90)',
    'train-days': 'compare: days of the exploration run the propensity models learn from (on seed + 1000)',
    seed: 'compare: scenario seed (default: the scenario\'s, or 1)',
    catalogue: 'compare: a catalogue YAML (default: the built-in bank catalogue)',
    triggers: 'compare: the triggers the engine-triggered and triggers-only arms act on (default: catalogue/triggers.yaml)',
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
  const arms = String(v.policies)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  for (const a of arms) if (!(COMPARE_ARMS as readonly string[]).includes(a)) throw new UsageError(`--policies must name arms from ${COMPARE_ARMS.join(', ')}; got "${a}"`);
  if (arms.length === 0) throw new UsageError(`--policies must name at least one arm from ${COMPARE_ARMS.join(', ')}`);
  const input: ScenarioInput = typeof v.scenario === 'string' ? scenarioFile(v.scenario) : { name: 'compare', customers: 2000, days: 90, seed: 1 };
  if (v.customers !== undefined) input.customers = int('customers', 10, 1_000_000);
  if (v.days !== undefined) input.days = int('days', 1, 3650);
  if (v.seed !== undefined) input.seed = int('seed', 0, 0xffffffff);
  const trainDays = int('train-days', 1, 3650);
  let scenario;
  try {
    scenario = parseScenario(input);
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(e.message.replace(/^scenario: /, `${typeof v.scenario === 'string' ? v.scenario : 'scenario'}: `));
    throw e;
  }
  const catalogue = parseCatalogueYaml(readFileSync(typeof v.catalogue === 'string' ? v.catalogue : DEFAULT_CATALOGUE, 'utf8'));
  const triggersFile = typeof v.triggers === 'string' ? v.triggers : DEFAULT_TRIGGERS;
  if (typeof triggersFile === 'string' && !existsSync(triggersFile)) throw new UsageError(`--triggers ${triggersFile}: no such file`);
  let triggers;
  try {
    triggers = parseTriggerYaml(readFileSync(triggersFile, 'utf8'));
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(`--triggers ${String(triggersFile)}: ${e.message}`);
    throw e;
  }
  const started = Date.now();
  const result = await compareOnScenario(catalogue, scenario, {
    arms: arms as CompareArm[],
    trainDays,
    triggers,
    onProgress: (what) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${what}\n`),
  });
  const { reports: _reports, ...summary } = result;
  if (v.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    const head = `${summary.scenario}: seed ${summary.seed}, ${summary.customers.toLocaleString('en-GB')} customers, ${summary.days} days`;
    const fires = Object.entries(summary.triggerFires).map(([arm, t]) => `${arm} trigger fires: ${Object.entries(t.fires).map(([id, n]) => `${id} ${n} (${t.offers[id] ?? 0} offers)`).join(', ') || 'none'}`);
    const feed = summary.feed ? [`engine feed: ${summary.feed.gate.rejected} malformed rows rejected, ${summary.feed.gate.deduplicated} duplicates dropped, ${summary.feed.gate.admittedLate} late events admitted`] : [];
    process.stdout.write(`${[head, ...yardstickTable(summary), ...fires, ...feed].join('\n')}\n`);
  }
  return 0;
}

/** A scenario file as input, with a usage error naming the file when it cannot be read. */
function scenarioFile(path: string): ScenarioInput {
  if (!existsSync(path)) throw new UsageError(`--scenario ${path}: no such file`);
  try {
    return { ...loadScenario(path) };
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(`--scenario ${path}: ${e.message.replace(/^scenario: /, '')}`);
    throw e;
  }
}
