import { UsageError } from './args.js';

/**
 * The `nextbest` command. Each command lives in its own file and is loaded only when
 * called, so `nextbest --help` stays fast.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  serve: { summary: 'Run the HTTP API', load: () => import('./serve.js') },
  ingest: { summary: 'Ingest events from JSONL or CSV files', load: () => import('./ingest.js') },
  demo: { summary: 'Generate a synthetic bank, ingest it, serve it', load: () => import('./demo.js') },
  consume: { summary: 'Consume events from NATS JetStream into the event log', load: () => import('./consume.js') },
  simulate: { summary: 'Run the digital twin: synthetic events with ground truth, or a policy in the closed loop', load: () => import('./simulate.js') },
  decide: { summary: 'Next best actions for a customer (or show/replay a logged decision; compare engine vs random/rules/oracle in the twin)', load: () => import('./decide.js') },
  survival: { summary: 'Kaplan-Meier curves and Cox models from a CSV (km|cox), as R survival', load: () => import('./survival.js') },
  segment: { summary: 'Customer segments by k-means on a CSV, described in words', load: () => import('./segment.js') },
  clv: { summary: 'Customer lifetime value: BG/NBD + Gamma-Gamma (summary|fit|predict)', load: () => import('./clv.js') },
  markov: { summary: 'Fit a Markov chain to customer state sequences in a CSV (fit)', load: () => import('./markov.js') },
  features: { summary: 'Feature store: list definitions, backfill point-in-time feature rows from the log', load: () => import('./features.js') },
  gbdt: { summary: 'Gradient-boosted trees on a CSV: train, eval (AUC, log loss), explain (TreeSHAP)', load: () => import('./gbdt.js') },
  train: { summary: 'Train models from the event log and register them with cards and metrics (--model NAME)', load: () => import('./train.js') },
  models: { summary: 'Model registry: list, show (card), promote, rollback, drift', load: () => import('./models.js') },
  catalogue: { summary: 'The stored action catalogue: import a YAML as the version in force, export one as YAML, list versions', load: () => import('./catalogue.js') },
  ope: { summary: 'Off-policy evaluation: a candidate catalogue, levers or bandit scored on the decision log (IPS, SNIPS, DM, DR, intervals)', load: () => import('./ope.js') },
  experiments: { summary: 'Experiments and holdouts: list, create from YAML, report ID (HTML with charts + JSON)', load: () => import('./experiments.js') },
  fairness: { summary: 'Fairness audits: decisions (selection and acceptance per family per group, four-fifths) and models (the audit in each card)', load: () => import('./fairness.js') },
  outcomes: { summary: 'Customer-outcome monitoring (Consumer Duty): contacted vs held-out customers per family, vulnerable customers apart', load: () => import('./outcomes.js') },
  keys: { summary: 'API keys for the HTTP API: create (scopes, expiry), list, revoke', load: () => import('./keys.js') },
  triggers: { summary: 'Triggers: list, test against a customer\'s history, fires, import a YAML set, sweep absences now', load: () => import('./triggers.js') },
  deliveries: { summary: 'The delivery outbox: list by status (dead letters), metrics, retry a dead letter', load: () => import('./deliveries.js') },
  audit: { summary: 'The hash-chained audit trail of administrative acts: verify, list', load: () => import('./audit.js') },
  privacy: { summary: 'Data-subject rights and retention: export (Art. 15), erase (Art. 17), purge', load: () => import('./privacy.js') },
  federated: { summary: 'Federated GBDT across banks that keep their rows: participant, coordinator, a three-bank demo', load: () => import('./federated.js') },
  migrate: { summary: 'Bring a PostgreSQL store up to date: schema migrations and monthly partitions (--store postgres://…)', load: () => import('./migrate.js') },
};

/** The names of all commands. */
export function commandNames(): string[] {
  return Object.keys(COMMANDS);
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    'Usage: nextbest <command> [options]',
    '',
    'nextbest: a real-time next-best-action engine for banks and fintechs.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`),
    '',
    'Run `nextbest <command> --help` for the options of one command.',
  ].join('\n');
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${usage()}\n`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    const err = e as { code?: string; message?: string };
    if (err && typeof err.code === 'string' && err.message) {
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw e;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
