import { createEngine, loadConfig, renderModelCard, MODEL_STAGES, type ModelStage } from '../index.js';
import { parseCommand, UsageError, subcommand } from './args.js';
import { cliActor } from './actor.js';

const spec = {
  usage: 'nextbest models list [--name NAME] [--stage STAGE] | show ID [--card] | promote ID [--force REASON] | rollback NAME | drift [--days N]',
  summary:
    'The model registry: list models (version, stage, window, metrics), show one (its card, metrics, parameters; --card prints the card as Markdown), promote a candidate to champion, roll a name back to its previous champion, or check the champions for drift now. Prints JSON.',
  options: {
    name: { type: 'string' },
    stage: { type: 'string' },
    card: { type: 'boolean' },
    force: { type: 'string' },
    days: { type: 'string', default: '30' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    name: 'list: only this model name',
    stage: `list: only this stage (${MODEL_STAGES.join(', ')})`,
    card: 'show: print the model card as Markdown instead of JSON',
    force: 'promote: promote although the promotion guard refuses; the reason is kept in the registry history',
    days: 'drift: compare the last N days with the training window',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['list', 'show', 'promote', 'rollback', 'drift'] as const;

/** `nextbest models` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const [, arg] = parsed.positionals;
  const sub = subcommand(parsed.positionals, SUBCOMMANDS, spec.usage);
  if ((sub === 'show' || sub === 'promote' || sub === 'rollback') && !arg) throw new UsageError(`models ${sub} needs ${sub === 'rollback' ? 'a model NAME' : 'a model ID (name@version)'}`);
  if (v.stage !== undefined && !(MODEL_STAGES as readonly string[]).includes(v.stage)) throw new UsageError(`--stage must be one of ${MODEL_STAGES.join(', ')}, got ${v.stage}`);
  const days = Number(v.days);
  if (!(days > 0)) throw new UsageError(`--days must be a positive number, got ${v.days}`);
  // stdout carries the JSON result only: the engine logs warnings and worse.
  const engine = await createEngine(loadConfig(v.config, process.env, { log: { level: 'warn' }, ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}) }));
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
  try {
    switch (sub) {
      case 'list':
        out(await engine.models.list({ ...(v.name ? { name: v.name } : {}), ...(v.stage ? { stage: v.stage as ModelStage } : {}) }));
        return 0;
      case 'show': {
        const r = await engine.models.get(arg!);
        if (!r) {
          process.stderr.write(`no model ${arg}\n`);
          return 1;
        }
        if (v.card) process.stdout.write(renderModelCard(r));
        else {
          const { artefact: _a, driftReference: _d, ...rest } = r;
          out(rest);
        }
        return 0;
      }
      case 'promote':
        out(await engine.models.promote(arg!, { ...(v.force !== undefined ? { force: v.force } : {}), actor: cliActor() }));
        return 0;
      case 'rollback':
        out(await engine.models.rollback(arg!.replace(/@\d+$/, ''), { actor: cliActor() }));
        return 0;
      case 'drift':
        out(await engine.models.checkDrift({ days }));
        return 0;
      default:
        throw new UsageError(`unknown subcommand ${sub}`);
    }
  } finally {
    await engine.close();
  }
}
