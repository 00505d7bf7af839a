import { readFileSync } from 'node:fs';
import { assertUnreachable } from '../core/errors.js';
import { createEngine, loadConfig, parseTriggerYaml } from '../index.js';
import { cliActor } from './actor.js';
import { parseCommand, UsageError, subcommand } from './args.js';

const spec = {
  usage: 'nextbest triggers list | test --customer ID [--file triggers.yaml] [--until ISO] | fires [--customer ID] [--limit N] | import FILE | sweep',
  summary:
    "The triggers in force (stored with the engine, seeded from catalogue/triggers.yaml): list them; test them (or a YAML set, with --file) against one customer's history, printing what would have fired and what was held back and why, deciding nothing; list recent fires; import a YAML set as the set in force (each trigger compiled first, audited); sweep runs the absence check now.",
  options: {
    customer: { type: 'string' },
    file: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string', default: '50' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    customer: 'test, fires: the customer id',
    file: 'test: a YAML trigger set to try instead of the set in force',
    until: 'test: check absences up to this time (ISO 8601; default now)',
    limit: 'fires: at most this many',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['list', 'test', 'fires', 'import', 'sweep'] as const;

/** `nextbest triggers` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const [, arg] = parsed.positionals;
  const sub = subcommand(parsed.positionals, SUBCOMMANDS, spec.usage);
  if (sub === 'test' && !v.customer) throw new UsageError('triggers test needs --customer ID');
  if (sub === 'import' && !arg) throw new UsageError('triggers import needs a YAML FILE');
  const until = v.until !== undefined ? Date.parse(v.until) : undefined;
  if (until !== undefined && Number.isNaN(until)) throw new UsageError(`--until must be an ISO 8601 time, got ${v.until}`);
  const limit = Number(v.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number >= 1, got ${v.limit}`);
  // A look at the triggers sends nothing: the dispatcher stays off in this process.
  const engine = await createEngine(loadConfig(v.config, process.env, { log: { level: 'warn' }, delivery: { dispatch: false }, ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}) }));
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
  const command = sub;
  try {
    switch (command) {
      case 'list':
        out({ triggers: engine.triggers.list() });
        return 0;
      case 'test': {
        const set = v.file ? parseTriggerYaml(readFileSync(v.file, 'utf8')).triggers : undefined;
        // The YAML was parsed (periods in ms): the engine reads them back as they are.
        out(await engine.triggers.test(v.customer!, { ...(set ? { triggers: set } : {}), ...(until !== undefined ? { until } : {}) }));
        return 0;
      }
      case 'fires':
        out({ fires: await engine.triggers.fires({ ...(v.customer ? { customerId: v.customer } : {}), limit }) });
        return 0;
      case 'import': {
        const set = parseTriggerYaml(readFileSync(arg!, 'utf8'));
        const saved = [];
        for (const t of set.triggers) saved.push((await engine.triggers.put(t, { actor: cliActor() })).trigger.id);
        out({ imported: saved });
        return 0;
      }
      case 'sweep':
        out({ fired: await engine.triggers.sweep() });
        return 0;
      default:
        return assertUnreachable(command);
    }
  } finally {
    await engine.close();
  }
}
