import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { FeatureSet } from '../../src/features/featureSet.js';
import { BANK_PACK } from '../../src/features/bankPack.js';
import { OnlineFeatureStore } from '../../src/features/online.js';
import { buildFeatureMatrix, type AsOfPair } from '../../src/features/offline.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import { generateDemoBank } from '../../src/simulation/index.js';
import { mulberry32 } from '../../src/core/random.js';
import type { BankEvent } from '../../src/core/events.js';
import { appendItems } from './generate.js';

const DAY = 86_400_000;

/** Twin events, with a seeded share held back and delivered up to 30 days late. */
async function twinArrivals(seed: number, lateShare: number): Promise<BankEvent[]> {
  const bank = generateDemoBank({ customers: 12, days: 120, seed });
  const rng = mulberry32(seed ^ 0x5eed);
  const keyed: { e: BankEvent; at: number }[] = [];
  // Without fault injection every twin event is a valid BankEvent.
  for await (const day of bank.events) for (const e of day as BankEvent[]) keyed.push({ e, at: Date.parse(e.occurredAt) + (rng.next() < lateShare ? rng.next() * 30 * DAY : 0) });
  keyed.sort((a, b) => a.at - b.at);
  return keyed.map((k) => k.e);
}

describe('parity on digital-twin logs: online at t = offline as of t, every feature', () => {
  const fs = FeatureSet.compile(BANK_PACK);

  it('holds for several twin seeds with late deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0, max: 0.3, noNaN: true }), async (seed, lateShare) => {
        const arrival = await twinArrivals(seed, lateShare);
        const log = new MemoryEventLog();
        await log.appendMany(appendItems(arrival), 0);
        const online = new OnlineFeatureStore(fs, new MemoryProfileStore(), { checkpointEvents: 2000 });
        await online.start(log);
        const ids = [...new Set(arrival.map((e) => e.customerId))].filter((id) => id !== '*');
        const pairs: AsOfPair[] = [];
        for (const id of ids) {
          const s = await online.state(id);
          if (s) for (const extra of [0, 0.5 * DAY, 20 * DAY, 100 * DAY]) pairs.push({ customerId: id, asOf: s.watermark + extra });
        }
        expect(pairs.length).toBeGreaterThan(0);
        const offline = await buildFeatureMatrix(log, fs, pairs, { batchSize: 1000 });
        const bad: string[] = [];
        for (const [i, p] of pairs.entries()) {
          const prof = await online.profile(p.customerId, { asOf: p.asOf });
          fs.names.forEach((name, j) => {
            const a = prof.features[name]!.value ?? Number.NaN;
            const b = offline.values[i * fs.size + j]!;
            const same = Number.isNaN(a) || Number.isNaN(b) ? Number.isNaN(a) && Number.isNaN(b) : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
            if (!same) bad.push(`${p.customerId} ${name}: online ${a} offline ${b}`);
          });
        }
        expect(bad.slice(0, 5)).toEqual([]);
      }),
      { numRuns: 4, seed: 42 },
    );
  });
});
