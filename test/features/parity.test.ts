import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { FeatureSet } from '../../src/features/featureSet.js';
import { BANK_PACK } from '../../src/features/bankPack.js';
import { OnlineFeatureStore } from '../../src/features/online.js';
import { buildFeatureMatrix, type AsOfPair } from '../../src/features/offline.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import type { BankEvent } from '../../src/core/events.js';
import { appendItems, generateEvents } from './generate.js';

const DAY = 86_400_000;
/** Online sums run in arrival order, offline in event-time order: equal up to rounding. */
const REL_TOL = 1e-9;

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= REL_TOL * Math.max(1, Math.abs(a), Math.abs(b));
}

async function logOf(events: readonly BankEvent[]): Promise<MemoryEventLog> {
  const log = new MemoryEventLog();
  await log.appendMany(appendItems(events), 0);
  return log;
}

/** Online profile values for each pair, as a flat row-major array. */
async function onlineValues(online: OnlineFeatureStore, fs: FeatureSet, pairs: AsOfPair[]): Promise<Float64Array> {
  const out = new Float64Array(pairs.length * fs.size);
  for (const [i, p] of pairs.entries()) {
    // Read concurrently: the full profile and the decision path's values must agree (they share a scratch row).
    const [prof, lean] = await Promise.all([online.profile(p.customerId, { asOf: p.asOf }), online.values(p.customerId, { asOf: p.asOf })]);
    fs.names.forEach((n, j) => {
      out[i * fs.size + j] = prof.features[n]!.value ?? Number.NaN;
      expect(lean.values[n]).toBe(prof.features[n]!.value);
    });
  }
  return out;
}

async function pairsAt(online: OnlineFeatureStore, ids: string[]): Promise<AsOfPair[]> {
  const pairs: AsOfPair[] = [];
  for (const id of ids) {
    const s = await online.state(id);
    if (!s) continue;
    // At the latest event, later the same day, and after windows have rolled on.
    for (const extra of [0, 0.4 * DAY, 3 * DAY, 45 * DAY, 400 * DAY]) pairs.push({ customerId: id, asOf: s.watermark + extra });
  }
  return pairs;
}

function expectParity(fs: FeatureSet, pairs: AsOfPair[], online: Float64Array, offline: Float64Array): void {
  const bad: string[] = [];
  for (let i = 0; i < pairs.length; i++) {
    for (let j = 0; j < fs.size; j++) {
      const a = online[i * fs.size + j]!;
      const b = offline[i * fs.size + j]!;
      if (!close(a, b)) bad.push(`${pairs[i]!.customerId}@${new Date(pairs[i]!.asOf).toISOString()} ${fs.names[j]}: online ${a} offline ${b}`);
    }
  }
  expect(bad.slice(0, 5)).toEqual([]);
}

describe('online = offline for every feature of the bank pack (parity)', () => {
  const fs = FeatureSet.compile(BANK_PACK);

  it('holds over seeded logs with late and out-of-order events, mid-stream and at the end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.integer({ min: 1, max: 500 }), async (seed, cutFrac, batch) => {
        const { arrival } = generateEvents(seed, { customers: 3, days: 150 });
        const ids = [...new Set(arrival.map((e) => e.customerId))];
        const full = await logOf(arrival);
        const online = new OnlineFeatureStore(fs, new MemoryProfileStore(), { checkpointEvents: 300 });
        const cut = Math.floor(arrival.length * cutFrac);
        const feed = async (from: number, to: number) => {
          for (let i = from; i < to; i += batch) await online.onEvents(await full.readAfter(i, Math.min(batch, to - i)));
        };
        await feed(0, cut);
        const midPairs = await pairsAt(online, ids);
        const mid = await buildFeatureMatrix(await logOf(arrival.slice(0, cut)), fs, midPairs, { batchSize: 97 });
        expectParity(fs, midPairs, await onlineValues(online, fs, midPairs), mid.values);
        await feed(cut, arrival.length);
        const endPairs = await pairsAt(online, ids);
        const end = await buildFeatureMatrix(full, fs, endPairs, { batchSize: 211 });
        expectParity(fs, endPairs, await onlineValues(online, fs, endPairs), end.values);
      }),
      { numRuns: 12, seed: 20260101 },
    );
  });

  it('survives a snapshot and restart: a store rebuilt from checkpoint + replay gives the same profiles', async () => {
    const { arrival } = generateEvents(77, { customers: 3, days: 120 });
    const log = await logOf(arrival);
    const store = new MemoryProfileStore();
    const first = new OnlineFeatureStore(fs, store, { checkpointEvents: 250 });
    const half = Math.floor(arrival.length / 2);
    await first.onEvents(await log.readAfter(0, half));
    await first.checkpoint();
    // Events after the checkpoint were applied in memory but never committed: a crash.
    await first.onEvents(await log.readAfter(half, 100));
    const restarted = new OnlineFeatureStore(fs, store);
    const { replayed } = await restarted.start(log);
    expect(replayed).toBe(arrival.length - half);
    const fresh = new OnlineFeatureStore(fs, new MemoryProfileStore());
    await fresh.start(log);
    const ids = [...new Set(arrival.map((e) => e.customerId))];
    const pairs = await pairsAt(fresh, ids);
    expectParity(fs, pairs, await onlineValues(restarted, fs, pairs), await onlineValues(fresh, fs, pairs));
  });
});
