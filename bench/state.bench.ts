/**
 * Online state and its memory budget: heap per customer held in memory, and a run of many
 * more customers than the budget through the SQLite profile store (what `nextbest serve`
 * does), with the heap measured after forced GCs. The floor is the state's own snapshot size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Bench, BenchRow } from './harness.js';
import { generateDemoBank } from '../src/simulation/index.js';
import type { BankEvent, StoredEvent } from '../src/core/events.js';
import { FeatureSet } from '../src/features/featureSet.js';
import { BANK_PACK } from '../src/features/bankPack.js';
import { OnlineFeatureStore } from '../src/features/online.js';
import { MemoryProfileStore } from '../src/store/memory/profileStore.js';
import { SqliteProfileStore } from '../src/store/sqlite/profileStore.js';
import { openSqlite } from '../src/store/sqlite/db.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** A few days of twin events per customer (about 8 each, as the issue measured), as templates to copy under many ids. */
async function templates(seed: number): Promise<BankEvent[][]> {
  const bank = generateDemoBank({ customers: 500, days: 2, seed });
  const by = new Map<string, BankEvent[]>();
  for await (const day of bank.events) for (const e of day as BankEvent[]) (by.get(e.customerId) ?? by.set(e.customerId, []).get(e.customerId)!).push(e);
  return [...by.values()].filter((es) => es.length > 0);
}

/** Feeds `customers` customers (copies of the templates under new ids) in batches of 1,000 events. */
async function feed(store: OnlineFeatureStore, tpl: BankEvent[][], customers: number, onBatch?: () => void): Promise<number> {
  let seq = 0;
  let batch: StoredEvent[] = [];
  for (let c = 0; c < customers; c++) {
    const customerId = `s${c}`;
    for (const e of tpl[c % tpl.length]!) {
      seq++;
      batch.push({ seq, t: Date.parse(e.occurredAt), recordedAt: 0, event: { ...e, eventId: `${e.eventId}-${c}`, customerId } as BankEvent });
      if (batch.length === 1000) {
        await store.onEvents(batch);
        batch = [];
        onBatch?.();
      }
    }
  }
  if (batch.length) await store.onEvents(batch);
  return seq;
}

const bench: Bench = {
  name: 'state',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const fs = FeatureSet.compile(BANK_PACK);
    const tpl = await templates(3);
    const perCustomer = tpl.reduce((n, t) => n + t.length, 0) / tpl.length;
    notes.push(`Customers are copies of ${tpl.length} digital-twin customers' first two days (${perCustomer.toFixed(1)} events each on average), bank pack of ${fs.size} features; heap read after two forced GCs.`);

    // 1. Resident cost: every customer held (a budget larger than the run).
    const heldN = quick ? 20_000 : 100_000;
    const base = heap();
    const held = new OnlineFeatureStore(fs, new MemoryProfileStore(), { checkpointEvents: 10_000_000, maxCustomersInMemory: heldN + 1 });
    await held.open();
    await feed(held, tpl, heldN);
    const snapshotBytes = (await Promise.all(Array.from({ length: 1000 }, (_, i) => held.state(`s${i}`)))).reduce((n, s) => n + fs.encode(s!).byteLength, 0) / 1000;
    const perHeld = (heap() - base) / heldN;
    rows.push({ case: `${heldN.toLocaleString('en-GB')} customers held in memory`, metric: 'heap per customer', value: perHeld, unit: 'bytes', goal: '≤ 2,048 bytes (issue 21)', peer: { name: 'its snapshot (encoded state)', value: snapshotBytes }, ratio: perHeld / snapshotBytes, note: 'heap growth / customers; the peer is the same state encoded as the profile store keeps it' });
    await held.close();

    // 2. Many more customers than the budget, through the SQLite profile store.
    const budget = quick ? 10_000 : 50_000;
    const total = quick ? 100_000 : 1_000_000;
    const dir = mkdtempSync(join(tmpdir(), 'nb-state-'));
    try {
      const db = openSqlite(join(dir, 'profiles.db'));
      const store = new OnlineFeatureStore(fs, new SqliteProfileStore(db), { maxCustomersInMemory: budget });
      await store.open();
      const h0 = heap();
      let peak = 0;
      let k = 0;
      const t0 = performance.now();
      const events = await feed(store, tpl, total, () => {
        if (++k % 200 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - h0);
      });
      await store.checkpoint();
      const secs = (performance.now() - t0) / 1000;
      const after = heap() - h0;
      rows.push({ case: `${total.toLocaleString('en-GB')} customers, budget ${budget.toLocaleString('en-GB')} (SQLite profile store)`, metric: 'heap held after the run', value: after / 2 ** 20, unit: 'MiB', note: `${store.memory.customersInMemory.toLocaleString('en-GB')} customers in memory, ${store.memory.evicted.toLocaleString('en-GB')} states dropped to the store` });
      rows.push({ case: `${total.toLocaleString('en-GB')} customers, budget ${budget.toLocaleString('en-GB')} (SQLite profile store)`, metric: 'peak heap growth (sampled every 200 batches, no forced GC)', value: peak / 2 ** 20, unit: 'MiB' });
      rows.push({ case: `${total.toLocaleString('en-GB')} customers, budget ${budget.toLocaleString('en-GB')} (SQLite profile store)`, metric: 'online update throughput', value: events / secs, unit: 'events/s', note: 'evictions commit to SQLite on the consumer path; compare the unbounded in-memory rate in features.md' });
      const unboundedMiB = (perHeld * total) / 2 ** 20;
      notes.push(`Without the budget the same ${total.toLocaleString('en-GB')} customers would need about ${Math.round(unboundedMiB).toLocaleString('en-GB')} MiB of heap at the measured ${Math.round(perHeld).toLocaleString('en-GB')} bytes each (EXTRAPOLATED from row 1).`);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return { rows, notes };
  },
};
export default bench;
