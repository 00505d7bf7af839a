/**
 * The issue-14 memory run: many distinct customers through a server-like engine (SQLite data
 * dir, every consumer running, `engine.ingest` in batches of 1,000 as the HTTP route calls it),
 * with the online store's memory budget. Samples RSS and heap every 250 ms and prints one JSON
 * line. Run by `npm run bench -- state -- --state-engine=5000000` in a child process with
 * `--max-old-space-size=4096`, or alone:
 *   node --max-old-space-size=4096 --import tsx bench/stateEngine.ts 5000000 [budget] [eventsPerCustomer]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { createEngine } from '../src/engine.js';

const customers = Number(process.argv[2] ?? 5_000_000);
const budget = process.argv[3] ? Number(process.argv[3]) : undefined;
const perCustomer = Number(process.argv[4] ?? 1);
const T0 = Date.UTC(2026, 10, 1);
const clock = { now: () => Date.UTC(2026, 11, 1) };

/** Event k of customer c: card payments, logins and a balance, spread over the month before the clock. */
function event(c: number, k: number): Record<string, unknown> {
  const base = { eventId: `st-${c}-${k}`, customerId: `m${c}`, occurredAt: new Date(T0 + ((c * 7919 + k * 104_729) % (29 * 86_400_000))).toISOString(), schemaVersion: 1 };
  const kind = (c + k) % 4;
  if (kind === 0) return { ...base, type: 'login', payload: { channel: c % 3 ? 'mobile_app' : 'web' } };
  if (kind === 1) return { ...base, type: 'balance_snapshot', payload: { accountId: `a${c}`, accountType: 'current', balance: { minor: 100_000 + (c % 777_777), currency: 'GBP' } } };
  return { ...base, type: 'card_payment', payload: { amount: { minor: -(100 + ((c * 31 + k) % 9000)), currency: 'GBP' }, merchantCategoryCode: ['5411', '5812', '4511', '5541'][c % 4], merchantCountry: 'GB' } };
}

const dir = mkdtempSync(join(tmpdir(), 'nb-state-engine-'));
let peakRss = 0;
let peakHeap = 0;
let peakInMemory = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
const timer = setInterval(sample, 250);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let ingested = 0;
let error: string | undefined;
let memory: unknown;
try {
  const engine = await createEngine({ dataDir: join(dir, 'data'), log: { level: 'silent' }, ...(budget ? { features: { maxCustomersInMemory: budget } } : {}) }, { clock });
  // Customers in interleaved order (each one's events spread over the run), as a bank's stream is.
  const total = customers * perCustomer;
  const batch: Record<string, unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const c = i % customers;
    batch.push(event(c, Math.floor(i / customers)));
    if (batch.length === 1000 || i === total - 1) {
      const r = await engine.ingest(batch);
      if (r.accepted !== batch.length) throw new Error(`rejected: ${JSON.stringify(r).slice(0, 300)}`);
      ingested += batch.length;
      batch.length = 0;
      if (ingested % 100_000 === 0) {
        peakInMemory = Math.max(peakInMemory, engine.features.memory.customersInMemory);
        if (ingested % 1_000_000 === 0) process.stderr.write(`  ${ingested.toLocaleString('en-GB')} events, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB, ${Math.round((performance.now() - t0) / 1000)} s\n`);
      }
    }
  }
  await engine.consumers.caughtUp(600_000);
  sample();
  memory = engine.features.memory;
  peakInMemory = Math.max(peakInMemory, engine.features.memory.customersInMemory);
  await engine.close();
} catch (e) {
  error = e instanceof Error ? e.message : String(e);
} finally {
  clearInterval(timer);
  rmSync(dir, { recursive: true, force: true });
}
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({ customers, perCustomer, budget: budget ?? 'default', ingested, secs, cpuSecs: (cpu.user + cpu.system) / 1e6, peakRss, peakHeap, heapLimit: getHeapStatistics().heap_size_limit, peakInMemory, memory, error, loadavg: loadavg() })}\n`,
);
