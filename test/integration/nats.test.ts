import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createEngine, publishEvents } from '../../src/index.js';
import { serviceAvailable } from './services.js';
import { exited } from '../helpers/server.js';

const NATS = 'nats://127.0.0.1:4222';
const available = await serviceAvailable('NATS', 4222);
const root = fileURLToPath(new URL('../..', import.meta.url));

const login = (i: number, run: string) => ({ eventId: `${run}-${i}`, customerId: `c${i % 37}`, type: 'login', occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), schemaVersion: 1, payload: { channel: i % 2 ? 'web' : 'mobile_app' } });

async function dropStream(stream: string) {
  const nc = await connect({ servers: NATS });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
}

describe.skipIf(!available)('NATS JetStream ingest (needs NATS on 127.0.0.1:4222)', () => {
  it('consumes a stream with duplicates and malformed messages: stores each good event once, quarantines the bad', async () => {
    const run = `r${Date.now()}`;
    const stream = `NB_TEST_${run}`;
    const prefix = `nbtest.${run}`;
    const good = Array.from({ length: 3000 }, (_, i) => login(i, run));
    const bad = ['{not json', JSON.stringify({ ...login(9999, run), payload: { channel: 'fax' } })];
    await publishEvents(NATS, [...good, ...good.slice(0, 500), ...bad], { stream, subjectPrefix: prefix });
    const engine = await createEngine({ store: 'memory', log: { level: 'silent' } });
    const totals = await engine.consumeStream({ servers: NATS, stream, subjectPrefix: prefix, durable: 'test', batchSize: 400, fetchExpiresMs: 1000, idleExitMs: 1500 });
    expect(totals).toEqual({ messages: 3502, accepted: 3000, duplicates: 500, rejected: 2 });
    expect(await engine.stores.eventLog.count()).toBe(3000);
    const rejects = await engine.rejects();
    expect(rejects.map((r) => r.issues[0]!.rule).sort()).toEqual(['enum', 'json']);
    expect(rejects.every((r) => r.source === 'stream')).toBe(true);
    // one customer's events come back in event-time order
    const c = await engine.customerEvents('c5');
    expect(c.map((e) => e.t)).toEqual([...c.map((e) => e.t)].sort((a, b) => a - b));
    await engine.close();
    await dropStream(stream);
  });

  it('a consumer killed mid-stream and restarted leaves every event stored exactly once', async () => {
    const run = `k${Date.now()}`;
    const stream = `NB_TEST_${run}`;
    const prefix = `nbtest.${run}`;
    const events = Array.from({ length: 20_000 }, (_, i) => login(i, run));
    await publishEvents(NATS, events, { stream, subjectPrefix: prefix });
    const dir = mkdtempSync(join(tmpdir(), 'nb-nats-'));
    const args = [...nodeArgs('src/cli/main.ts'), 'consume', '--nats', NATS, '--stream', stream, '--subject-prefix', prefix, '--durable', 'crash', '--batch', '200', '--ack-wait', '2', '--data-dir', dir];
    const first = spawn(process.execPath, [...args], { cwd: root, env: { ...process.env, NEXTBEST_LOG_LEVEL: 'silent' }, stdio: 'ignore' });
    // Kill it once some, but not all, events are durable.
    // Read the file, not a second engine: the consumer holds the data dir (one process per data dir).
    const stored = () => {
      try {
        const db = new Database(join(dir, 'nextbest.db'), { readonly: true, fileMustExist: true });
        try {
          return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
        } finally {
          db.close();
        }
      } catch {
        return 0; // not created yet
      }
    };
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (stored() > 2000) break;
    }
    first.kill('SIGKILL');
    await exited(first);
    const partial = stored();
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(20_000);

    const second = spawn(process.execPath, [...args, '--idle-exit', '5'], { cwd: root, env: { ...process.env, NEXTBEST_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    second.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    expect(await exited(second)).toBe('0');
    const totals = JSON.parse(out.trim().split('\n').pop()!) as { accepted: number; duplicates: number };
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' } });
    const ids: string[] = [];
    for await (const page of engine.stores.eventLog.scan()) ids.push(...page.map((e) => e.event.eventId));
    await engine.close();
    expect(ids.length).toBe(20_000);
    expect(new Set(ids).size).toBe(20_000);
    expect(partial + totals.accepted).toBe(20_000);
    await dropStream(stream);
  });
});
