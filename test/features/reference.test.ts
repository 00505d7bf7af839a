import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { FeatureSet } from '../../src/features/featureSet.js';
import { OnlineFeatureStore } from '../../src/features/online.js';
import { buildFeatureMatrix } from '../../src/features/offline.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import type { BankEvent } from '../../src/core/events.js';
import { appendItems } from './generate.js';

/** Written by test/fixtures/features/generate_reference.py (Python datetime + numpy), not by our code. */
const ref = JSON.parse(readFileSync(new URL('../fixtures/features/reference.json', import.meta.url), 'utf8')) as {
  events: { eventId: string; customerId: string; occurredAt: string; minor: number; mcc: string }[];
  rows: { customerId: string; asOf: string; values: Record<string, number | null> }[];
};

const spend = { events: ['card_payment'], value: 'payload.amount.minor', scale: -0.01 };
const fs = FeatureSet.compile([
  { name: 'n7', description: 'd', events: ['card_payment'], aggregation: 'count', window: '7d' },
  { name: 'n30', description: 'd', events: ['card_payment'], aggregation: 'count', window: '30d' },
  { name: 'sum30', description: 'd', ...spend, aggregation: 'sum', window: '30d' },
  { name: 'mean30', description: 'd', ...spend, aggregation: 'mean', window: '30d' },
  { name: 'min90', description: 'd', ...spend, aggregation: 'min', window: '90d' },
  { name: 'max90', description: 'd', ...spend, aggregation: 'max', window: '90d' },
  { name: 'sd90', description: 'd', ...spend, aggregation: 'stddev', window: '90d' },
  { name: 'mcc30', description: 'd', events: ['card_payment'], value: 'payload.merchantCategoryCode', aggregation: 'distinct_count', window: '30d' },
  { name: 'days30', description: 'd', events: ['card_payment'], aggregation: 'active_days', window: '30d' },
  { name: 'trend30', description: 'd', ...spend, aggregation: 'trend_ratio', window: '30d' },
  { name: 'slope90', description: 'd', ...spend, aggregation: 'weekly_slope', window: '90d' },
  { name: 'ewm10', description: 'd', ...spend, aggregation: 'ewm', window: 'lifetime', halfLifeDays: 10 },
  { name: 'since', description: 'd', events: ['card_payment'], aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'first', description: 'd', events: ['card_payment'], aggregation: 'first_seen', window: 'lifetime' },
  { name: 'last7', description: 'd', ...spend, aggregation: 'last', window: '7d' },
]);

const events: BankEvent[] = ref.events.map((e) => ({
  eventId: e.eventId,
  customerId: e.customerId,
  occurredAt: e.occurredAt,
  schemaVersion: 1,
  type: 'card_payment',
  payload: { amount: { minor: e.minor, currency: 'GBP' }, merchantCategoryCode: e.mcc },
}));

/** numpy and we sum in different orders: 1e-9 relative, 1e-9 absolute for values near 0. */
function expectClose(ours: number, theirs: number | null, what: string): void {
  if (theirs === null) return expect(Number.isNaN(ours), `${what}: ours ${ours}, reference none`).toBe(true);
  expect(Math.abs(ours - theirs) <= 1e-9 * Math.max(1, Math.abs(theirs)), `${what}: ours ${ours}, reference ${theirs}`).toBe(true);
}

describe('window semantics against an independent Python/numpy reference', () => {
  it('offline rows match the reference at every as-of time, the shuffled arrival order notwithstanding', async () => {
    const log = new MemoryEventLog();
    await log.appendMany(appendItems(events), 0);
    const pairs = ref.rows.map((r) => ({ customerId: r.customerId, asOf: Date.parse(r.asOf) }));
    const m = await buildFeatureMatrix(log, fs, pairs);
    ref.rows.forEach((r, i) => {
      for (const [name, v] of Object.entries(r.values)) expectClose(m.values[i * fs.size + fs.names.indexOf(name)]!, v, `${r.customerId}@${r.asOf} ${name}`);
    });
  });

  it('online profiles match the reference at each as-of time, fed the events that had happened by then', async () => {
    const stored = events.map((e, i) => ({ seq: i + 1, t: Date.parse(e.occurredAt), recordedAt: 0, event: e }));
    for (const r of ref.rows) {
      const asOf = Date.parse(r.asOf);
      const online = new OnlineFeatureStore(fs, new MemoryProfileStore());
      await online.onEvents(stored.filter((e) => e.t <= asOf));
      const p = await online.profile(r.customerId, { asOf });
      for (const [name, v] of Object.entries(r.values)) expectClose(p.features[name]!.value ?? Number.NaN, v, `${r.customerId}@${r.asOf} ${name}`);
    }
  });
});
