import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { FeatureSet } from '../../src/features/featureSet.js';
import { buildFeatureMatrix } from '../../src/features/offline.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import type { AggregateFeatureDef } from '../../src/features/definition.js';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import { appendItems } from './generate.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const pay = (i: number, at: number, minor: number, mcc: string): BankEvent =>
  ({ eventId: `p${i}`, customerId: 'c1', occurredAt: new Date(at).toISOString(), schemaVersion: 1, type: 'card_payment', payload: { amount: { minor, currency: 'GBP' }, merchantCategoryCode: mcc } }) as BankEvent;
const stored = (e: BankEvent, seq: number): StoredEvent => ({ seq, t: Date.parse(e.occurredAt), recordedAt: 0, event: e });

const base = { events: ['card_payment'], value: 'payload.amount.minor', scale: -0.01 };
const defs: AggregateFeatureDef[] = [
  { name: 'n7', description: 'd', events: ['card_payment'], aggregation: 'count', window: '7d' },
  { name: 'n_life', description: 'd', events: ['card_payment'], aggregation: 'count', window: 'lifetime' },
  { name: 'sum30', description: 'd', ...base, aggregation: 'sum', window: '30d' },
  { name: 'mean30', description: 'd', ...base, aggregation: 'mean', window: '30d' },
  { name: 'min30', description: 'd', ...base, aggregation: 'min', window: '30d' },
  { name: 'max_life', description: 'd', ...base, aggregation: 'max', window: 'lifetime' },
  { name: 'sd90', description: 'd', ...base, aggregation: 'stddev', window: '90d' },
  { name: 'last7', description: 'd', ...base, aggregation: 'last', window: '7d' },
  { name: 'first', description: 'd', ...base, aggregation: 'first_seen', window: 'lifetime' },
  { name: 'since', description: 'd', ...base, aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'mcc30', description: 'd', events: ['card_payment'], value: 'payload.merchantCategoryCode', aggregation: 'distinct_count', window: '30d' },
  { name: 'days30', description: 'd', events: ['card_payment'], aggregation: 'active_days', window: '30d' },
  { name: 'trend30', description: 'd', ...base, aggregation: 'trend_ratio', window: '30d' },
  { name: 'slope30', description: 'd', ...base, aggregation: 'weekly_slope', window: '30d' },
  { name: 'ewm10', description: 'd', ...base, aggregation: 'ewm', window: 'lifetime', halfLifeDays: 10 },
  { name: 'grocery30', description: 'd', ...base, where: 'event.payload.merchantCategoryCode == "5411"', aggregation: 'sum', window: '30d' },
];
const fs = FeatureSet.compile(defs);
const col = (name: string) => fs.names.indexOf(name);

interface Ev { t: number; seq: number; x: number; key: string }

/** A deliberately naive reference: filters the raw events for every read. */
function reference(evs: Ev[], asOf: number): Record<string, number> {
  const D = Math.floor(asOf / DAY);
  const seen = evs.filter((e) => e.t <= asOf);
  const inW = (W: number, shift = 0) => seen.filter((e) => Math.floor(e.t / DAY) > D - W - shift && Math.floor(e.t / DAY) <= D - shift);
  const xs = (es: Ev[]) => es.map((e) => -0.01 * e.x);
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  const sd = (a: number[]) => {
    if (a.length < 2) return Number.NaN;
    const m = sum(a) / a.length;
    return Math.sqrt(sum(a.map((v) => (v - m) ** 2)) / (a.length - 1));
  };
  const w30 = xs(inW(30));
  const latest = [...seen].sort((a, b) => b.t - a.t || b.seq - a.seq)[0];
  const weeks = Array.from({ length: 4 }, (_, k) => sum(xs(seen.filter((e) => Math.floor(e.t / DAY) > D - 7 * (4 - k) && Math.floor(e.t / DAY) <= D - 7 * (3 - k)))));
  const slope = sum(weeks.map((y, k) => (k - 1.5) * (y - sum(weeks) / 4))) / sum([0, 1, 2, 3].map((k) => (k - 1.5) ** 2));
  const ew = seen.map((e) => 2 ** ((e.t - asOf) / (10 * DAY)));
  const prior = sum(xs(inW(30, 30)));
  return {
    n7: inW(7).length,
    n_life: seen.length,
    sum30: sum(w30),
    mean30: w30.length ? sum(w30) / w30.length : Number.NaN,
    min30: w30.length ? Math.min(...w30) : Number.NaN,
    max_life: seen.length ? Math.max(...xs(seen)) : Number.NaN,
    sd90: sd(xs(inW(90))),
    last7: latest && Math.floor(latest.t / DAY) > D - 7 ? -0.01 * latest.x : Number.NaN,
    first: seen.length ? (asOf - Math.min(...seen.map((e) => e.t))) / DAY : Number.NaN,
    since: latest ? (asOf - latest.t) / DAY : Number.NaN,
    mcc30: new Set(inW(30).map((e) => e.key)).size,
    days30: new Set(inW(30).map((e) => Math.floor(e.t / DAY))).size,
    trend30: prior !== 0 ? sum(w30) / prior : Number.NaN,
    slope30: seen.length ? slope : Number.NaN,
    ewm10: seen.length ? sum(seen.map((e, i) => ew[i]! * -0.01 * e.x)) / sum(ew) : Number.NaN,
    grocery30: sum(xs(inW(30).filter((e) => e.key === '5411'))),
  };
}

function near(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('aggregations against a naive reference (windows are whole UTC days up to as-of)', () => {
  it('a scripted month: day boundaries, the window edge and late events', () => {
    const s = fs.newState();
    // 2026-03-01 10:00 £10 grocery; 03-05 £20 dining; 03-30 23:59 £5 grocery; a late 03-02 £7 arrives last.
    const evs = [pay(1, T0 + 10 * 3600_000, -1000, '5411'), pay(2, T0 + 4 * DAY, -2000, '5812'), pay(3, T0 + 30 * DAY - 60_000, -500, '5411'), pay(4, T0 + DAY + 3600_000, -700, '5999')];
    evs.forEach((e, i) => fs.apply(s, stored(e, i + 1)));
    const out = new Float64Array(fs.size);
    // As of 03-30 23:59: the 30-day window is 03-01 .. 03-30, so all four count.
    fs.read(s, T0 + 30 * DAY - 60_000, out);
    expect(out[col('sum30')]).toBeCloseTo(42, 10);
    expect(out[col('grocery30')]).toBeCloseTo(15, 10);
    expect(out[col('mcc30')]).toBe(4 - 1);
    expect(out[col('n7')]).toBe(1);
    expect(out[col('last7')]).toBeCloseTo(5, 10);
    // As of 03-31 00:00 the window is 03-02 .. 03-31: the £10 of 03-01 has left it.
    fs.read(s, T0 + 30 * DAY, out);
    expect(out[col('sum30')]).toBeCloseTo(32, 10);
    expect(out[col('days30')]).toBe(3);
    expect(out[col('n_life')]).toBe(4);
    expect(out[col('min30')]).toBeCloseTo(5, 10);
    expect(out[col('max_life')]).toBeCloseTo(20, 10);
  });

  it('matches the reference on random histories at random as-of times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ day: fc.integer({ min: 0, max: 120 }), ms: fc.integer({ min: 0, max: DAY - 1 }), minor: fc.integer({ min: -50_000, max: -1 }), mcc: fc.constantFrom('5411', '5812', '5999') }), { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: DAY - 1 }),
        async (raw, asDay, asMs) => {
          const events = raw.map((r, i) => pay(i, T0 + r.day * DAY + r.ms, r.minor, r.mcc));
          const asOf = T0 + asDay * DAY + asMs;
          const log = new MemoryEventLog();
          await log.appendMany(appendItems(events), 0);
          const m = await buildFeatureMatrix(log, fs, [{ customerId: 'c1', asOf }]);
          const evs = events.map((e, i) => ({ t: Date.parse(e.occurredAt), seq: i + 1, x: (e.payload as { amount: { minor: number } }).amount.minor, key: (e.payload as { merchantCategoryCode: string }).merchantCategoryCode }));
          const ref = reference(evs, asOf);
          for (const [name, v] of Object.entries(ref)) expect(near(m.values[col(name)]!, v), `${name}: ours ${m.values[col(name)]} reference ${v}`).toBe(true);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });

  it('never lets an event after the as-of time into an offline row (no leakage)', async () => {
    const events = [pay(1, T0, -1000, '5411'), pay(2, T0 + 5 * DAY, -2000, '5411')];
    const log = new MemoryEventLog();
    await log.appendMany(appendItems(events), 0);
    const m = await buildFeatureMatrix(log, fs, [
      { customerId: 'c1', asOf: T0 + 5 * DAY - 1 },
      { customerId: 'c1', asOf: T0 + 5 * DAY },
      { customerId: 'c1', asOf: T0 - 1 },
      { customerId: 'nobody', asOf: T0 + 9 * DAY },
    ]);
    const F = fs.size;
    expect(m.values[0 * F + col('n_life')]).toBe(1);
    expect(m.values[1 * F + col('n_life')]).toBe(2);
    expect(m.values[2 * F + col('n_life')]).toBe(0);
    expect(Number.isNaN(m.values[2 * F + col('mean30')]!)).toBe(true);
    expect(m.values[3 * F + col('sum30')]).toBe(0);
  });

  it('round-trips a state through its snapshot bytes without changing a value', () => {
    const s = fs.newState();
    for (let i = 0; i < 50; i++) fs.apply(s, stored(pay(i, T0 + i * 0.7 * DAY, -(100 + i * 37), ['5411', '5812'][i % 2]!), i + 1));
    const a = new Float64Array(fs.size);
    const b = new Float64Array(fs.size);
    fs.read(s, T0 + 40 * DAY, a);
    fs.read(fs.decode(fs.encode(s)), T0 + 40 * DAY, b);
    expect([...b]).toEqual([...a]);
  });
});
