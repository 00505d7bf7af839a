import { describe, it, expect } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { WalCheckpointer } from '../../src/store/sqlite/checkpointer.js';

const walBytes = (path: string) => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;

describe('WAL checkpoints in a worker thread', () => {
  it('keeps the WAL bounded under steady writes, with the main connection never checkpointing', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-ckpt-')), 'db.sqlite');
    const db = openSqlite(path, { migrations: { module: 'ckpt_test', list: ['CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'] } });
    const c = new WalCheckpointer(db, { everyMs: 20, restartFrames: 300 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    const body = 'x'.repeat(4000); // about one page a row
    let maxWal = 0;
    // ~12 MB of rows over ~1.5 s, a commit per row: the WAL grows only until the worker catches up.
    for (let i = 0; i < 3000; i++) {
      insert.run(body);
      if (i % 100 === 0) {
        await new Promise((r) => setTimeout(r, 5));
        maxWal = Math.max(maxWal, walBytes(path));
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(c.stats.runs).toBeGreaterThan(5);
    expect(c.stats.catchUps).toBeGreaterThan(0);
    expect(c.stats.errors).toBe(0);
    // Passive runs alone leave the WAL holding all ~12 MB (it never starts over); with the
    // main connection catching up past 300 frames it stays a few MB.
    expect(maxWal).toBeLessThan(6 * 1024 * 1024);
    expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(3000);
    await c.stop();
    db.close();
  });

  it('never makes a write wait long while a reader pins the WAL', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-ckpt-')), 'db.sqlite');
    const db = openSqlite(path, { migrations: { module: 'ckpt_test', list: ['CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'] } });
    db.pragma('busy_timeout = 1000');
    const c = new WalCheckpointer(db, { everyMs: 10, restartFrames: 50 });
    // Another connection holds a read transaction open: a RESTART cannot finish while it does.
    const reader = openSqlite(path, { migrations: { module: 'ckpt_test', list: ['CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'] } });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM t').get();
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    let slowest = 0;
    for (let i = 0; i < 400; i++) {
      const t = performance.now();
      insert.run('y'.repeat(4000));
      slowest = Math.max(slowest, performance.now() - t);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 15));
    }
    reader.exec('COMMIT');
    expect(c.stats.runs).toBeGreaterThan(5);
    expect(slowest).toBeLessThan(500); // a RESTART from the worker held writes off until they timed out
    await c.stop();
    reader.close();
    db.close();
  });

  it('gives automatic checkpoints back to the main connection when the worker stops', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-ckpt-')), 'db.sqlite');
    const db = openSqlite(path, { migrations: { module: 'ckpt_test', list: ['CREATE TABLE t (id INTEGER PRIMARY KEY)'] } });
    const messages: string[] = [];
    const c = new WalCheckpointer(db, { everyMs: 1000, fallbackPages: 1234, onError: (m) => messages.push(m) });
    // An unexpected exit (not stop()): the worker is terminated from outside.
    await (c as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await new Promise((r) => setTimeout(r, 20));
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1234);
    expect(messages.join()).toMatch(/checkpoints again/);
    db.close();
  });
});
