import { assertUnreachable } from '../core/errors.js';
import { parseCommand, UsageError, subcommand } from './args.js';
import { fairnessText, modelFairnessText } from './measureText.js';
import { quietEngine } from './quietEngine.js';

const spec = {
  usage: 'nextbest fairness decisions [--days N] | models [--name NAME] [--json] [--fail-on-alert]',
  summary:
    'Fairness audits. decisions: selection and acceptance rate per action family per group (age band, sex) over the decisions of the last N days, the four-fifths rule with intervals, exclusions required by law or product rules set apart. models: each model version\'s audit from its card (per age band, sex, vulnerability and their intersections, with its flags). Prints a summary, or the whole report with --json; --fail-on-alert exits 3 when an alert or flag is raised.',
  options: {
    days: { type: 'string', default: '90' },
    name: { type: 'string' },
    json: { type: 'boolean' },
    'fail-on-alert': { type: 'boolean' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    days: 'decisions: the decisions of the last N days',
    name: 'models: only this model name',
    json: 'Print the whole report as JSON',
    'fail-on-alert': 'Exit 3 when a ratio is below 0.8 or a model carries a flag (for CI and schedulers)',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['decisions', 'models'] as const;

/** `nextbest fairness` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const sub = subcommand(parsed.positionals, SUBCOMMANDS, spec.usage);
  const days = Number(v.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError(`--days must be a whole number of days from 1 to 3650, got ${v.days}`);
  const engine = await quietEngine(v);
  const print = (x: unknown, text: string[]) => process.stdout.write(v.json ? `${JSON.stringify(x, null, 2)}\n` : `${text.join('\n')}\n`);
  const command = sub;
  try {
    switch (command) {
      case 'decisions': {
        const r = await engine.decisionFairness(days);
        print(r, fairnessText(r));
        return v['fail-on-alert'] && r.alerts.length > 0 ? 3 : 0;
      }
      case 'models': {
        const models = await engine.models.list(v.name ? { name: v.name } : undefined);
        print(models.map((m) => ({ id: m.id, stage: m.stage, fairness: m.card.fairness, audit: m.card.fairnessAudit ?? null })), modelFairnessText(models));
        const flagged = models.some((m) => ((m.card.fairnessAudit as { flags?: string[] } | undefined)?.flags?.length ?? 0) > 0);
        return v['fail-on-alert'] && flagged ? 3 : 0;
      }
      default:
        return assertUnreachable(command);
    }
  } finally {
    await engine.close();
  }
}
