import { createEngine, loadConfig, MODEL_JOBS } from '../index.js';
import { parseCommand, UsageError } from './args.js';
import { ProgressBar } from './progress.js';

const spec = {
  usage: 'nextbest train [--model NAME] [--from DATE] [--to DATE] [--seed N] [--promote] [--from-log] [--threads N] [--data-dir DIR]',
  summary:
    'Trains models from the event log: labels from the log joined to point-in-time features, a time-based train/validation/test split, then per model the held-out metrics (AUC, log loss, lift in the top decile, calibration; concordance for survival). Each model is registered as a candidate with its card; --promote makes it the champion. Jobs read a columnar snapshot of the log kept in the data dir under training-snapshot/: the engine appends events to it as it applies them, a run reads only the log after it (built in one pass when there is none); the report\'s `data` says whether it was built, extended or loaded. Prints the training report as JSON.',
  options: {
    model: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    seed: { type: 'string', default: '1' },
    promote: { type: 'boolean' },
    'from-log': { type: 'boolean' },
    threads: { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    model: `One job, or several comma-separated: ${MODEL_JOBS.join(', ')} (default all)`,
    from: 'First as-of date of the training rows (YYYY-MM-DD; default 60 days after the first event)',
    to: 'End of the training window (YYYY-MM-DD; default the last event)',
    seed: 'Seed for sampling in training',
    promote: 'Promote every trained model to champion',
    'from-log': 'Every job scans the log itself instead of reading the training snapshot (slower; the same models)',
    threads: 'Threads to train on (default the config\'s training.threads, 2): GBDTs boost on the others while the main thread builds data; 1 trains on the main thread alone (the same models)',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
} as const;

function date(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(t)) throw new UsageError(`--${flag} must be a date YYYY-MM-DD or an ISO time, got ${v}`);
  return t;
}

/** `nextbest train` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const models = v.model?.split(',').map((m) => m.trim()).filter((m) => m !== '');
  const unknown = (models ?? []).filter((m) => !(MODEL_JOBS as readonly string[]).includes(m));
  if (unknown.length > 0) throw new UsageError(`--model: unknown model ${unknown.join(', ')}; one of ${MODEL_JOBS.join(', ')}`);
  const seed = Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${v.seed}`);
  const threads = v.threads === undefined ? undefined : Number(v.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) throw new UsageError(`--threads must be a whole number from 1 to 64, got ${v.threads}`);
  const from = date(v.from, 'from');
  const to = date(v.to, 'to');
  // stdout carries the JSON result only: the engine logs warnings and worse.
  const engine = await createEngine(loadConfig(v.config, process.env, { log: { level: 'warn' }, ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}) }));
  const bars = new Map<string, ProgressBar>();
  try {
    const run = await engine.trainModels({
      ...(models ? { models } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      seed,
      promote: v.promote === true,
      ...(v['from-log'] ? { snapshot: false } : {}),
      ...(threads !== undefined ? { threads } : {}),
      progress: (stage, done, total) => {
        let bar = bars.get(stage);
        if (!bar) bars.set(stage, (bar = new ProgressBar(`  ${stage}`, total, total === undefined ? 'events' : 'steps')));
        if (total !== undefined && done >= total) bar.finish(done);
        else bar.update(done);
      },
    });
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    return run.trained.length > 0 ? 0 : 1;
  } finally {
    await engine.close();
  }
}
