/**
 * A process killed (SIGKILL) after committing a decision's contacts and before logging its
 * record: the next engine on the same store withdraws those contacts (recovery against the
 * decision log) and cancels its messages, keeps the contacts of the decision that was
 * logged, and leaves no reservation behind. On SQLite, on PostgreSQL and on PostgreSQL + Redis.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { ConfigInput } from '../../src/config.js';
import { createEngine } from '../../src/engine.js';
import { openRedis } from '../../src/store/redis/client.js';
import { PG_URL } from './pg.js';
import { serviceAvailable } from './services.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
const REDIS_URL = process.env.NEXTBEST_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const RUN = `pgperf_recover_${process.pid}_${Date.now().toString(36)}`;
const pgUp = await serviceAvailable('PostgreSQL', 5432);
const redisUp = await serviceAvailable('Redis', 6379);

/** Runs the stalled decision in a child, kills it once the contacts are committed; the two decision ids. */
async function killMidDecision(config: ConfigInput): Promise<{ kept: string; keptChosen: number; lost: string }> {
  const child = spawn(process.execPath, [...nodeArgs('test/helpers/stalledDecision.ts'), JSON.stringify(config)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ids = await new Promise<{ kept: string; keptChosen: number; lost: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no stalled decision: ${out} ${err}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const k = /KEPT (\S+) (\d+)/.exec(out);
      const l = /STALLED (\S+)/.exec(out);
      if (k && l) {
        clearTimeout(timer);
        resolve({ kept: k[1]!, keptChosen: Number(k[2]), lost: l[1]! });
      }
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code}: ${err}`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  return ids;
}

const variants: { name: string; skip: boolean; config: () => ConfigInput }[] = [
  { name: 'SQLite', skip: false, config: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'nb-recover-')) }) },
  { name: 'PostgreSQL', skip: !pgUp, config: () => ({ store: `${PG_URL}?schema=${RUN}_pg`, dataDir: mkdtempSync(join(tmpdir(), 'nb-recover-')) }) },
  { name: 'PostgreSQL + Redis', skip: !pgUp || !redisUp, config: () => ({ store: `${PG_URL}?schema=${RUN}_redis`, cache: `${REDIS_URL}?prefix=${RUN}:`, dataDir: mkdtempSync(join(tmpdir(), 'nb-recover-')) }) },
];

describe('contacts of a decision killed before its record was logged', () => {
  afterAll(async () => {
    if (pgUp) {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      for (const s of [`${RUN}_pg`, `${RUN}_redis`]) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await admin.end();
    }
    if (redisUp) {
      const r = openRedis(REDIS_URL);
      const keys = await r.keys(`${RUN}:*`);
      if (keys.length) await r.del(...keys);
      await r.quit();
    }
  });

  for (const v of variants) {
    it.skipIf(v.skip)(`${v.name}: SIGKILL after the contact commit; the next start withdraws them and keeps the logged decision's`, async () => {
      const config: ConfigInput = { ...v.config(), log: { level: 'silent' }, decisioning: { catalogue }, privacy: { retentionEveryMinutes: 0 } };
      const ids = await killMidDecision(config);
      expect(ids.keptChosen).toBeGreaterThan(0);
      // Two minutes on: past the grace a shared store gives decisions under way on other instances.
      const engine = await createEngine(config, { clock: new ManualClock(Date.now() + 120_000) });
      try {
        const lost = (await engine.privacy.exportCustomer('lost')) as unknown as { contacts: { contacts: { decisionId: string }[] } };
        const kept = (await engine.privacy.exportCustomer('kept')) as unknown as { contacts: { contacts: { decisionId: string }[] } };
        expect(lost.contacts.contacts.map((c) => c.decisionId)).not.toContain(ids.lost);
        expect(kept.contacts.contacts.filter((c) => c.decisionId === ids.kept)).toHaveLength(ids.keptChosen);
        // Its messages are not sent either (SQLite keeps them with the contacts; PostgreSQL's outbox is in memory and died with the process).
        const messages = await engine.deliveries.list({ customerId: 'lost' });
        if (v.name === 'SQLite') expect(messages.length).toBeGreaterThan(0);
        expect(messages.filter((m) => m.status !== 'cancelled')).toEqual([]);
        const contacts = (engine as unknown as { parts: { backend: { contacts: { reservations(t: number): Promise<unknown[]> } } } }).parts.backend.contacts;
        expect(await contacts.reservations(Number.MAX_SAFE_INTEGER)).toEqual([]);
      } finally {
        await engine.close();
      }
    }, 120_000);
  }
});
