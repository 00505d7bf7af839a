import { writeFileSync } from 'node:fs';
import { assertUnreachable } from '../core/errors.js';
import { createEngine, loadConfig } from '../index.js';
import { cliActor } from './actor.js';
import { parseCommand, UsageError, subcommand } from './args.js';

const spec = {
  usage: 'nextbest privacy export ID [--out FILE] | erase ID | purge',
  summary:
    "Data-subject rights and retention. export: everything held about a customer (GDPR Art. 15: record, events, profile, scores, decisions with explanations, consent history, contacts, quarantined items) as one JSON bundle. erase: GDPR Art. 17 erasure. purge: applies the retention periods (privacy.retentionDays per event type) and the quarantine's age and size limits now. Each is recorded in the audit trail. Needs the data dir to itself (stop the server, or use the HTTP API).",
  options: {
    out: { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    out: 'export: write the bundle to this file (0600) instead of stdout',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['export', 'erase', 'purge'] as const;

/** `nextbest privacy` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const [, id] = parsed.positionals;
  const sub = subcommand(parsed.positionals, SUBCOMMANDS, spec.usage);
  if ((sub === 'export' || sub === 'erase') && !id) throw new UsageError(`privacy ${sub} needs a customer ID`);
  const engine = await createEngine(loadConfig(v.config, process.env, { log: { level: 'warn' }, ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}) }));
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
  const command = sub;
  try {
    switch (command) {
      case 'export': {
        const bundle = await engine.privacy.exportCustomer(id!, { actor: cliActor() });
        if (v.out) {
          writeFileSync(v.out, `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o600 });
          out({ exported: v.out, events: bundle.events.length, decisions: bundle.decisions.length });
        } else out(bundle);
        return 0;
      }
      case 'erase':
        out(await engine.eraseCustomer(id!, { actor: cliActor() }));
        return 0;
      case 'purge':
        out(await engine.privacy.purge({ actor: cliActor() }));
        return 0;
      default:
        return assertUnreachable(command);
    }
  } finally {
    await engine.close();
  }
}
