import { parseCommand, UsageError } from './args.js';
import { outcomesText } from './measureText.js';
import { quietEngine } from './quietEngine.js';

const spec = {
  usage: 'nextbest outcomes [--days N] [--json] [--fail-on-alert]',
  summary:
    'Customer-outcome monitoring (Consumer Duty): for each action family and targeted support, the customers contacted against held-out customers the engine would have contacted — arrears, complaints, ended overdrawn, savings change, went silent — overall and for vulnerable customers apart. Prints a summary, or the whole report with --json; --fail-on-alert exits 3 when an outcome is significantly worse.',
  options: {
    days: { type: 'string', default: '90' },
    json: { type: 'boolean' },
    'fail-on-alert': { type: 'boolean' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    days: 'The decisions of the last N days',
    json: 'Print the whole report as JSON',
    'fail-on-alert': 'Exit 3 when an alert is raised (for CI and schedulers)',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
} as const;

/** `nextbest outcomes` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const days = Number(v.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError(`--days must be a whole number of days from 1 to 3650, got ${v.days}`);
  const engine = await quietEngine(v);
  try {
    const r = await engine.customerOutcomes(days);
    process.stdout.write(v.json ? `${JSON.stringify(r, null, 2)}\n` : `${outcomesText(r).join('\n')}\n`);
    return v['fail-on-alert'] && r.alerts.length > 0 ? 3 : 0;
  } finally {
    await engine.close();
  }
}
