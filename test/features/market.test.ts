import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import { BANK_PACK } from '../../src/features/bankPack.js';
import { FeatureSet } from '../../src/features/featureSet.js';
import { buildFeatureMatrix } from '../../src/features/offline.js';
import { OnlineFeatureStore } from '../../src/features/online.js';
import { PartitionedFeatures } from '../../src/features/partitioned.js';
import type { ProfileCheckpoint, ProfileSnapshot } from '../../src/store/profileStore.js';
import { ValidationError } from '../../src/core/errors.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import { SqliteProfileStore } from '../../src/store/sqlite/profileStore.js';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SnapshotStore } from '../../src/training/snapshot.js';
import { logSource, snapshotSource } from '../../src/training/source.js';
import { createEngine } from '../../src/engine.js';
import { appendItems } from './generate.js';

const DAY = 86_400_000;
const at = (s: string) => Date.parse(s);
let n = 0;
type MarketPayload = Extract<BankEvent, { type: 'market_event' }>['payload'];
const market = (occurredAt: string, payload: MarketPayload): BankEvent => ({ eventId: `m${++n}`, customerId: '*', occurredAt, schemaVersion: 1, type: 'market_event', payload }) as BankEvent;
const login = (customerId: string, occurredAt: string): BankEvent => ({ eventId: `l${++n}`, customerId, occurredAt, schemaVersion: 1, type: 'login', payload: { channel: 'web' } }) as BankEvent;

/** Market events of 2025, in arrival order: the March cut arrives after later customer events (a late feed). */
const MARKET = [
  market('2025-01-10T12:00:00Z', { kind: 'base_rate_change', region: 'GB', value: 4.25, previousValue: 4.5, unit: 'percent' }),
  market('2025-02-01T08:00:00Z', { kind: 'inflation_release', region: 'GB', value: 3.1, previousValue: 3.4, unit: 'percent' }),
  market('2025-02-15T12:00:00Z', { kind: 'market_shock', region: 'GB', value: -12, unit: 'percent' }),
  // Another country's rate: not the bank's market.
  market('2025-02-20T12:00:00Z', { kind: 'base_rate_change', region: 'US', value: 4.0, previousValue: 4.5, unit: 'percent' }),
  market('2025-04-01T07:00:00Z', { kind: 'inflation_release', value: 2.8, unit: 'percent' }),
  // In basis points: a 25 bp cut is -0.25 percentage points.
  market('2025-05-01T12:00:00Z', { kind: 'base_rate_change', region: 'GB', value: 375, previousValue: 400, unit: 'bps' }),
];
const LATE_CUT = market('2025-03-05T12:00:00Z', { kind: 'base_rate_change', region: 'GB', value: 4.0, previousValue: 4.25, unit: 'percent' });
const CUSTOMERS = [login('c1', '2025-01-05T09:00:00Z'), login('c2', '2025-02-10T09:00:00Z'), login('c1', '2025-03-01T09:00:00Z'), login('c2', '2025-06-20T09:00:00Z')];
const ARRIVAL = [...MARKET.slice(0, 3), CUSTOMERS[0]!, CUSTOMERS[1]!, MARKET[3]!, CUSTOMERS[2]!, MARKET[4]!, CUSTOMERS[3]!, LATE_CUT, MARKET[5]!];

/** What the pack's market features should be at `t`, computed naively from the raw events. */
function naive(t: number): Record<string, number> {
  const day = Math.floor(t / DAY);
  const gb = [...MARKET, LATE_CUT].filter((e) => Date.parse(e.occurredAt) <= t).map((e) => ({ t: Date.parse(e.occurredAt), p: (e as Extract<BankEvent, { type: 'market_event' }>).payload })).filter((e) => e.p.region === undefined || e.p.region === 'GB').sort((a, b) => a.t - b.t);
  const inWindow = (x: { t: number }) => Math.floor(x.t / DAY) > day - 120;
  const pct = (p: MarketPayload) => (p.unit === 'bps' ? 0.01 : 1);
  const rates = gb.filter((e) => e.p.kind === 'base_rate_change');
  const inflation = gb.filter((e) => e.p.kind === 'inflation_release');
  return {
    base_rate_change_120d: rates.filter(inWindow).reduce((s, e) => s + (e.p.value! - e.p.previousValue!) * pct(e.p), 0),
    base_rate: rates.length ? rates[rates.length - 1]!.p.value! * pct(rates[rates.length - 1]!.p) : Number.NaN,
    days_since_base_rate_change: rates.length ? (t - rates[rates.length - 1]!.t) / DAY : Number.NaN,
    equity_move_120d: gb.filter((e) => e.p.kind === 'market_shock' && inWindow(e)).reduce((s, e) => s + e.p.value!, 0),
    inflation_latest: inflation.length ? inflation[inflation.length - 1]!.p.value! : Number.NaN,
  };
}
const MARKET_NAMES = Object.keys(naive(0));

/** As-of times on both sides of every market event, at them exactly, and at the 120-day window's edges. */
const TIMES = [...MARKET, LATE_CUT].flatMap((e) => {
  const t = Date.parse(e.occurredAt);
  return [t - 1, t, t + 1, t + 119 * DAY, t + 120 * DAY - 1, t + 120 * DAY];
}).concat([at('2024-12-01T00:00:00Z'), at('2025-03-01T00:00:00Z'), at('2025-12-31T00:00:00Z')]).sort((a, b) => a - b);

const expectClose = (got: number | null, want: number, what: string) => {
  if (Number.isNaN(want)) expect(got, what).toBeNull();
  else expect(got, what).toBeCloseTo(want, 9);
};

async function logOf(events: readonly BankEvent[]): Promise<{ log: MemoryEventLog; stored: StoredEvent[] }> {
  const log = new MemoryEventLog();
  await log.appendMany(appendItems(events), 0);
  return { log, stored: await log.readAfter(0, events.length) };
}

describe('market-scope feature definitions', () => {
  it('a market feature reads only market_event and its named fields; a customer feature never reads market_event', () => {
    const base = { description: 'd', aggregation: 'count', window: '30d' } as const;
    let err: ValidationError | undefined;
    try {
      FeatureSet.compile([
        { ...base, name: 'a', scope: 'market', events: ['login', 'market_event'] },
        { ...base, name: 'b', events: ['market_event'] },
        { ...base, name: 'c', scope: 'market', events: ['market_event'], value: 'payload.change', aggregation: 'sum' },
        { ...base, name: 'd', scope: 'planet', events: ['market_event'] },
      ]);
    } catch (e) {
      err = e as ValidationError;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err!.issues.map((i) => [i.field, i.rule])).toEqual([
      ['features[0].events[0]', 'market_events_only'],
      ['features[1].events[0]', 'market_scope'],
      ['features[2].value', 'unknown_field'],
      ['features[3].scope', expect.any(String)],
    ]);
    expect(err!.issues[2]!.message).toContain('previousValue');
    const ok = FeatureSet.compile([{ ...base, name: 'cuts_30d', scope: 'market', events: ['market_event'], where: 'event.payload.kind == "base_rate_change"' }, { name: 'cuts_x2', description: 'd', expr: 'cuts_30d * 2.0' }]);
    expect(ok.info.map((f) => f.scope)).toEqual(['market', 'customer']);
    expect(ok.eventTypes).toEqual(['market_event']);
  });
});

describe('market-scope features of the bank pack', () => {
  const fs = FeatureSet.compile(BANK_PACK);
  const col = (name: string) => fs.names.indexOf(name);

  it('offline: each row reads the market as of its own time, never a market event after it', async () => {
    const { log } = await logOf(ARRIVAL);
    const pairs = TIMES.flatMap((t) => [{ customerId: 'c1', asOf: t }, { customerId: 'nobody', asOf: t }]);
    const m = await buildFeatureMatrix(log, fs, pairs);
    pairs.forEach((p, r) => {
      const want = naive(p.asOf);
      for (const name of MARKET_NAMES) {
        const v = m.values[r * fs.size + col(name)]!;
        expectClose(Number.isNaN(v) ? null : v, want[name]!, `${name} as of ${new Date(p.asOf).toISOString()}`);
      }
    });
    // Spot checks by hand: the cut of 5 March counts from its own instant, not before.
    const one = async (t: string) => (await buildFeatureMatrix(log, fs, [{ customerId: 'c1', asOf: at(t) }])).values[col('base_rate_change_120d')];
    expect(await one('2025-03-05T11:59:59Z')).toBeCloseTo(-0.25, 12);
    expect(await one('2025-03-05T12:00:00Z')).toBeCloseTo(-0.5, 12);
    // 10 January leaves the 120-day window on 10 May; the basis-point cut of 1 May is in.
    expect(await one('2025-05-09T23:00:00Z')).toBeCloseTo(-0.75, 12);
    expect(await one('2025-05-10T00:00:00Z')).toBeCloseTo(-0.5, 12);
  });

  it('the training snapshot joins the market by time as the log scan does', async () => {
    const { log } = await logOf(ARRIVAL);
    const { snapshot } = await new SnapshotStore(log, undefined).refresh(fs);
    const pairs = TIMES.flatMap((t) => [{ customerId: 'c1', asOf: t }, { customerId: 'c2', asOf: t }, { customerId: 'nobody', asOf: t }]);
    const fromSnapshot = await snapshotSource(snapshot!, new Set(), log).featureMatrix(pairs);
    expect(fromSnapshot).toEqual(await logSource(log, fs).featureMatrix(pairs));
    pairs.forEach((p, r) => expectClose(fromSnapshot[r * fs.size + col('base_rate_change_120d')]!, naive(p.asOf).base_rate_change_120d!, `row ${r}`));
  });

  it('online: a market event moves one market state, read by every profile at its as-of time, in any arrival order', async () => {
    const { stored } = await logOf(ARRIVAL);
    const store = new MemoryProfileStore();
    const online = new OnlineFeatureStore(fs, store, { checkpointEvents: 3 });
    await online.open();
    for (const e of stored) await online.apply([e]);
    expect(online.marketEvents).toBe(MARKET.length + 1);
    // Only the two customers hold state: the market is not anyone's stream.
    expect(online.customersInMemory).toBe(2);
    for (const t of TIMES.filter((x) => x >= at('2025-06-20T09:00:00Z'))) {
      for (const id of ['c1', 'c2']) {
        const p = await online.profile(id, { asOf: 'now', now: t });
        for (const name of MARKET_NAMES) expectClose(p.features[name]!.value, naive(Date.parse(p.asOf))[name]!, `${id} ${name} at ${p.asOf}`);
        expect(p.features.base_rate_change_120d!.scope).toBe('market');
        expect(p.features.logins_30d!.scope).toBeUndefined();
      }
    }
    // By default a profile is as of the customer's latest event: c1's (1 March) is before the late cut of 5 March.
    const c1 = await online.profile('c1');
    expect(c1.asOf).toBe('2025-03-01T09:00:00.000Z');
    expect(c1.features.base_rate_change_120d!.value).toBeCloseTo(-0.25, 12);
    expect(c1.features.base_rate_change_120d!.lastEventAt).toBe('2025-01-10T12:00:00.000Z');
    expect(c1.features.inflation_latest!.value).toBe(3.1);
    const decision = await online.values('c1', { asOf: 'now', now: at('2025-05-02T00:00:00Z') });
    expect(decision.values.base_rate_change_120d).toBeCloseTo(-0.75, 12);
    expect(decision.values.equity_move_120d).toBe(-12);
    const lean = await online.readSome('c2', { asOf: 'now', now: at('2025-07-01T00:00:00Z') }, (v) => [v('base_rate_change_120d'), v('inflation_latest')]);
    expect(lean[0]).toBeCloseTo(naive(at('2025-07-01T00:00:00Z')).base_rate_change_120d!, 12);
    expect(lean[1]).toBe(2.8);
  });

  it('erasing a customer never touches the market; a restart restores it from the store, with no replay', async () => {
    const { log, stored } = await logOf(ARRIVAL);
    const dir = mkdtempSync(join(tmpdir(), 'nb-market-'));
    try {
      const db = openSqlite(join(dir, 'profiles.db'));
      const online = new OnlineFeatureStore(fs, new SqliteProfileStore(db), { checkpointEvents: 1_000 });
      await online.open();
      await online.apply(stored);
      const now = { asOf: 'now' as const, now: at('2025-07-01T00:00:00Z') };
      const before = await online.profile('c2', now);
      await online.erase('c1');
      await online.erase('*');
      expect((await online.profile('c1', now)).latestEventAt).toBeNull();
      expect(await online.profile('c2', now)).toEqual(before);
      await online.close();
      db.close();

      const db2 = openSqlite(join(dir, 'profiles.db'));
      const again = new OnlineFeatureStore(fs, new SqliteProfileStore(db2));
      const { replayed, rebuilt } = await again.start(log);
      expect({ replayed, rebuilt }).toEqual({ replayed: 0, rebuilt: false });
      expect(again.marketEvents).toBe(MARKET.length + 1);
      expect(await again.profile('c2', now)).toEqual(before);
      // Earlier reads are exact after the restart too (the timeline is saved, not only its latest state).
      expect((await again.profile('c2')).features.base_rate_change_120d!.value).toBeCloseTo(naive(at('2025-06-20T09:00:00Z')).base_rate_change_120d!, 12);
      db2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a crash before the market was checkpointed is made good by the replay', async () => {
    const { log, stored } = await logOf(ARRIVAL);
    const store = new MemoryProfileStore();
    const a = new OnlineFeatureStore(fs, store, { checkpointEvents: 4 });
    await a.open();
    // One at a time with a checkpoint every 4, and no close(): the last three (two of them market events) are not committed.
    for (const e of stored) await a.apply([e]);
    const now = { asOf: 'now' as const, now: at('2025-07-01T00:00:00Z') };
    const want = await a.profile('c2', now);
    const b = new OnlineFeatureStore(fs, store, { checkpointEvents: 4 });
    const { replayed } = await b.start(log);
    expect(replayed).toBe(3);
    expect(await b.profile('c2', now)).toEqual(want);
  });

  it('through the engine: market events ingested without a customer id reach every profile and survive a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nb-market-engine-'));
    const config = { dataDir, log: { level: 'silent' as const }, features: { checkpointEvents: 2 } };
    try {
      const a = await createEngine(config);
      const { customerId: _omit, ...cut } = LATE_CUT as BankEvent & { customerId: string };
      expect((await a.ingest([...MARKET, cut as BankEvent, ...CUSTOMERS])).accepted).toBe(MARKET.length + 1 + CUSTOMERS.length);
      const p = await a.profile('c2', { asOf: at('2025-07-01T00:00:00Z') });
      expect(p.features.base_rate_change_120d!.value).toBeCloseTo(naive(at('2025-07-01T00:00:00Z')).base_rate_change_120d!, 12);
      expect(a.features.info.find((f) => f.name === 'base_rate_change_120d')!.scope).toBe('market');
      await a.close();
      const b = await createEngine(config);
      expect(await b.profile('c2', { asOf: at('2025-07-01T00:00:00Z') })).toEqual(p);
      await b.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with a bus: the owner of the global id\'s partition keeps the market, and read-through profiles read it', async () => {
    /** A shared store's partition checkpoints, in memory. */
    class SharedStore extends MemoryProfileStore {
      readonly partitions = new Map<number, ProfileCheckpoint>();
      override async commit(batch: { put: readonly ProfileSnapshot[]; remove: readonly string[]; checkpoint: ProfileCheckpoint; partition?: number }): Promise<void> {
        if (batch.partition === undefined) return super.commit(batch);
        this.partitions.set(batch.partition, { ...batch.checkpoint });
        return super.commit({ ...batch, checkpoint: (await this.checkpoint()) ?? { seq: 0, version: 'none' } });
      }
      async partitionCheckpoint(partition: number): Promise<ProfileCheckpoint | undefined> {
        return this.partitions.get(partition);
      }
      async forget(): Promise<void> {}
      /** Reads of the saved market timeline (the global id). */
      marketReads = 0;
      override async getMany(ids: readonly string[]): Promise<(Uint8Array | undefined)[]> {
        if (ids.includes('*')) this.marketReads++;
        return super.getMany(ids);
      }
    }
    const { stored } = await logOf(ARRIVAL);
    const store = new SharedStore();
    const owner = new PartitionedFeatures(fs, store);
    // Partition 0 holds the global id, partition 1 the customers; both start by rebuilding.
    expect(await owner.openPartition(0)).toBe(0);
    expect(await owner.openPartition(1)).toBe(0);
    const global = stored.filter((e) => e.event.customerId === '*');
    const customers = stored.filter((e) => e.event.customerId !== '*');
    // In two batches, so the second reads back what the first saved.
    await owner.applyPartition(0, global.slice(0, 3));
    await owner.applyPartition(0, global.slice(3));
    await owner.applyPartition(1, customers);
    const reader = new OnlineFeatureStore(fs, store, { readThrough: true });
    const now = { asOf: 'now' as const, now: at('2025-07-01T00:00:00Z') };
    const p = await reader.profile('c2', now);
    for (const name of MARKET_NAMES) expectClose(p.features[name]!.value, naive(now.now)[name]!, name);
    expect(p.features.logins_30d!.value).toBe(1);
    // Later reads within the refresh interval use the timeline already read, not the store again.
    const reads = store.marketReads;
    await reader.profile('c2', now);
    await reader.profile('c1', now);
    expect(store.marketReads).toBe(reads);
    // The same values as one instance applying the whole log.
    const single = new OnlineFeatureStore(fs, new MemoryProfileStore());
    await single.open();
    await single.apply(stored);
    expect(p).toEqual(await single.profile('c2', now));
  });
});
