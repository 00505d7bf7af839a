import { join } from 'node:path';
import { parseCommand } from './args.js';

const spec = {
  usage: 'nextbest serve [--port N] [--host H] [--data-dir DIR] [--store sqlite|memory|postgres://…] [--cache redis://…] [--bus nats://…] [--config FILE] [--no-auth]',
  summary: 'Runs the HTTP API (OpenAPI at /openapi.json, reference at /docs) until SIGINT/SIGTERM, then finishes in-flight requests and exits.',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    store: { type: 'string' },
    cache: { type: 'string' },
    bus: { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
    'no-auth': { type: 'boolean' },
  },
  help: {
    port: 'Port to listen on (default from config: 8080; 0 picks a free one)',
    host: 'Interface to bind (default 127.0.0.1)',
    'data-dir': 'Where the embedded store keeps its files',
    store: 'sqlite (default), memory, or postgres://USER@HOST:PORT/DB?schema=NAME: several instances may share one PostgreSQL schema',
    cache: 'redis://HOST:PORT?prefix=P: online profiles and contact counters in Redis (needs a postgres store)',
    bus: 'nats://HOST:PORT?stream=NAME&partitions=N: NATS JetStream between instances; the consumers are split by customer partition (needs a postgres store)',
    config: 'Config file',
    'no-auth': 'No authentication at all: refused unless the host is loopback; for local exploration and tests only',
  },
} as const;

/** `nextbest serve` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  // The engine and the server load only now, so `serve --help` answers without them.
  const [{ createEngine, loadConfig, readSimulatedClock, CLOCK_FILE }, { serveEngine }] = await Promise.all([import('../index.js'), import('./listen.js')]);
  const v = parsed.values;
  const config = loadConfig(v.config, process.env, {
    ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}),
    ...(v.store ? { store: v.store } : {}),
    ...(v.cache ? { cache: v.cache } : {}),
    ...(v.bus ? { bus: v.bus } : {}),
    server: { ...(v.port !== undefined ? { port: Number(v.port) } : {}), ...(v.host ? { host: v.host } : {}), ...(v['no-auth'] ? { auth: 'none' as const } : {}) },
  });
  const engine = await createEngine(config);
  const served = await serveEngine(engine, config.server.host, config.server.port);
  if (!served) return 1;
  const { app, address, access } = served;
  engine.logger.info({ address, dataDir: config.dataDir, store: withoutPassword(config.store), ...(config.cache ? { cache: withoutPassword(config.cache) } : {}), ...(config.bus ? { bus: withoutPassword(config.bus) } : {}) }, 'nextbest listening');
  for (const line of access.notice) process.stdout.write(`${line}\n`);
  const simulated = readSimulatedClock(config.dataDir);
  if (simulated !== undefined) process.stdout.write(`simulated clock: ${new Date(simulated).toISOString()} (from ${join(config.dataDir, CLOCK_FILE)}, written by nextbest demo; delete it to use the real clock)\n`);
  process.stdout.write(`nextbest listening on ${address} (docs: ${address}/docs)\n`);
  await untilSignal();
  engine.logger.info('shutting down: finishing in-flight requests');
  await app.close();
  await engine.close();
  return 0;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (sig: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(sig);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

/** A store or cache URL as it may be logged: the password replaced by `***`. */
export function withoutPassword(url: string): string {
  if (!url.includes('://')) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
