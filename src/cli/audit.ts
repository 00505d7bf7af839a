import { assertUnreachable } from '../core/errors.js';
import { AuditTrail, loadConfig, openAuditLog } from '../index.js';
import { parseCommand, UsageError, subcommand } from './args.js';

const spec = {
  usage: 'nextbest audit verify | list [--after SEQ] [--limit N] [--store postgres://…]',
  summary:
    'The audit trail of administrative acts (catalogue and lever edits, model promotions and rollbacks, API keys, erasures, exports, retention purges, experiment edits) in audit.db in the data dir, or in PostgreSQL with a postgres:// store. verify walks the hash chain and exits 1 naming the first entry that was edited, removed or reordered; list prints entries as JSON. Both work while a server runs.',
  options: {
    after: { type: 'string', default: '0' },
    limit: { type: 'string', default: '100' },
    'data-dir': { type: 'string' },
    store: { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    after: 'list: entries after this seq',
    limit: 'list: at most this many entries',
    'data-dir': 'Where the embedded store keeps its files',
    store: 'sqlite (default) or a postgres:// URL (?schema=NAME), as `serve --store`',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['verify', 'list'] as const;

/** `nextbest audit` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const sub = subcommand(parsed.positionals, SUBCOMMANDS, spec.usage);
  const after = Number(v.after);
  const limit = Number(v.limit);
  if (!Number.isInteger(after) || after < 0) throw new UsageError(`--after must be a whole number >= 0, got ${v.after}`);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number >= 1, got ${v.limit}`);
  const config = loadConfig(v.config, process.env, { ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}), ...(v.store ? { store: v.store } : {}), log: { level: 'warn' } });
  if (config.store === 'memory') throw new UsageError('the audit trail is kept only by the sqlite and postgres stores; this config uses the memory store');
  const log = await openAuditLog(config);
  const trail = new AuditTrail(log, Date.now);
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
  const command = sub;
  try {
    switch (command) {
      case 'verify': {
        const verdict = await trail.verify();
        out(verdict);
        if (!verdict.ok) process.stderr.write(`audit chain broken at entry ${verdict.brokenAt}: ${verdict.reason}\n`);
        return verdict.ok ? 0 : 1;
      }
      case 'list':
        out({ entries: await trail.list({ afterSeq: after, limit }) });
        return 0;
      default:
        return assertUnreachable(command);
    }
  } finally {
    await log.close();
  }
}
