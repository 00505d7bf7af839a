import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis } from '../../src/store/redis/client.js';
import { exited, startServer } from '../helpers/server.js';
import { dropSchemas, newSchemaName, PG_URL } from './pg.js';
import { serviceAvailable } from './services.js';

const REDIS_URL = process.env.NEXTBEST_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const pgUp = await serviceAvailable('PostgreSQL', 5432);
const redisUp = pgUp && (await serviceAvailable('Redis', 6379));
const catalogue = fileURLToPath(new URL('../fixtures/multiInstance/catalogue.yaml', import.meta.url));

interface Instance {
  url: string;
  child: ChildProcess;
  stdout: () => string;
}

const call = async (i: Instance, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${i.url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

/** Polls `check` every 50 ms until it holds; resolves with the milliseconds it took (or throws after `limitMs`). */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > limitMs) throw new Error(`not seen within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!redisUp)('two serve processes on one PostgreSQL schema and one Redis prefix', () => {
  const schema = newSchemaName();
  const prefix = `nbt:${schema}:`;
  const store = `${PG_URL}?schema=${schema}`;
  const cache = `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'nb-multi-')), 'nextbest.config.yaml');
    writeFileSync(config, `decisioning: { catalogue: ${JSON.stringify(catalogue)} }\n`);
    const start = () => startServer(mkdtempSync(join(tmpdir(), 'nb-multi-')), {}, ['--store', store, '--cache', cache, '--config', config]);
    // One after the other: the first migrates the schema and stores the catalogue, the second finds both.
    a = await start();
    b = await start();
    const customers = ['cap-1', 'edit-1', 'edit-2', 'edit-3', 'edit-4', 'edit-5', 'edit-6', 'edit-7', 'edit-8', 'edit-9', 'edit-10', 'edit-11', 'edit-12', 'edit-13', 'edit-14', 'edit-15', 'edit-16', 'edit-17', 'edit-18', 'edit-19', 'edit-20', 'prof-1'];
    const up = await call(a, 'POST', '/v1/customers', { customers: customers.map((customerId) => ({ customerId, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })) });
    expect(up.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    for (const i of [a, b]) {
      if (!i) continue;
      i.child.kill('SIGTERM');
      await exited(i.child);
    }
    await dropSchemas();
    const r = openRedis(REDIS_URL);
    const keys = await r.keys(`${prefix}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  }, 60_000);

  it('both are ready, and /readyz covers PostgreSQL and Redis', async () => {
    for (const i of [a, b]) expect((await call(i, 'GET', '/readyz')).status).toBe(200);
  });

  it('32 parallel decisions for one customer over both instances: the daily cap of 1 holds, exactly one contact', async () => {
    const results = await Promise.all(Array.from({ length: 32 }, (_, n) => call(n % 2 === 0 ? a : b, 'POST', '/v1/decisions', { customerId: 'cap-1', channel: 'push', n: 1 })));
    expect(results.filter((r) => r.status !== 200).map((r) => JSON.stringify(r.json))).toEqual([]);
    const contacted = results.filter((r) => (r.json.chosen as unknown[]).length > 0);
    expect(contacted).toHaveLength(1);
    // Both instances agree afterwards: no further contact today from either.
    for (const i of [a, b]) expect(((await call(i, 'POST', '/v1/decisions', { customerId: 'cap-1', channel: 'in_app', n: 1 })).json.chosen as unknown[]).length).toBe(0);
  }, 60_000);

  it('a catalogue edit made on one instance is used by the other within about a second', async () => {
    const action = (await call(a, 'GET', '/v1/actions/saver')).json;
    const saved = await call(a, 'PUT', '/v1/actions/bond', { ...action, id: 'bond', name: 'Fixed bond', prior: 0.9 });
    expect(saved.status).toBe(200);
    const version = saved.json.catalogueVersion as string;
    let n = 0;
    const took = await within(3000, async () => {
      const d = await call(b, 'POST', '/v1/decisions', { customerId: `edit-${++n}`, channel: 'in_app', n: 1 });
      return d.json.catalogueVersion === version && (d.json.chosen as { actionId: string }[])[0]?.actionId === 'bond';
    });
    // The refresh interval is 1 s; the rest is one decision's round trip on a loaded machine.
    expect(took).toBeLessThan(1500);
  }, 30_000);

  it('an event ingested on one instance shows in the other instance’s profile within about two seconds', async () => {
    // Features are computed from the customer's events: none has a last event before the deposit.
    const applied = async () => Object.values((await call(b, 'GET', '/v1/customers/prof-1/profile')).json.features as Record<string, { lastEventAt: string | null }>).some((f) => f.lastEventAt !== null);
    expect(await applied()).toBe(false);
    const at = new Date(Date.now() - 60_000).toISOString();
    const ingested = await call(a, 'POST', '/v1/events', { events: [{ eventId: 'multi-dep-1', customerId: 'prof-1', occurredAt: at, schemaVersion: 1, type: 'deposit', payload: { amount: { minor: 120_00, currency: 'GBP' }, method: 'online' } }] });
    expect(ingested.status).toBe(200);
    // Instance b's consumers hear of a's event at their next read of the log head (once a second).
    const took = await within(4000, applied);
    expect(took).toBeLessThan(2000);
  }, 30_000);
});
