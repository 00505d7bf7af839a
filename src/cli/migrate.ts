import { migratePostgres } from '../index.js';
import { numberOption, parseCommand, UsageError } from './args.js';

const spec = {
  usage: 'nextbest migrate --store postgres://USER@HOST:PORT/DB [--schema NAME] [--months-ahead N]',
  summary:
    'Bring a PostgreSQL store up to date: apply the schema migrations not yet recorded in schema_migrations (in one transaction, once even when several instances run it together) and create the monthly event and decision partitions ahead of need. Prints what it did as JSON. The embedded SQLite store migrates itself on open and needs no command.',
  options: {
    store: { type: 'string' },
    schema: { type: 'string', default: 'nextbest' },
    'months-ahead': { type: 'string', default: '3' },
  },
  help: {
    store: 'The PostgreSQL URL (or NEXTBEST_STORE)',
    schema: 'The schema to hold the tables, created if missing',
    'months-ahead': 'Partitions to create beyond the current month',
  },
} as const;

/** `nextbest migrate` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const url = v.store ?? process.env.NEXTBEST_STORE;
  if (!url) throw new UsageError(`--store is required\n\nUsage: ${spec.usage}`);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError(`--store must be a postgres:// URL (only PostgreSQL needs migrating), got ${url.split(':')[0]}:…`);
  // The same URL as `serve --store`: its `?schema=` names the schema (over --schema).
  const pgUrl = new URL(url);
  const schema = pgUrl.searchParams.get('schema') ?? v.schema;
  pgUrl.searchParams.delete('schema');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new UsageError(`--schema must be a lower-case SQL identifier, got ${schema}`);
  const monthsAhead = numberOption(v, 'months-ahead', 3);
  if (!Number.isInteger(monthsAhead) || monthsAhead < 0 || monthsAhead > 120) throw new UsageError(`--months-ahead must be an integer from 0 to 120, got ${v['months-ahead']}`);
  const report = await migratePostgres(pgUrl.toString(), { schema, now: Date.now(), monthsAhead });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}
