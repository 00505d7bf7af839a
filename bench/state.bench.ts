/**
 * Online state and its memory budget: bytes per customer held in memory (heap + array
 * buffers, after forced GCs) and the online update rate, for the packed store at 100k and 1M
 * customers beside the object store it replaced (test/features/reference/legacyOnline.ts) in
 * the same run; a run of many more customers than the budget through the SQLite profile
 * store; and, with `-- --state-engine=N`, N distinct customers through a server-like engine
 * in a child process with a 4 GiB heap (bench/stateEngine.ts), peak RSS and whether it held.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Bench, BenchRow } from './harness.js';
import { generateDemoBank } from '../src/simulation/index.js';
import type { BankEvent, StoredEvent } from '../src/core/events.js';
import { FeatureSet } from '../src/features/featureSet.js';
import { BANK_PACK } from '../src/features/bankPack.js';
import { OnlineFeatureStore } from '../src/features/online.js';
import { SqliteProfileStore } from '../src/store/sqlite/profileStore.js';
import type { ProfileStore } from '../src/store/profileStore.js';
import { LegacyOnlineFeatureStore } from '../test/features/reference/legacyOnline.js';
import { openSqlite } from '../src/store/sqlite/db.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
/** What a state costs wherever it lives: the JS heap plus array buffers (the packed arenas are the latter). */
const resident = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const cpuSecs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const load = () => loadavg().map((x) => x.toFixed(1)).join(' / ');

/** Commits go nowhere: what is measured is what the online store itself holds. */
class NullProfileStore implements ProfileStore {
  async getMany(ids: readonly string[]) {
    return ids.map(() => undefined);
  }
  async commit() {}
  async checkpoint() {
    return undefined;
  }
  async *customerIds() {}
  async clear() {}
  async count() {
    return 0;
  }
  async close() {}
}

type Online = Pick<OnlineFeatureStore, 'onEvents' | 'open'>;

/** A few days of twin events per customer (about 8 each, as the issue measured), as templates to copy under many ids. */
async function templates(seed: number, customers = 500, days = 2): Promise<BankEvent[][]> {
  const bank = generateDemoBank({ customers, days, seed });
  const by = new Map<string, BankEvent[]>();
  for await (const day of bank.events) for (const e of day as BankEvent[]) (by.get(e.customerId) ?? by.set(e.customerId, []).get(e.customerId)!).push(e);
  return [...by.values()].filter((es) => es.length > 0);
}

/**
 * Feeds `customers` customers (copies of the templates under new ids) in batches of 1,000
 * events, interleaved as a bank's stream is: customers in blocks of 10,000, each block's
 * events round-robin (every customer's first event, then every second one, ...), so a batch
 * touches up to 1,000 different customers, more than the decoded cache holds.
 */
async function feed(store: Online, tpl: BankEvent[][], customers: number, onBatch?: () => void): Promise<number> {
  let seq = 0;
  let batch: StoredEvent[] = [];
  const BLOCK = 10_000;
  for (let b = 0; b < customers; b += BLOCK) {
    const end = Math.min(customers, b + BLOCK);
    let longest = 0;
    for (let c = b; c < end; c++) longest = Math.max(longest, tpl[c % tpl.length]!.length);
    for (let k = 0; k < longest; k++) {
      for (let c = b; c < end; c++) {
        const e = tpl[c % tpl.length]![k];
        if (!e) continue;
        seq++;
        batch.push({ seq, t: Date.parse(e.occurredAt), recordedAt: 0, event: { ...e, eventId: `${e.eventId}-${c}`, customerId: `s${c}` } as BankEvent });
        if (batch.length === 1000) {
          await store.onEvents(batch);
          batch = [];
          onBatch?.();
        }
      }
    }
  }
  if (batch.length) await store.onEvents(batch);
  return seq;
}

/** Customers held (budget above the run), commits discarded: resident bytes per customer and the update rate. */
async function held(make: () => Online & { close(): Promise<void> }, tpl: BankEvent[][], n: number): Promise<{ perCustomer: number; eventsPerSec: number; cpuUsPerEvent: number; secs: number; load: string }> {
  const before = resident();
  const store = make();
  await store.open();
  const c0 = cpuSecs();
  const t0 = performance.now();
  const events = await feed(store, tpl, n);
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSecs() - c0;
  const perCustomer = (resident() - before) / n;
  const l = load();
  await store.close();
  return { perCustomer, eventsPerSec: events / secs, cpuUsPerEvent: (cpu * 1e6) / events, secs, load: l };
}

const bench: Bench = {
  name: 'state',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const fs = FeatureSet.compile(BANK_PACK);
    const tpl = await templates(3);
    const perCustomer = tpl.reduce((n, t) => n + t.length, 0) / tpl.length;
    notes.push(`Customers are copies of ${tpl.length} digital-twin customers' first two days (${perCustomer.toFixed(1)} events each on average), bank pack of ${fs.size} features, fed in batches of 1,000 events interleaved across customers (blocks of 10,000 customers, round-robin), packed store with its default decoded cache of 2,048 customers; resident = heapUsed + arrayBuffers after two forced GCs (the packed arenas are array buffers, outside the JS heap). CPU time is process.cpuUsage over the feed; the machine is shared, so the load average (1/5/15 min) is given beside each figure.`);

    // The floor: the same state as its snapshot (what the profile store keeps).
    const probe = new OnlineFeatureStore(fs, new NullProfileStore(), { maxCustomersInMemory: 2_000 });
    await probe.open();
    await feed(probe, tpl, 1000);
    const snapshotBytes = probe.memory.stateBytes / probe.memory.customersInMemory;

    // 1. The object store it replaced, then the packed store, at the same size; then the packed at 10×.
    const sizes = quick ? [20_000, 100_000] : [100_000, 1_000_000];
    const legacy = await held(() => new LegacyOnlineFeatureStore(fs, new NullProfileStore(), { maxCustomersInMemory: sizes[0]! + 1 }), tpl, sizes[0]!);
    rows.push({ case: `${sizes[0]!.toLocaleString('en-GB')} customers held, object store (before packing)`, metric: 'resident bytes per customer', value: legacy.perCustomer, unit: 'bytes', peer: { name: 'its snapshot', value: snapshotBytes }, ratio: legacy.perCustomer / snapshotBytes, note: `load ${legacy.load}` });
    rows.push({ case: `${sizes[0]!.toLocaleString('en-GB')} customers held, object store (before packing)`, metric: 'online updates', value: legacy.eventsPerSec, unit: 'events/s', note: `${legacy.cpuUsPerEvent.toFixed(1)} µs CPU per event; load ${legacy.load}` });
    for (const n of sizes) {
      const packed = await held(() => new OnlineFeatureStore(fs, new NullProfileStore(), { maxCustomersInMemory: n + 1 }), tpl, n);
      const c = `${n.toLocaleString('en-GB')} customers held, packed`;
      rows.push({ case: c, metric: 'resident bytes per customer', value: packed.perCustomer, unit: 'bytes', goal: '≤ 2,048 bytes (issue 21)', peer: { name: 'its snapshot', value: snapshotBytes }, ratio: packed.perCustomer / snapshotBytes, note: `object store: ${Math.round(legacy.perCustomer).toLocaleString('en-GB')} bytes; load ${packed.load}` });
      rows.push({ case: c, metric: 'online updates', value: packed.eventsPerSec, unit: 'events/s', peer: { name: `object store, ${sizes[0]!.toLocaleString('en-GB')} customers`, value: legacy.eventsPerSec }, ratio: legacy.cpuUsPerEvent / packed.cpuUsPerEvent, note: `${packed.cpuUsPerEvent.toFixed(1)} µs CPU per event (ratio: object-store CPU / packed CPU per event); load ${packed.load}` });
    }

    // 1b. Long histories: two months of twin events per customer, where day buckets make states larger.
    const longTpl = await templates(4, 100, 60);
    const longEvents = longTpl.reduce((n, t) => n + t.length, 0) / longTpl.length;
    const longN = quick ? 1_000 : 5_000;
    const longProbe = new OnlineFeatureStore(fs, new NullProfileStore());
    await longProbe.open();
    await feed(longProbe, longTpl, longTpl.length);
    const longSnapshot = longProbe.memory.stateBytes / longProbe.memory.customersInMemory;
    const longLegacy = await held(() => new LegacyOnlineFeatureStore(fs, new NullProfileStore(), { maxCustomersInMemory: longN + 1 }), longTpl, longN);
    const longPacked = await held(() => new OnlineFeatureStore(fs, new NullProfileStore(), { maxCustomersInMemory: longN + 1 }), longTpl, longN);
    const lc = `${longN.toLocaleString('en-GB')} customers held with 60 days of history (${longEvents.toFixed(0)} events each)`;
    rows.push({ case: `${lc}, object store`, metric: 'resident bytes per customer', value: longLegacy.perCustomer, unit: 'bytes', peer: { name: 'its snapshot', value: longSnapshot }, ratio: longLegacy.perCustomer / longSnapshot, note: `${longLegacy.cpuUsPerEvent.toFixed(1)} µs CPU per event; load ${longLegacy.load}` });
    rows.push({ case: `${lc}, packed, decoded cache 2,048 (the default; at this size it holds 40% of them)`, metric: 'resident bytes per customer', value: longPacked.perCustomer, unit: 'bytes', goal: '≤ 2,048 bytes (issue 21)', peer: { name: 'its snapshot', value: longSnapshot }, ratio: longPacked.perCustomer / longSnapshot, note: `${longPacked.cpuUsPerEvent.toFixed(1)} µs CPU per event; load ${longPacked.load}` });

    // 2. Many more customers than the budget, through the SQLite profile store.
    const budget = quick ? 10_000 : 20_000;
    const total = quick ? 50_000 : 200_000;
    const dir = mkdtempSync(join(tmpdir(), 'nb-state-'));
    try {
      const db = openSqlite(join(dir, 'profiles.db'));
      const store = new OnlineFeatureStore(fs, new SqliteProfileStore(db), { maxCustomersInMemory: budget });
      await store.open();
      const h0 = heap();
      let peak = 0;
      let k = 0;
      const c0 = cpuSecs();
      const t0 = performance.now();
      const events = await feed(store, tpl, total, () => {
        if (++k % 50 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - h0);
      });
      await store.checkpoint();
      const secs = (performance.now() - t0) / 1000;
      const cpu = cpuSecs() - c0;
      const after = heap() - h0;
      const c = `${total.toLocaleString('en-GB')} customers, budget ${budget.toLocaleString('en-GB')} (SQLite profile store)`;
      rows.push({ case: c, metric: 'heap held after the run', value: after / 2 ** 20, unit: 'MiB', note: `${store.memory.customersInMemory.toLocaleString('en-GB')} customers in memory (${(store.memory.arenaBytes / 2 ** 20).toFixed(1)} MiB of arenas outside the heap), ${store.memory.evicted.toLocaleString('en-GB')} states dropped to the store` });
      rows.push({ case: c, metric: 'peak heap growth (sampled every 50 batches, no forced GC)', value: peak / 2 ** 20, unit: 'MiB' });
      rows.push({ case: c, metric: 'online update throughput', value: events / secs, unit: 'events/s', note: `${((cpu * 1e6) / events).toFixed(1)} µs CPU per event; evictions commit to SQLite on the consumer path; load ${load()}` });
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // 3. The issue-14 run, on request: N distinct customers through a server-like engine, 4 GiB heap.
    const arg = process.argv.find((a) => a.startsWith('--state-engine='));
    if (arg) {
      const n = Number(arg.split('=')[1]);
      const budgetArg = process.argv.find((a) => a.startsWith('--state-budget='))?.split('=')[1];
      const r = spawnSync(process.execPath, ['--max-old-space-size=4096', '--import', 'tsx', 'bench/stateEngine.ts', String(n), ...(budgetArg ? [budgetArg] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
      const last = r.stdout?.trim().split('\n').pop() ?? '';
      const out = (last.startsWith('{') ? JSON.parse(last) : { ingested: 0, secs: 1, cpuSecs: 0, peakRss: 0, peakHeap: 0, heapLimit: 0, peakInMemory: 0, error: `child exited ${r.status} ${r.signal ?? ''}`, loadavg: loadavg() }) as { ingested: number; secs: number; cpuSecs: number; peakRss: number; peakHeap: number; heapLimit: number; peakInMemory: number; memory?: { maxCustomersInMemory: number; evicted: number }; error?: string; loadavg: number[] };
      const c = `${n.toLocaleString('en-GB')} distinct customers, 1 event each, through the engine (SQLite data dir, every consumer), --max-old-space-size=4096, budget ${out.memory?.maxCustomersInMemory.toLocaleString('en-GB') ?? budgetArg ?? 'default'}`;
      const heldUp = r.status === 0 && !out.error && out.ingested === n && out.peakInMemory <= (out.memory?.maxCustomersInMemory ?? Infinity) * 1.01;
      rows.push({ case: c, metric: 'peak RSS', value: out.peakRss / 2 ** 20, unit: 'MiB', note: `${heldUp ? 'held' : `DID NOT HOLD (exit ${r.status}, ${out.error ?? 'no error reported'})`}: ${out.ingested?.toLocaleString('en-GB')} events acknowledged and applied, ${out.peakInMemory?.toLocaleString('en-GB')} customers in memory at most, ${out.memory?.evicted.toLocaleString('en-GB')} dropped to the store` });
      rows.push({ case: c, metric: 'peak heap used', value: out.peakHeap / 2 ** 20, unit: 'MiB', note: `heap limit ${Math.round(out.heapLimit / 2 ** 20).toLocaleString('en-GB')} MiB` });
      rows.push({ case: c, metric: 'ingest until applied', value: out.ingested / out.secs, unit: 'events/s', note: `${((out.cpuSecs * 1e6) / out.ingested).toFixed(1)} µs CPU per event (whole engine); ${Math.round(out.secs)} s; load at end ${out.loadavg?.map((x) => x.toFixed(1)).join(' / ')}` });
    }
    for (const r of rows) if (r.note) notes.push(`${r.case}, ${r.metric}: ${r.note}.`);
    return { rows, notes };
  },
};
export default bench;
