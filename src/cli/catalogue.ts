import { readFileSync, writeFileSync } from 'node:fs';
import { catalogueYaml, parseCatalogueYaml } from '../index.js';
import { assertUnreachable } from '../core/errors.js';
import { parseCommand, UsageError, subcommand } from './args.js';
import { quietEngine } from './quietEngine.js';

const spec = {
  usage: 'nextbest catalogue import FILE [--author NAME] | export [--version V] [--out FILE] | versions [--limit N]',
  summary:
    'The stored, versioned action catalogue. import: check a YAML catalogue and make it the version in force (the way to apply a changed config YAML once the store has a catalogue). export: write the version in force, or a stored one, as YAML. versions: list stored versions, newest first, as JSON.',
  options: {
    author: { type: 'string' },
    version: { type: 'string' },
    out: { type: 'string' },
    limit: { type: 'string', default: '100' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    author: 'import: who made this version (kept with it)',
    version: 'export: a stored version instead of the one in force',
    out: 'export: write to this file instead of stdout',
    limit: 'versions: at most this many',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['import', 'export', 'versions'] as const;

/** `nextbest catalogue` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const [, file] = parsed.positionals;
  const sub = subcommand(parsed.positionals, SUBCOMMANDS, spec.usage);
  if (sub === 'import' && !file) throw new UsageError('catalogue import needs a YAML FILE');
  const limit = Number(v.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, got ${v.limit}`);
  // Checked before the engine opens: a broken file names its field and stores nothing.
  const incoming = sub === 'import' ? parseCatalogueYaml(readFileSync(file!, 'utf8')) : undefined;
  // stdout carries the result only (YAML or JSON): the engine's warnings go to stderr.
  const engine = await quietEngine(v);
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
  const command = sub;
  try {
    switch (command) {
      case 'import': {
        const before = (await engine.catalogue.refresh({ force: true })).version;
        const version = await engine.catalogue.replaceCatalogue(incoming, { source: 'import', author: v.author ?? null });
        out({ catalogueVersion: version, replaced: before, changed: version !== before });
        return 0;
      }
      case 'export': {
        const yaml = catalogueYaml(await engine.catalogue.at(v.version));
        if (v.out) writeFileSync(v.out, yaml);
        else process.stdout.write(yaml);
        return 0;
      }
      case 'versions': {
        const { current, versions } = await engine.catalogue.versions(limit);
        out({ current, versions: versions.map((x) => ({ ...x, createdAt: new Date(x.createdAt).toISOString() })) });
        return 0;
      }
      default:
        return assertUnreachable(command);
    }
  } finally {
    await engine.close();
  }
}
