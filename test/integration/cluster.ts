import type { ChildProcess } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { openRedis } from '../../src/store/redis/client.js';
import { PG_URL } from './pg.js';

/** What the tests of several instances on shared services (PostgreSQL, Redis, NATS) have in common. */
export const REDIS_URL = process.env.NEXTBEST_TEST_REDIS ?? 'redis://127.0.0.1:6379';
export const NATS_URL = process.env.NEXTBEST_TEST_NATS ?? 'nats://127.0.0.1:4222';

/** Polls `check` every `everyMs` until it holds; throws after `limitMs`. Resolves to the time it took. */
export async function eventually(limitMs: number, check: () => Promise<boolean> | boolean, everyMs = 100): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return Date.now() - start;
}

/** A `serve` child process (from test/helpers/server.ts) and its base URL. */
export interface Instance {
  url: string;
  child: ChildProcess;
}

/** One JSON request to an instance. */
export async function call(i: Instance, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${i.url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Removes what a run left on the services: its PostgreSQL schema, its Redis keys, its NATS stream (each when given). */
export async function removeRun(o: { schema: string; redisPrefix?: string; stream?: string }): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${o.schema} CASCADE`);
  await admin.end();
  if (o.redisPrefix !== undefined) {
    const r = openRedis(REDIS_URL);
    const keys = await r.keys(`${o.redisPrefix}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  }
  if (o.stream !== undefined) {
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(o.stream).catch(() => undefined);
    await nc.close();
  }
}
