/**
 * The event log's stored bodies after a position, a page at a time, read ahead on a worker
 * thread: the training snapshot's build reads the whole log, and stepping SQLite and making
 * each body a string took as long as everything the build does with it. The worker reads
 * the next page on its own read-only connection (WAL: it sees every committed event) while
 * the caller works on this one; a page crosses as one string and typed arrays (transferred),
 * and each body is a slice of that string. A short read (the first page not full) stays
 * on the caller's connection: no worker for a few events.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { StoredBodyPage } from '../eventLog.js';
import type { SqliteDb } from './db.js';

const SELECT = 'SELECT seq, t, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?';

// Plain CommonJS so the worker needs no TypeScript loader (as decisionLogWorker.ts).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const select = db.prepare(workerData.select).raw(true);
parentPort.on('message', (m) => {
  try {
    const rows = select.all(m.after, m.limit);
    const n = rows.length;
    const seq = new Float64Array(n), t = new Float64Array(n), ends = new Uint32Array(n);
    const parts = new Array(n);
    let len = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      seq[i] = r[0];
      t[i] = r[1];
      parts[i] = r[2];
      len += r[2].length;
      ends[i] = len;
    }
    parentPort.postMessage({ seq, t, text: parts.join(''), ends }, [seq.buffer, t.buffer, ends.buffer]);
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message) });
  }
});
`;
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

interface WirePage {
  seq: Float64Array;
  t: Float64Array;
  text: string;
  ends: Uint32Array;
  error?: string;
}

const fromRows = (rows: [number, number, string][]): StoredBodyPage => ({ seq: Float64Array.from(rows, (r) => r[0]), t: Float64Array.from(rows, (r) => r[1]), bodies: rows.map((r) => r[2]) });

function fromWire(p: WirePage): StoredBodyPage {
  const bodies = new Array<string>(p.ends.length);
  let a = 0;
  for (let i = 0; i < bodies.length; i++) {
    const b = p.ends[i]!;
    bodies[i] = p.text.slice(a, b);
    a = b;
  }
  return { seq: p.seq, t: p.t, bodies };
}

/** Pages of stored bodies after `after`, in position order, until the log's end. */
export async function* bodyPages(db: SqliteDb, after: number, pageSize: number): AsyncIterable<StoredBodyPage> {
  const select = db.prepare(SELECT).raw(true);
  const first = select.all(after, pageSize) as [number, number, string][];
  if (first.length === 0) return;
  yield fromRows(first);
  if (first.length < pageSize) return;
  after = first[first.length - 1]![0];
  if (db.memory) {
    // No file another connection could open: read here.
    for (;;) {
      const rows = select.all(after, pageSize) as [number, number, string][];
      if (rows.length === 0) return;
      yield fromRows(rows);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]![0];
    }
  }
  const worker = new Worker(WORKER, { eval: true, workerData: { betterSqlite3: BETTER_SQLITE3, path: db.name, select: SELECT } });
  let pending: { resolve: (p: WirePage) => void; reject: (e: Error) => void } | undefined;
  let failed: Error | undefined;
  const fail = (e: Error) => {
    failed ??= e;
    pending?.reject(e);
    pending = undefined;
  };
  worker.on('message', (m: WirePage) => {
    const p = pending;
    pending = undefined;
    if (m.error !== undefined) p?.reject(new Error(`reading the event log: ${m.error}`));
    else p?.resolve(m);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`event log reader stopped (exit ${code})`)));
  const request = (from: number): Promise<WirePage> =>
    new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      pending = { resolve, reject };
      worker.postMessage({ after: from, limit: pageSize });
    });
  try {
    let next = request(after);
    // A failure while the caller works on a page is thrown when it asks for the next one.
    next.catch(() => undefined);
    for (;;) {
      const page = await next;
      const n = page.ends.length;
      if (n === 0) return;
      // The next page is read while the caller works on this one.
      if (n === pageSize) {
        next = request(page.seq[n - 1]!);
        next.catch(() => undefined);
      }
      yield fromWire(page);
      if (n < pageSize) return;
    }
  } finally {
    pending = undefined;
    failed ??= new Error('event log reader closed');
    await worker.terminate();
  }
}
