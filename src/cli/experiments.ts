import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperimentsYaml, renderExperimentReport } from '../index.js';
import { assertUnreachable } from '../core/errors.js';
import { cliActor } from './actor.js';
import { parseCommand, UsageError, subcommand } from './args.js';
import { quietEngine } from './quietEngine.js';

const spec = {
  usage: 'nextbest experiments list | create FILE | report ID [--out DIR]',
  summary:
    'Stored experiments and holdouts. list: every experiment as JSON. create: check a YAML file (one experiment, or `experiments:` with a list and an optional `universalControl:`) and store it; nothing is stored if any experiment is invalid. report: write ID.html (a self-contained page with charts) and ID.json (the same results) from the decision and event logs.',
  options: {
    out: { type: 'string', default: '.' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    out: 'report: the folder to write ID.html and ID.json into',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['list', 'create', 'report'] as const;

/** `nextbest experiments` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const [, arg] = parsed.positionals;
  const sub = subcommand(parsed.positionals, SUBCOMMANDS, spec.usage);
  if (sub === 'create' && !arg) throw new UsageError('experiments create needs a YAML FILE');
  if (sub === 'report' && !arg) throw new UsageError('experiments report needs an experiment ID');
  // Checked before the engine opens: a broken file names its field and stores nothing.
  const incoming = sub === 'create' ? parseExperimentsYaml(readFileSync(arg!, 'utf8')) : undefined;
  const engine = await quietEngine(v);
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
  const command = sub;
  try {
    switch (command) {
      case 'list':
        out(await engine.experiments.list());
        return 0;
      case 'create': {
        if (incoming!.universalControl) await engine.experiments.setUniversalControl(incoming!.universalControl, { actor: cliActor() });
        const created = await engine.experiments.createAll(incoming!.experiments, { actor: cliActor() });
        out({ created: created.map((c) => ({ id: c.experiment.id, revision: c.revision, status: c.experiment.status })), universalControl: incoming!.universalControl ?? null });
        return 0;
      }
      case 'report': {
        const e = (await engine.experiments.get(arg!)).experiment;
        const results = await engine.experimentResults(arg!);
        mkdirSync(v.out, { recursive: true });
        const html = join(v.out, `${e.id}.html`);
        const json = join(v.out, `${e.id}.json`);
        writeFileSync(html, renderExperimentReport(e, results, engine.clock.now()));
        writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
        out({ html, json, srmAlert: results.srm.alert, customers: results.arms.reduce((s, a) => s + a.customers, 0) });
        return 0;
      }
      default:
        return assertUnreachable(command);
    }
  } finally {
    await engine.close();
  }
}
