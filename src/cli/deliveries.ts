import { assertUnreachable } from '../core/errors.js';
import { createEngine, loadConfig, OUTBOX_STATUSES, type OutboxStatus } from '../index.js';
import { cliActor } from './actor.js';
import { parseCommand, UsageError } from './args.js';

const spec = {
  usage: 'nextbest deliveries [list] [--status pending|leased|delivered|dead|cancelled] [--customer ID] [--limit N] | metrics | retry KEY',
  summary:
    'The delivery outbox: entries by status (`--status dead` is the dead-letter list) with the counts per status; metrics (trigger fires, deliveries, failures, latencies); retry a dead-lettered delivery (due now, attempts reset; audited). The server delivers it; this command does not send.',
  options: {
    status: { type: 'string' },
    customer: { type: 'string' },
    limit: { type: 'string', default: '50' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    status: `list: only entries in this status (${OUTBOX_STATUSES.join(', ')})`,
    customer: "list: only this customer's entries",
    limit: 'list: at most this many',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['list', 'metrics', 'retry'] as const;

/** `nextbest deliveries` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const [sub = 'list', key] = parsed.positionals;
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand ${sub}: ${SUBCOMMANDS.join(', ')}\n\nUsage: ${spec.usage}`);
  if (v.status !== undefined && !(OUTBOX_STATUSES as readonly string[]).includes(v.status)) throw new UsageError(`--status must be one of ${OUTBOX_STATUSES.join(', ')}, got ${v.status}`);
  if (sub === 'retry' && !key) throw new UsageError('deliveries retry needs the delivery KEY (decisionId:actionId:channel)');
  const limit = Number(v.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number >= 1, got ${v.limit}`);
  const engine = await createEngine(loadConfig(v.config, process.env, { log: { level: 'warn' }, delivery: { dispatch: false }, ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}) }));
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
  const command = sub as (typeof SUBCOMMANDS)[number];
  try {
    switch (command) {
      case 'list':
        out({ counts: await engine.deliveries.counts(), deliveries: await engine.deliveries.list({ ...(v.status ? { status: v.status as OutboxStatus } : {}), ...(v.customer ? { customerId: v.customer } : {}), limit }) });
        return 0;
      case 'metrics':
        out(await engine.deliveries.metrics());
        return 0;
      case 'retry':
        out(await engine.deliveries.retry(key!, { actor: cliActor() }));
        return 0;
      default:
        return assertUnreachable(command);
    }
  } finally {
    await engine.close();
  }
}
