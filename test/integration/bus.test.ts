import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import type { StoredEvent } from '../../src/core/events.js';
import { partitionOf } from '../../src/store/bus.js';
import { NatsBus } from '../../src/store/nats/bus.js';
import { openRedis } from '../../src/store/redis/client.js';
import { eventually, NATS_URL, REDIS_URL, removeRun } from './cluster.js';
import { PG_URL } from './pg.js';
import { serviceAvailable } from './services.js';

const up = (await serviceAvailable('PostgreSQL', 5432)) && (await serviceAvailable('Redis', 6379)) && (await serviceAvailable('NATS', 4222));

const RUN = `scale_bus_${process.pid}_${Date.now().toString(36)}`;
const PARTITIONS = 8;
const store = `${PG_URL}?schema=${RUN}`;
const prefix = `scale:${RUN}:`;
const cache = `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`;
const bus = `${NATS_URL}?stream=${RUN}&partitions=${PARTITIONS}&lease_ms=1500`;

const deposit = (n: number, customerId: string, minor: number) => ({
  eventId: `${RUN}-${n}`,
  customerId,
  occurredAt: new Date(Date.parse('2026-03-01T10:00:00Z') + n * 1000).toISOString(),
  schemaVersion: 1,
  type: 'deposit',
  payload: { amount: { minor, currency: 'GBP' }, method: 'online' },
});

const open = () => createEngine({ store, cache, bus, dataDir: mkdtempSync(join(tmpdir(), 'scale-bus-')), log: { level: 'silent' } });
const owned = (e: Engine) => e.consumers.status().find((s) => s.name === 'features')?.partitions ?? [];
/** Money in over 90 days, in pence (the feature is in pounds). */
const inflow = (p: { features: Record<string, { value: number | null }> }) => Math.round((p.features.income_90d?.value ?? 0) * 100);

describe.skipIf(!up)('partitioned consumers over NATS JetStream (two engines in one process)', () => {
  let a: Engine;
  let b: Engine;
  const customers = Array.from({ length: 40 }, (_, i) => `${RUN}-c${i}`);

  beforeAll(async () => {
    a = await open();
    b = await open();
  }, 60_000);

  afterAll(async () => {
    await a?.close().catch(() => undefined);
    await b?.close().catch(() => undefined);
    await removeRun({ schema: RUN, redisPrefix: prefix, stream: RUN });
  }, 60_000);

  it('the partitions are split between the instances, each owned once', async () => {
    await eventually(5000, () => owned(a).length + owned(b).length === PARTITIONS && owned(a).length > 0 && owned(b).length > 0);
    expect([...owned(a), ...owned(b)].sort((x, y) => x - y)).toEqual(Array.from({ length: PARTITIONS }, (_, i) => i));
  }, 10_000);

  it('events ingested on one instance are in every profile, read on either, whoever owns the partition', async () => {
    const report = await a.ingest(customers.map((c, i) => deposit(i, c, 100_00 + i)));
    expect(report.accepted).toBe(customers.length);
    for (const [i, c] of customers.entries()) {
      // Read-your-writes on the ingesting instance; the other sees it once the owner applied it.
      expect(inflow(await a.profile(c))).toBe(100_00 + i);
      await eventually(3000, async () => inflow(await b.profile(c)) === 100_00 + i);
    }
  }, 30_000);

  it('an instance that stops hands its partitions to the other, which applies what follows', async () => {
    await a.close();
    await eventually(5000, () => owned(b).length === PARTITIONS);
    await b.ingest(customers.map((c, i) => deposit(1000 + i, c, 1_00)));
    for (const [i, c] of customers.entries()) expect(inflow(await b.profile(c))).toBe(100_00 + i + 1_00);
  }, 30_000);

  it('Redis lost: the profiles are rebuilt from the log', async () => {
    const r = openRedis(REDIS_URL);
    const keys = await r.keys(`${prefix}profile*`);
    expect(keys.length).toBeGreaterThan(customers.length);
    await r.del(...keys);
    await r.quit();
    // The next batch finds its partition's checkpoint gone and rebuilds the partition from the log.
    await b.ingest(customers.map((c, i) => deposit(2000 + i, c, 2_00)));
    for (const [i, c] of customers.entries()) await eventually(10_000, async () => inflow(await b.profile(c)) === 100_00 + i + 3_00);
  }, 60_000);
});

describe.skipIf(!up)('the NATS JetStream transport', () => {
  const stream = `${RUN}_t`;
  afterAll(async () => {
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('keeps each partition in log order, drops a republished seq, forgets what is acknowledged, and purges one customer', async () => {
    const t = await NatsBus.open({ servers: '127.0.0.1:4222', stream, partitions: 2 });
    try {
      const stored = (seq: number, customerId: string): StoredEvent => ({ seq, t: seq, recordedAt: seq, event: deposit(seq, customerId, seq) as unknown as StoredEvent['event'] });
      // Two customers in one partition, one in the other.
      const ids = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'];
      const p0 = ids.filter((id) => partitionOf(id, 2) === 0).slice(0, 2);
      const p1 = ids.filter((id) => partitionOf(id, 2) === 1).slice(0, 1);
      expect(p0).toHaveLength(2);
      expect(p1).toHaveLength(1);
      const events = [stored(1, p0[0]!), stored(2, p1[0]!), stored(3, p0[1]!), stored(4, p0[0]!)];
      await t.publish(events);
      await t.publish(events.slice(1, 3)); // the relay again after a crash: duplicates by seq
      expect(await t.pending(0)).toBe(3);
      expect(await t.pending(1)).toBe(1);
      await t.purgeCustomer(p0[1]!);
      const nc = await connect({ servers: NATS_URL });
      const subjects = (await (await jetstreamManager(nc)).streams.info(stream, { subjects_filter: '>' })).state.subjects ?? {};
      await nc.close();
      // Only the purged customer's subject is gone (NATS 2.9 then reports the consumer's pending as 0, so the subjects are counted).
      expect(Object.values(subjects).sort()).toEqual([1, 2]);
      const seen: number[] = [];
      const sub = await t.subscribe(0, 10, async (batch) => void seen.push(...batch.map((e) => e.seq)));
      await eventually(3000, async () => seen.length === 2 && (await t.pending(0)) === 0);
      await sub.stop();
      expect(seen).toEqual([1, 4]);
      expect(await t.pending(1)).toBe(1);
    } finally {
      await t.close();
    }
  }, 20_000);
});
