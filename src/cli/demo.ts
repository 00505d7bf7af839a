import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, loadConfig, type Engine } from '../engine.js';
import { buildApp } from '../server/app.js';
import { generateDemoBank } from '../simulation/index.js';
import { parseCommand, numberOption } from './args.js';
import { ProgressBar } from './progress.js';
import { untilSignal } from './serve.js';

const spec = {
  usage: 'nextbest demo [--customers N] [--days D] [--seed S] [--port P] [--no-serve] [--keep]',
  summary:
    'The main job, embedded: generates a synthetic bank with the digital twin, ingests it into a fresh store under ./.nextbest/demo, prints what it did, then serves the API and prints the URLs to open (until Ctrl-C). With --no-serve it exits after the summary.',
  options: {
    customers: { type: 'string', default: '1000' },
    days: { type: 'string', default: '120' },
    seed: { type: 'string', default: '42' },
    port: { type: 'string', default: '8080' },
    'no-serve': { type: 'boolean' },
    keep: { type: 'boolean' },
    'data-dir': { type: 'string', default: './.nextbest/demo' },
  },
  help: {
    customers: 'Synthetic customers',
    days: 'Days of history',
    seed: 'Seed: the same seed gives the same bank',
    port: 'Port for the API (0 picks a free one)',
    'no-serve': 'Exit after ingesting (for tests and CI)',
    keep: 'Keep the previous demo store instead of starting fresh',
    'data-dir': 'Where the demo store lives',
  },
} as const;

/** `nextbest demo` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const customers = numberOption(v, 'customers', 1000);
  const days = numberOption(v, 'days', 120);
  const seed = numberOption(v, 'seed', 42);
  const dataDir = v['data-dir'];
  if (!v.keep) rmSync(dataDir, { recursive: true, force: true });
  const say = (s: string) => process.stdout.write(`${s}\n`);

  const config = loadConfig('nextbest.config.yaml', process.env, { dataDir, log: { level: 'warn' }, server: { port: numberOption(v, 'port', 8080) } });
  const engine = await createEngine(config);
  const started = Date.now();
  say(`nextbest demo: a synthetic bank of ${customers.toLocaleString('en-GB')} customers over ${days} days (seed ${seed}), stored in ${join(dataDir, 'nextbest.db')}`);

  const bank = generateDemoBank({ customers, days, seed });
  const up = await engine.upsertCustomers(bank.customers);
  say(`  customers upserted: ${up.upserted.toLocaleString('en-GB')} (rejected ${up.rejected})`);
  const totals = await ingestAll(engine, bank.events);
  const secs = (Date.now() - started) / 1000;
  say(`  events: ${totals.accepted.toLocaleString('en-GB')} accepted, ${totals.duplicates.toLocaleString('en-GB')} duplicates ignored, ${totals.rejected.toLocaleString('en-GB')} rejected into quarantine (${secs.toFixed(1)} s, ${Math.round(totals.sent / secs).toLocaleString('en-GB')} events/s)`);
  const byType = Object.entries(totals.byType).sort((a, b) => b[1] - a[1]);
  say(`  by type: ${byType.map(([t, n]) => `${t} ${n.toLocaleString('en-GB')}`).join(', ')}`);
  const rejects = await engine.rejects({ limit: 3 });
  if (rejects.length > 0) {
    say('  latest rejects (the data faults the twin injects on purpose):');
    for (const r of rejects) say(`    - ${r.eventId ?? '(no id)'}: ${r.issues.map((i) => `${i.field || '(item)'} ${i.rule}: ${i.message}`).join('; ')}`);
  }
  const sample = bank.customers[0]?.customerId;

  if (v['no-serve']) {
    await engine.close();
    say('done (--no-serve).');
    return 0;
  }
  const app = buildApp(engine);
  const address = await app.listen({ port: config.server.port, host: config.server.host });
  say('');
  say(`API listening on ${address}. Open:`);
  say(`  ${address}/docs                               API reference (OpenAPI at ${address}/openapi.json)`);
  if (sample) say(`  ${address}/v1/customers/${sample}/events      one customer's events`);
  if (sample) say(`  ${address}/v1/customers/${sample}             their record`);
  say(`  ${address}/v1/ingest/rejects                   the quarantine`);
  say(`  ${address}/readyz                              counts`);
  say('Ctrl-C to stop.');
  await untilSignal();
  await app.close();
  await engine.close();
  return 0;
}

async function ingestAll(engine: Engine, events: AsyncIterable<unknown[]> | Iterable<unknown[]>) {
  const totals = { sent: 0, accepted: 0, duplicates: 0, rejected: 0, byType: {} as Record<string, number> };
  const bar = new ProgressBar('  ingesting', undefined, 'events');
  let pending: unknown[] = [];
  const flush = async () => {
    const r = await engine.ingest(pending, { source: 'demo' });
    totals.sent += pending.length;
    totals.accepted += r.accepted;
    totals.duplicates += r.duplicates;
    totals.rejected += r.rejected;
    for (const s of r.stored) totals.byType[s.event.type] = (totals.byType[s.event.type] ?? 0) + 1;
    pending = [];
    bar.update(totals.sent);
  };
  for await (const page of events) {
    for (const e of page) {
      pending.push(e);
      if (pending.length >= 2000) await flush();
    }
  }
  if (pending.length > 0) await flush();
  bar.finish(totals.sent);
  return totals;
}
