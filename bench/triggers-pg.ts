/**
 * The trigger consumer on PostgreSQL: an engine on `store: postgres` with the triggers paused,
 * N events for C customers ingested and applied by every other consumer, then the triggers
 * resumed and timed until they reach the head of the log. Every statement sent to PostgreSQL
 * in that window is counted (pg.Client.prototype.query wrapped, as decide-steps.ts does), and
 * those on the trigger tables apart. `--absence` adds an absence trigger on logins to the
 * ready-made three, so the last-seen times are written too.
 * `npx tsx bench/triggers-pg.ts [EVENTS] [CUSTOMERS] [--absence]` (PostgreSQL on localhost)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { mulberry32 } from '../src/core/random.js';
import { Engine } from '../src/engine.js';
import { TriggerConsumer } from '../src/triggers/consumer.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(args[0] ?? 20_000);
const CUSTOMERS = Number(args[1] ?? 5_000);
const ABSENCE = process.argv.includes('--absence');
const PG = process.env.NEXTBEST_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUN = `pgperf_trig_${process.pid}`;

let counting = false;
let statements = 0;
const byTable = new Map<string, number>();
const clientQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (counting) {
    statements++;
    const sql = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '');
    const table = /\b(trigger_\w+|consumer_checkpoints|profiles?\w*|customers)\b/.exec(sql)?.[1] ?? (/^\s*(BEGIN|COMMIT|ROLLBACK)/i.exec(sql)?.[1]?.toUpperCase() ?? 'other');
    byTable.set(table, (byTable.get(table) ?? 0) + 1);
  }
  return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof clientQuery;

// The batches the trigger consumer applies in the window.
let batches = 0;
const apply = TriggerConsumer.prototype.apply;
TriggerConsumer.prototype.apply = function (this: TriggerConsumer, events) {
  if (counting && events.length > 0) batches++;
  return apply.call(this, events);
};

const dir = mkdtempSync(join(tmpdir(), 'pgperf-trig-'));
let triggersFile: string | undefined;
if (ABSENCE) {
  triggersFile = join(dir, 'triggers.yaml');
  const shipped = readFileSync(new URL('../catalogue/triggers.yaml', import.meta.url), 'utf8');
  writeFileSync(triggersFile, `${shipped}\n  - id: no_login_bench\n    kind: absence\n    events: [login, card_payment]\n    days: 45\n    consider: { families: [retention] }\n    oncePer: 30d\n`);
}
const engine = await Engine.create(
  { store: `${PG}${PG.includes('?') ? '&' : '?'}schema=${RUN}`, dataDir: dir, log: { level: 'warn' }, triggers: { ...(triggersFile ? { file: triggersFile } : {}), sweepSeconds: 0 } } as never,
  { pauseConsumers: ['triggers'] },
);
const log = (engine as unknown as { parts: { log: { forHead(names: readonly string[], timeoutMs: number): Promise<void> } } }).parts.log;
try {
  for (let i = 0; i < CUSTOMERS; i += 1000) {
    await engine.upsertCustomers(Array.from({ length: Math.min(1000, CUSTOMERS - i) }, (_, k) => ({ customerId: `b${i + k}`, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
  }
  const rng = mulberry32(7);
  const now = Date.now();
  // Everyday events (nothing an event trigger matches): the thresholds check every customer's last event of a batch.
  for (let i = 0; i < N; i += 1000) {
    const items = Array.from({ length: Math.min(1000, N - i) }, (_, k) => {
      const j = i + k;
      const customerId = `b${Math.floor(rng.next() * CUSTOMERS)}`;
      const base = { eventId: `bench-${j}`, customerId, occurredAt: new Date(now - (N - j) * 10).toISOString(), schemaVersion: 1 };
      const r = rng.next();
      if (r < 0.4) return { ...base, type: 'card_payment', payload: { amount: { minor: -Math.round(500 + rng.next() * 5000), currency: 'GBP' }, merchantCategoryCode: '5411', merchantCountry: 'GB', cardType: 'debit' } };
      if (r < 0.7) return { ...base, type: 'login', payload: { channel: 'mobile_app' } };
      return { ...base, type: 'deposit', payload: { amount: { minor: Math.round(1000 + rng.next() * 100_000), currency: 'GBP' } } };
    });
    const report = await engine.ingest(items);
    if (report.rejected > 0) throw new Error(`bench events rejected: ${JSON.stringify(report).slice(0, 400)}`);
  }
  const others = engine.consumers.status().map((s) => s.name).filter((n) => n !== 'triggers');
  await log.forHead(others, 600_000);
  counting = true;
  const start = performance.now();
  engine.consumers.resume(['triggers']);
  await log.forHead(['triggers'], 600_000);
  const ms = performance.now() - start;
  counting = false;
  const tables = [...byTable].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(', ');
  process.stdout.write(
    `triggers on PostgreSQL${ABSENCE ? ' (+ absence on login, card_payment)' : ''}: ${N} events, ${CUSTOMERS} customers, ${batches} batches: ` +
      `${((ms * 1000) / N).toFixed(1)} µs/event, ${statements} statements (${(statements / Math.max(1, batches)).toFixed(0)} per batch, ${(statements / N).toFixed(2)} per event); ` +
      `by table: ${tables}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
  );
} finally {
  await engine.close();
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${RUN} CASCADE`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
