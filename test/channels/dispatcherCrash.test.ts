import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/channels/dispatcher.js';
import { WebhookAdapter } from '../../src/channels/webhook.js';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteOutbox } from '../../src/store/sqlite/outbox.js';
import { outboxKey } from '../../src/store/outbox.js';
import { exited } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/webhookReceiver.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'crash-secret-0123456789abcdef012345678';
const N = 400;

describe('dispatcher killed with SIGKILL mid-delivery', () => {
  it('a second dispatcher delivers the rest once the dead one\'s leases run out; each key\'s effect once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-dispatch-')), 'outbox.db');
    const db = openSqlite(path, { shared: true });
    const box = new SqliteOutbox(db);
    const now = Date.now();
    const keys = Array.from({ length: N }, (_, i) => outboxKey(`d${i}`, 'sav_easy_access', 'push'));
    await box.enqueue(keys.map((key, i) => ({ key, decisionId: `d${i}`, actionId: 'sav_easy_access', customerId: `c${i % 31}`, channel: 'push', worklist: '', message: { headline: 'Save more' }, createdAt: now })));
    // Every response takes 30 ms after the effect is applied: a kill lands between effect and settlement.
    const receiver = new WebhookReceiver(SECRET, () => 'slow');
    const url = await receiver.start();
    const child = spawn(process.execPath, [...nodeArgs('test/channels/dispatchWorker.ts'), path, url, SECRET], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const until = Date.now() + 30_000;
    while (receiver.effects.size < N / 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(receiver.effects.size, stderr).toBeGreaterThanOrEqual(N / 3);
    child.kill('SIGKILL');
    expect(await exited(child)).toBe('SIGKILL');
    const afterKill = await box.counts();
    expect(afterKill.leased).toBeGreaterThan(0); // it died holding leases

    // The survivor, 6 s later on its clock (past the 5 s leases), takes over.
    const survivor = new Dispatcher({
      outbox: box,
      adapters: [new WebhookAdapter({ channel: 'push', url, secret: SECRET, clock: Date.now })],
      clock: () => Date.now() + 6_000,
      random: Math.random,
      id: 'survivor',
      batch: 50,
    });
    for (let i = 0; i < 100 && ((await box.counts()).delivered < N); i++) await survivor.pass();
    expect(await box.counts()).toEqual({ pending: 0, leased: 0, delivered: N, dead: 0, cancelled: 0 });
    for (const k of keys) expect(receiver.effects.get(k)).toBe(1);
    // Some were sent by both: the receiver's dedupe, not luck, kept their effect single.
    expect([...receiver.requests.values()].filter((n) => n > 1).length).toBeGreaterThan(0);
    await receiver.stop();
    db.close();
  }, 60_000);
});
