import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Bench, type BenchRow } from './harness.js';
import { BankEvent } from '../src/core/events.js';
import { mulberry32 } from '../src/core/random.js';
import { Dispatcher } from '../src/channels/dispatcher.js';
import { WebhookAdapter } from '../src/channels/webhook.js';
import { MemoryOutbox } from '../src/store/memory/outbox.js';
import { SqliteOutbox } from '../src/store/sqlite/outbox.js';
import { openSqlite } from '../src/store/sqlite/db.js';
import { outboxKey, type NewOutboxEntry, type Outbox } from '../src/store/outbox.js';
import { compileTriggers, evaluateTriggers, parseTriggerYaml } from '../src/triggers/index.js';

/**
 * Triggers and delivery: the trigger evaluator's throughput on the ready-made triggers, the
 * dispatcher's throughput to a local webhook receiver (memory and SQLite outboxes), and the
 * latency from an outbox write to the webhook's arrival at a trigger-like rate. The receiver
 * runs in the same process (one event loop for both ends: a pessimistic figure).
 */
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const T0 = Date.parse('2026-03-01T09:00:00Z');

function triggerRows(n: number): BenchRow[] {
  const triggers = compileTriggers(parseTriggerYaml(readFileSync(new URL('../catalogue/triggers.yaml', import.meta.url), 'utf8')));
  const rng = mulberry32(3);
  // 5% of deposits are £50,000 or more; the rest are everyday amounts.
  const events = Array.from({ length: 10_000 }, (_, i) =>
    BankEvent.parse({ eventId: `e${i}`, customerId: `c${i % 997}`, occurredAt: new Date(T0 + i * 1000).toISOString(), schemaVersion: 1, type: 'deposit', payload: { amount: { minor: rng.next() < 0.05 ? 6_000_000 : 20_000, currency: 'GBP' } } }),
  );
  const before = { profile: { logins_trend_30d: 1 }, scores: { financial_stress: 0 } };
  const after = { profile: { logins_trend_30d: 0.9 }, scores: { financial_stress: 0 } };
  let fires = 0;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const event = events[i % events.length]!;
    fires += evaluateTriggers(triggers, { event, at: T0, customer: { preferredChannel: 'push', view: {} }, before, after, fired: [] }).fires.length;
  }
  const ms = performance.now() - start;
  return [
    { case: 'evaluate 3 ready-made triggers', metric: 'events/s', value: (n / ms) * 1000, unit: 'events/s', note: `${((fires / n) * 100).toFixed(1)}% fired` },
    { case: 'evaluate 3 ready-made triggers', metric: 'per event', value: (ms * 1000) / n, unit: 'µs' },
  ];
}

async function receiver(onArrive: (key: string) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      onArrive(req.headers['idempotency-key'] as string);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

const entry = (i: number, at: number): NewOutboxEntry => ({ key: outboxKey(`d${i}`, 'ts_invest_balanced', 'push'), decisionId: `d${i}`, actionId: 'ts_invest_balanced', customerId: `c${i % 997}`, channel: 'push', worklist: '', message: { headline: 'Put your savings to work', body: 'x'.repeat(200) }, createdAt: at });

async function throughput(name: string, box: Outbox, n: number): Promise<BenchRow> {
  let arrived = 0;
  const r = await receiver(() => arrived++);
  await box.enqueue(Array.from({ length: n }, (_, i) => entry(i, Date.now())));
  const d = new Dispatcher({ outbox: box, adapters: [new WebhookAdapter({ channel: 'push', url: r.url, secret: SECRET, clock: Date.now })], clock: Date.now, random: Math.random, id: 'bench', batch: 100 });
  const start = performance.now();
  while ((await box.counts()).delivered < n) await d.pass();
  const ms = performance.now() - start;
  await r.close();
  return { case: `dispatcher → local webhook (${name} outbox, batch 100)`, metric: 'deliveries/s', value: (n / ms) * 1000, unit: '/s', note: `${n} entries, ${arrived} requests` };
}

async function latency(box: Outbox, ratePerSecond: number, seconds: number): Promise<BenchRow[]> {
  const written = new Map<string, number>();
  const lat: number[] = [];
  const r = await receiver((key) => lat.push(performance.now() - written.get(key)!));
  const d = new Dispatcher({ outbox: box, adapters: [new WebhookAdapter({ channel: 'push', url: r.url, secret: SECRET, clock: Date.now })], clock: Date.now, random: Math.random, id: 'bench-lat', batch: 100 });
  d.start(50);
  const n = ratePerSecond * seconds;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    const e = entry(1_000_000 + i, Date.now());
    written.set(e.key, performance.now());
    await box.enqueue([e]);
    d.wake();
  }
  while (lat.length < n && performance.now() - start < (seconds + 10) * 1000) await new Promise((res) => setTimeout(res, 20));
  await d.stop();
  await r.close();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  const c = `outbox write → webhook received (SQLite, ${ratePerSecond}/s)`;
  return [
    { case: c, metric: 'p50', value: q(0.5), unit: 'ms' },
    { case: c, metric: 'p99', value: q(0.99), unit: 'ms', goal: '≤ 20 ms (end to end, issue 13)' },
    { case: c, metric: 'received', value: lat.length, unit: `of ${n}` },
  ];
}

const bench: Bench = {
  name: 'triggers',
  async run({ quick }) {
    const rows: BenchRow[] = [...triggerRows(quick ? 20_000 : 200_000)];
    rows.push(await throughput('memory', new MemoryOutbox(), quick ? 500 : 3000));
    rows.push(await throughput('SQLite', new SqliteOutbox(openSqlite(':memory:')), quick ? 500 : 3000));
    rows.push(...(await latency(new SqliteOutbox(openSqlite(':memory:')), 50, quick ? 2 : 10)));
    return {
      rows,
      notes: [
        'Receiver and dispatcher share one process and event loop; the SQLite outbox is in memory (no fsync), so disk cost is not in these figures.',
        'The latency rows time the delivery half only (outbox write → webhook arrival); the HTTP ingest, features and decision halves are not wired yet.',
      ],
    };
  },
};
export default bench;
