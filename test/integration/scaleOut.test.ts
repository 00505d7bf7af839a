import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, startServer } from '../helpers/server.js';
import { openRedis } from '../../src/store/redis/client.js';
import { call, eventually, NATS_URL, REDIS_URL, removeRun, type Instance } from './cluster.js';
import { PG_URL } from './pg.js';
import { serviceAvailable } from './services.js';

const up = (await serviceAvailable('PostgreSQL', 5432)) && (await serviceAvailable('Redis', 6379)) && (await serviceAvailable('NATS', 4222));
const catalogue = fileURLToPath(new URL('../fixtures/multiInstance/catalogue.yaml', import.meta.url));

const RUN = `scale_out_${process.pid}_${Date.now().toString(36)}`;
const PARTITIONS = 12;
const LEASE_MS = 3000;
const prefix = `scale:${RUN}:`;
const args = ['--store', `${PG_URL}?schema=${RUN}`, '--cache', `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`, '--bus', `${NATS_URL}?stream=${RUN}&partitions=${PARTITIONS}&lease_ms=${LEASE_MS}`];


const partitionsOf = async (i: Instance) => ((await call(i, 'GET', '/v1/ops/consumers')).json.consumers as { name: string; partitions?: number[] }[]).find((c) => c.name === 'features')?.partitions ?? [];
const income = async (i: Instance, customerId: string) => Math.round((((await call(i, 'GET', `/v1/customers/${customerId}/profile`)).json.features as Record<string, { value: number | null }> | undefined)?.income_90d?.value ?? 0) * 100);

const deposit = (eventId: string, customerId: string, minor: number, n: number) => ({
  eventId,
  customerId,
  occurredAt: new Date(Date.now() - 3_600_000 + n).toISOString(),
  schemaVersion: 1,
  type: 'deposit',
  payload: { amount: { minor, currency: 'GBP' }, method: 'online' },
});

describe.skipIf(!up)('three serve processes on one PostgreSQL, Redis and NATS JetStream', () => {
  const all: Instance[] = [];
  const customers = Array.from({ length: 24 }, (_, i) => `sc-${i}`);

  beforeAll(async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'scale-out-')), 'nextbest.config.yaml');
    writeFileSync(config, `decisioning: { catalogue: ${JSON.stringify(catalogue)} }\n`);
    // The first migrates and stores the catalogue; the other two start together.
    const start = async () => {
      const i = await startServer(mkdtempSync(join(tmpdir(), 'scale-out-')), {}, [...args, '--config', config]);
      // An instance that dies on its own (not the one this test kills) says why.
      let stderr = '';
      i.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      i.child.on('exit', (code, signal) => {
        if (signal === null && code !== 0) process.stderr.write(`an instance exited (${code ?? signal}): ${stderr.slice(-4000)}\n`);
      });
      return i;
    };
    all.push(await start());
    all.push(...(await Promise.all([start(), start()])));
    const up = await call(all[0]!, 'POST', '/v1/customers', { customers: [...customers, 'cap-1', 'erase-1', ...[0, 1, 2].flatMap((k) => Array.from({ length: 40 }, (_, n) => `edit-${k}-${n + 1}`))].map((customerId) => ({ customerId, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })) });
    expect(up.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    for (const i of all) {
      if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGTERM');
      await exited(i.child);
    }
    await removeRun({ schema: RUN, redisPrefix: prefix, stream: RUN });
  }, 60_000);

  it('all three are ready (PostgreSQL, Redis and NATS answer) and share the partitions, each owned once', async () => {
    for (const i of all) expect((await call(i, 'GET', '/readyz')).status).toBe(200);
    await eventually(10_000, async () => {
      const owned = await Promise.all(all.map(partitionsOf));
      return owned.every((p) => p.length > 0) && owned.flat().length === PARTITIONS;
    });
    const owned = await Promise.all(all.map(partitionsOf));
    expect(owned.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: PARTITIONS }, (_, i) => i));
  }, 30_000);

  it('64 parallel decisions for one customer over the three instances never exceed a cap of 1', async () => {
    const results = await Promise.all(Array.from({ length: 64 }, (_, n) => call(all[n % 3]!, 'POST', '/v1/decisions', { customerId: 'cap-1', channel: 'push', n: 1 })));
    expect(results.filter((r) => r.status !== 200).map((r) => JSON.stringify(r.json))).toEqual([]);
    expect(results.filter((r) => (r.json.chosen as unknown[]).length > 0)).toHaveLength(1);
  }, 60_000);

  it('a catalogue edit made on one instance is used by all three within about a second', async () => {
    const action = (await call(all[0]!, 'GET', '/v1/actions/saver')).json;
    const saved = await call(all[0]!, 'PUT', '/v1/actions/bond', { ...action, id: 'bond', name: 'Fixed bond', prior: 0.9 });
    expect(saved.status).toBe(200);
    const version = saved.json.catalogueVersion as string;
    const took = await Promise.all(
      all.map((i, k) => {
        let n = 0;
        return eventually(3000, async () => {
          const d = await call(i, 'POST', '/v1/decisions', { customerId: `edit-${k}-${++n}`, channel: 'in_app', n: 1 });
          return d.json.catalogueVersion === version && (d.json.chosen as { actionId: string }[])[0]?.actionId === 'bond';
        });
      }),
    );
    // The refresh interval is 1 s; the rest is a decision's round trip on a loaded machine.
    for (const t of took) expect(t).toBeLessThan(1600);
  }, 30_000);

  it('SIGKILL of an instance during ingest: no acknowledged event lost or doubled; its partitions move; every profile catches up', async () => {
    const victim = all[2]!;
    const victimParts = await partitionsOf(victim);
    expect(victimParts.length).toBeGreaterThan(0);
    const acked = new Map<string, { customerId: string; minor: number }>();
    let killed = false;
    let n = 0;
    // Four writers, each sending batches round-robin; a batch that fails (the killed instance) is resent to a live one.
    const writer = async (w: number) => {
      for (let b = 0; b < 15; b++) {
        const batch = Array.from({ length: 20 }, (_, k) => {
          const i = n++;
          return deposit(`${RUN}-e${w}-${b}-${k}`, customers[i % customers.length]!, 1_00 + (i % 7), i);
        });
        for (let attempt = 0; ; attempt++) {
          const live = killed ? all.slice(0, 2) : all;
          const target = live[(w + b + attempt) % live.length]!;
          try {
            const r = await call(target, 'POST', '/v1/events', { events: batch });
            if (r.status !== 200) throw new Error(`status ${r.status}`);
            for (const e of batch) acked.set(e.eventId, { customerId: e.customerId, minor: e.payload.amount.minor });
            break;
          } catch (e) {
            if (attempt > 5) throw e;
          }
        }
        if (w === 0 && b === 5) {
          victim.child.kill('SIGKILL');
          killed = true;
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(writer));
    expect(await exited(victim.child)).toBe('SIGKILL');
    expect(acked.size).toBe(4 * 15 * 20);
    // Every acknowledged event is in the log exactly once.
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const rows = (await admin.query<{ event_id: string; n: number }>(`SELECT event_id, count(*)::int AS n FROM ${RUN}.events WHERE event_id LIKE $1 GROUP BY event_id`, [`${RUN}-e%`])).rows;
      expect(rows.filter((r) => r.n !== 1)).toEqual([]);
      expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(acked.keys()));
    } finally {
      await admin.end();
    }
    // The dead instance's partitions are taken by the two others once its leases run out.
    const survivors = all.slice(0, 2);
    const took = await eventually(LEASE_MS * 5, async () => (await Promise.all(survivors.map(partitionsOf))).flat().length === PARTITIONS);
    const owned = (await Promise.all(survivors.map(partitionsOf))).flat();
    expect(owned.sort((a, b) => a - b)).toEqual(Array.from({ length: PARTITIONS }, (_, i) => i));
    expect(took).toBeLessThan(LEASE_MS * 5);
    // Every profile, read through either survivor, has every acknowledged event once.
    const expected = new Map<string, number>();
    for (const { customerId, minor } of acked.values()) expected.set(customerId, (expected.get(customerId) ?? 0) + minor);
    for (const [customerId, minor] of expected) {
      await eventually(15_000, async () => (await income(survivors[0]!, customerId)) === minor);
      expect(await income(survivors[1]!, customerId)).toBe(minor);
    }
  }, 120_000);

  it('an erasure made through one instance leaves nothing on any instance, in PostgreSQL, Redis or NATS', async () => {
    const [a, b] = all as [Instance, Instance];
    expect((await call(a, 'POST', '/v1/events', { events: [deposit(`${RUN}-erase`, 'erase-1', 5_00, 0)] })).status).toBe(200);
    await eventually(5000, async () => (await income(b, 'erase-1')) === 5_00);
    const d = await call(b, 'POST', '/v1/decisions', { customerId: 'erase-1', channel: 'in_app', n: 1 });
    expect(d.status).toBe(200);
    const erased = await call(b, 'DELETE', '/v1/customers/erase-1');
    expect(erased.status).toBe(200);
    expect(erased.json.events).toBe(1);
    for (const i of [a, b]) {
      expect((await call(i, 'GET', '/v1/customers/erase-1')).status).toBe(404);
      expect([404, 410]).toContain((await call(i, 'GET', '/v1/customers/erase-1/profile')).status);
    }
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      for (const t of ['events', 'decisions', 'customers']) expect((await admin.query(`SELECT count(*)::int AS n FROM ${RUN}.${t} WHERE customer_id = 'erase-1'`)).rows[0].n).toBe(0);
    } finally {
      await admin.end();
    }
    const r = openRedis(REDIS_URL);
    try {
      expect(await r.keys(`${prefix}*erase-1*`)).toEqual([]);
      expect(await r.zscore(`${prefix}profiles`, 'erase-1')).toBeNull();
    } finally {
      await r.quit();
    }
    const nc = await connect({ servers: NATS_URL });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(RUN, { subjects_filter: `${RUN}.>` });
      // The stream still holds what the killed instance took unacknowledged (delivered again after ack_wait), but nothing of the erased customer.
      const token = createHash('sha256').update('erase-1').digest('hex').slice(0, 24);
      expect(Object.keys(info.state.subjects ?? {}).filter((s) => s.endsWith(`.${token}`))).toEqual([]);
    } finally {
      await nc.close();
    }
  }, 60_000);
});
