import { pino } from 'pino';
import { createEngine, loadConfig, type Engine } from '../index.js';

/**
 * The engine for a one-shot report command (`--config`, `--data-dir`): it logs warnings and
 * worse to stderr only, so stdout holds the report alone.
 */
export function quietEngine(v: { config: string; 'data-dir'?: string | undefined }): Promise<Engine> {
  const logger = pino({ level: 'warn', base: { service: 'nextbest' } }, { write: (line: string) => process.stderr.write(line) });
  return createEngine(loadConfig(v.config, process.env, { ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}) }), { logger });
}
