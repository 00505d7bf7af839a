import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What a command declares about itself: enough to parse its flags and print `--help`. */
export interface CommandSpec<O extends Options> {
  usage: string;
  summary: string;
  options: O;
  /** Help text for each option, by name. */
  help: Partial<Record<keyof O, string>>;
  allowPositionals?: boolean;
}

/** Thrown for a bad command line; main prints the message and exits 2. */
export class UsageError extends Error {}

/** The subcommand the first positional names, one of `known`; otherwise a UsageError listing them with the usage. */
export function subcommand<S extends string>(positionals: readonly string[], known: readonly S[], usage: string): S {
  const sub = positionals[0];
  if (sub === undefined || !(known as readonly string[]).includes(sub)) throw new UsageError(`give a subcommand: ${known.join(', ')}\n\nUsage: ${usage}`);
  return sub as S;
}

type WithHelp<O extends Options> = O & { help: { type: 'boolean'; short: 'h' } };
/**
 * What `parseArgs` returns for a command's options. Named here because the declaration
 * build (`npm run build`) cannot name node's unexported `ParsedResults` (TS4058).
 */
export type ParsedCommand<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: WithHelp<O>; allowPositionals: boolean; strict: true }>>;

/** Parses argv for a command; returns null when `--help` was asked for (help already printed). */
export function parseCommand<O extends Options>(argv: string[], spec: CommandSpec<O>): ParsedCommand<O> | null {
  const options = { ...spec.options, help: { type: 'boolean', short: 'h' } } as WithHelp<O>;
  let parsed: ParsedCommand<O>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: spec.allowPositionals ?? false, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${helpText(spec)}`);
  }
  if ((parsed.values as Record<string, unknown>).help) {
    process.stdout.write(`${helpText(spec)}\n`);
    return null;
  }
  return parsed;
}

/** The `--help` text of a command. */
export function helpText<O extends Options>(spec: CommandSpec<O>): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, '', 'Options:'];
  for (const [name, opt] of Object.entries(spec.options)) {
    const flag = `--${name}${opt.short ? `, -${opt.short}` : ''}${opt.type === 'string' ? ' VALUE' : ''}`;
    lines.push(`  ${flag.padEnd(28)} ${spec.help[name as keyof O] ?? ''}${opt.default !== undefined ? ` (default ${String(opt.default)})` : ''}`);
  }
  lines.push(`  ${'--help, -h'.padEnd(28)} Show this help`);
  return lines.join('\n');
}

/** A required string option, or a UsageError naming it. */
export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** Parses a numeric option, or a UsageError naming it. */
export function numberOption(values: Record<string, unknown>, name: string, fallback: number): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${String(v)}`);
  return n;
}
