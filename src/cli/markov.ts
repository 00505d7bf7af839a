import { ValidationError } from '../core/errors.js';
import { analyseAbsorption, isIrreducible, nStepTransitions, stationaryDistribution } from '../models/markov/absorbing.js';
import { periodIndex, sequencesFromPanel } from '../models/markov/panel.js';
import { ACTIVITY_ABSORBING, ACTIVITY_STATES, STRESS_ABSORBING, STRESS_STATES } from '../models/markov/states.js';
import { fitMarkovChain } from '../models/markov/transitions.js';
import { isMissing } from '../models/survival/design.js';
import { numberOption, parseCommand, required, UsageError } from './args.js';
import { compactJson, readCsvFile } from './survival.js';

const fitSpec = {
  usage:
    'nextbest markov fit --data FILE [--customer customerId] [--period period] [--state state] [--chain activity|stress] [--states a,b,c] [--absorbing closed] [--interval wilson|goodman] [--horizon 12]',
  summary:
    'Fits a discrete-time Markov chain to per-customer state sequences in a CSV (one row per customer and period; periods are integers or YYYY-MM, a skipped period breaks the sequence) and prints JSON: counts, transition probabilities with confidence intervals, the n-period matrix, and for absorbing states (closed, default) the expected periods to absorption, absorption probabilities and the probability of absorption within the horizon; for an ergodic chain, the stationary distribution.',
  options: {
    data: { type: 'string' },
    customer: { type: 'string', default: 'customerId' },
    period: { type: 'string', default: 'period' },
    state: { type: 'string', default: 'state' },
    chain: { type: 'string' },
    states: { type: 'string' },
    absorbing: { type: 'string' },
    interval: { type: 'string', default: 'wilson' },
    'conf-level': { type: 'string', default: '0.95' },
    horizon: { type: 'string', default: '12' },
  },
  help: {
    data: 'CSV with a header row',
    customer: 'Customer id column',
    period: 'Period column (integer, or YYYY-MM / YYYY-MM-DD for months)',
    state: 'State column',
    chain: 'activity (active, declining, dormant, closed) or stress (current ... default): sets --states and --absorbing',
    states: 'Comma-separated state order (default: the chain\'s, or sorted)',
    absorbing: 'Comma-separated absorbing states',
    interval: 'wilson (per transition) or goodman (simultaneous per row)',
    'conf-level': 'Confidence level of the intervals',
    horizon: 'Periods ahead for the n-step matrix and the absorption-within probabilities',
  },
} as const;

const USAGE = 'Usage: nextbest markov fit [options]\n\nRun `nextbest markov fit --help` for the options.';

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

async function runFit(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, fitSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const interval = v.interval;
  if (interval !== 'wilson' && interval !== 'goodman') throw new UsageError(`--interval must be wilson or goodman, got ${interval}`);
  const confLevel = numberOption(v, 'conf-level', 0.95);
  if (!(confLevel > 0 && confLevel < 1)) throw new UsageError(`--conf-level must be between 0 and 1, got ${confLevel}`);
  const horizon = numberOption(v, 'horizon', 12);
  if (!Number.isInteger(horizon) || horizon < 1) throw new UsageError(`--horizon must be a whole number of periods >= 1, got ${horizon}`);
  let states = list(v.states);
  let absorbing = list(v.absorbing);
  if (v.chain === 'activity' || v.chain === 'stress') {
    states ??= [...(v.chain === 'activity' ? ACTIVITY_STATES : STRESS_STATES)];
    absorbing ??= [...(v.chain === 'activity' ? ACTIVITY_ABSORBING : STRESS_ABSORBING)];
  } else if (v.chain !== undefined) throw new UsageError(`--chain must be activity or stress, got ${v.chain}`);
  const table = readCsvFile(required(v, 'data'));
  const col = (flag: 'customer' | 'period' | 'state') => {
    const name = v[flag];
    const i = table.header.indexOf(name);
    if (i < 0) throw new UsageError(`--${flag}: column "${name}" is not in the header (${table.header.join(', ')})`);
    return i;
  };
  const [ci, pi, si] = [col('customer'), col('period'), col('state')];
  const rows = table.rows.filter((r) => !isMissing(r[ci]) && !isMissing(r[pi]) && !isMissing(r[si]));
  const period = rows.map((r, k) => {
    const p = periodIndex(r[pi]!);
    if (p === null) throw new ValidationError([{ field: v.period, rule: 'period', message: `"${r[pi]}" (data row ${k + 1}) is not an integer or YYYY-MM` }]);
    return p;
  });
  process.stderr.write(`markov fit: ${table.rows.length} rows read, ${table.rows.length - rows.length} dropped for missing values\n`);
  const seq = sequencesFromPanel({ customer: rows.map((r) => r[ci]!), period, state: rows.map((r) => r[si]!) }, states);
  const chain = fitMarkovChain(seq, { confLevel, interval, ...(absorbing ? { absorbing } : {}) });
  for (const w of chain.warnings) process.stderr.write(`markov fit: warning: ${w}\n`);
  const p = chain.probabilities;
  const result: Record<string, unknown> = { model: 'markov-chain', ...chain, horizon, nStep: nStepTransitions(p, horizon) };
  if (chain.absorbing.length > 0 && chain.absorbing.length < chain.states.length) {
    const a = analyseAbsorption(p, chain.states);
    result.absorption = {
      ...a,
      // P(absorbed in each absorbing state within the horizon), per transient starting state.
      withinHorizon: a.transient.map((from) => {
        const i = chain.states.indexOf(from);
        return Object.fromEntries(a.absorbing.map((to) => [to, (result.nStep as number[][])[i]![chain.states.indexOf(to)]!]));
      }),
    };
  }
  if (isIrreducible(p)) result.stationary = stationaryDistribution(p);
  process.stdout.write(`${compactJson(result)}\n`);
  return 0;
}

/** `nextbest markov fit` */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'fit') return runFit(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown subcommand "${sub}"\n\n${USAGE}`);
}
