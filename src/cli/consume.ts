import { createEngine, loadConfig } from '../index.js';
import { parseCommand, numberOption } from './args.js';
import { ProgressBar } from './progress.js';
import { untilSignal } from './serve.js';

const spec = {
  usage: 'nextbest consume --nats URL [--stream NAME] [--subject-prefix P] [--durable NAME] [--batch N] [--idle-exit SECONDS] [--data-dir DIR]',
  summary:
    'Consumes events from NATS JetStream into the event log with a durable consumer. Each batch is acknowledged to NATS only after it is durable here, so a crash redelivers it and idempotency makes the redelivery harmless. Runs until SIGINT/SIGTERM (or --idle-exit), then prints a JSON summary.',
  options: {
    nats: { type: 'string', default: 'nats://127.0.0.1:4222' },
    stream: { type: 'string', default: 'NEXTBEST_EVENTS' },
    'subject-prefix': { type: 'string', default: 'nextbest.events' },
    durable: { type: 'string', default: 'nextbest-ingest' },
    batch: { type: 'string', default: '500' },
    'idle-exit': { type: 'string' },
    'ack-wait': { type: 'string', default: '30' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    nats: 'NATS server URL(s), comma separated',
    stream: 'JetStream stream (created if missing)',
    'subject-prefix': 'Events are published on <prefix>.<partition>',
    durable: 'Durable consumer name (its position survives restarts)',
    batch: 'Messages per durable batch',
    'idle-exit': 'Exit after this many seconds with no message',
    'ack-wait': 'Seconds NATS waits for an ack before redelivering (set when the durable consumer is created)',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
} as const;

/** `nextbest consume` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const engine = await createEngine(loadConfig(v.config, process.env, v['data-dir'] ? { dataDir: v['data-dir'] } : {}));
  const stop = new AbortController();
  void untilSignal().then(() => stop.abort());
  const bar = new ProgressBar('consume', undefined, 'events');
  const idle = v['idle-exit'] !== undefined ? numberOption(v, 'idle-exit', 0) * 1000 : undefined;
  try {
    const totals = await engine.consumeStream(
      { servers: v.nats, stream: v.stream, subjectPrefix: v['subject-prefix'], durable: v.durable, batchSize: numberOption(v, 'batch', 500), ackWaitMs: numberOption(v, 'ack-wait', 30) * 1000, ...(idle !== undefined ? { idleExitMs: idle } : {}) },
      { signal: stop.signal, onBatch: (_r, t) => bar.update(t.messages, `${t.accepted} accepted, ${t.duplicates} duplicates, ${t.rejected} rejected`) },
    );
    bar.finish(totals.messages);
    process.stdout.write(`${JSON.stringify(totals)}\n`);
    return 0;
  } finally {
    await engine.close();
  }
}
