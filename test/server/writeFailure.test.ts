/**
 * Disk full, injected: the adapters of an embedded (SQLite) engine throw what SQLite throws
 * when the disk is full. Writes answer 503 STORE_WRITE_FAILED with nothing kept, `/readyz`
 * turns not ready (reasons behind audit:read only), and a contact is never kept without its
 * decision record.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/store/backend.js';
import { testApp } from '../helpers/app.js';
import { exampleEvents } from '../helpers/events.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

/** Makes `obj[method]` throw `error()` until the returned function is called. */
function failing<T extends object>(obj: T, method: keyof T & string, error: () => Error): () => void {
  const original = obj[method];
  (obj as Record<string, unknown>)[method] = async () => {
    throw error();
  };
  return () => void ((obj as Record<string, unknown>)[method] = original);
}

const backendOf = (engine: object) => (engine as { parts: { backend: Backend } }).parts.backend;

describe('a store that refuses writes (disk full)', () => {
  let t: Awaited<ReturnType<typeof testApp>> | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function open(holdSeconds: number) {
    t = await testApp({ store: 'sqlite', dataDir: mkdtempSync(join(tmpdir(), 'nb-diskfull-')), decisioning: { catalogue }, health: { writeFailureHoldSeconds: holdSeconds }, privacy: { retentionEveryMinutes: 0 } });
    await t.engine.upsertCustomers([{ customerId: 'df-1', dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } }]);
    expect((await t.engine.ingest(exampleEvents('df-1', '2026-03-01T09:00:00Z', 'df').filter((e) => e.customerId !== '*' && e.type !== 'consent_change'))).rejected).toBe(0);
    return t;
  }

  it('a decision whose record cannot be logged keeps no contact; /readyz is not ready and says why only to operators', async () => {
    const { app, post, engine } = await open(3600);
    const backend = backendOf(engine);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const restore = failing(backend.decisionLog, 'append', diskFull);
    const refused = await post('/v1/decisions', { customerId: 'df-1', channel: 'in_app', n: 2 });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatchObject({ code: 'STORE_WRITE_FAILED', details: { what: 'decide' } });
    // The contacts committed before the log refused the record were withdrawn.
    expect((await backend.contacts.history('df-1', 0)).contacts).toEqual([]);
    expect(await backend.decisionLog.listCustomer('df-1', 10)).toEqual([]);

    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().error.code).toBe('NOT_READY');
    expect(ready.body).not.toContain('disk');
    const why = (await app.inject({ url: '/v1/ops/readiness' })).json();
    expect(why).toMatchObject({ ready: false, writes: { ok: false, failure: { what: 'decide', message: 'database or disk is full', count: 1 } } });

    // Once the store takes writes again, the same decision goes through and its contacts are kept with it.
    restore();
    const ok = await post('/v1/decisions', { customerId: 'df-1', channel: 'in_app', n: 2 });
    expect(ok.statusCode).toBe(200);
    const chosen = (ok.json().chosen as { actionId: string }[]).map((c) => c.actionId);
    expect(chosen.length).toBeGreaterThan(0);
    expect((await backend.contacts.history('df-1', 0)).contacts.map((c) => c.actionId).sort()).toEqual([...chosen].sort());
    expect(await backend.decisionLog.listCustomer('df-1', 10)).toHaveLength(1);
    // Still held not ready: a disk that filled up does not recover because one write fitted.
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
  });

  it('a decision to deliver whose record cannot be logged leaves no message in the outbox', async () => {
    const { post, engine } = await open(3600);
    const backend = backendOf(engine);
    const restore = failing(backend.decisionLog, 'append', diskFull);
    const refused = await post('/v1/decisions', { customerId: 'df-1', channel: 'in_app', n: 1, deliver: true });
    expect(refused.statusCode).toBe(503);
    restore();
    const left = await engine.deliveries.list({ customerId: 'df-1' });
    // Written with the contacts, then cancelled with them: nothing the app could pull.
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((e) => e.status === 'cancelled' && e.lastError === 'its decision record could not be logged')).toBe(true);
  });

  it('an ingest the log refuses stores nothing and answers 503; readiness returns once a probe write succeeds', async () => {
    const { app, post, engine } = await open(0);
    const backend = backendOf(engine);
    const before = await engine.stats();
    const restoreLog = failing(backend.eventLog, 'appendMany', diskFull);
    const res = await post('/v1/events', { events: [{ eventId: 'df-new-1', customerId: 'df-1', occurredAt: '2026-03-01T10:00:00Z', schemaVersion: 1, type: 'login', payload: { channel: 'web' } }, { bad: true }] });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'STORE_WRITE_FAILED', details: { what: 'ingest' } });
    expect(await engine.stats()).toMatchObject({ events: before.events, rejects: before.rejects });

    // The probe (a checkpoint write) fails too: still not ready, however long ago the failure was.
    const restoreProbe = failing(backend.checkpoints, 'put', () => Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }));
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/v1/ops/readiness' })).json().writes.failure).toMatchObject({ what: 'probe', message: 'disk I/O error' });
    restoreProbe();
    restoreLog();
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    expect((await post('/v1/events', { events: [{ eventId: 'df-new-1', customerId: 'df-1', occurredAt: '2026-03-01T10:00:00Z', schemaVersion: 1, type: 'login', payload: { channel: 'web' } }] })).json().accepted).toBe(1);
  });

  it('when the full disk refuses the withdrawal too, it is retried: not ready until the contacts are gone', async () => {
    const { app, post, engine } = await open(0);
    const backend = backendOf(engine);
    const restoreLog = failing(backend.decisionLog, 'append', diskFull);
    const restoreRetract = failing(backend.contacts, 'retract', diskFull);
    expect((await post('/v1/decisions', { customerId: 'df-1', channel: 'in_app', n: 2 })).statusCode).toBe(503);
    // Kept for now, and the instance says so.
    expect((await backend.contacts.history('df-1', 0)).contacts.length).toBeGreaterThan(0);
    restoreLog();
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/v1/ops/readiness' })).json().writes.failure.message).toMatch(/contacts or messages of 1 unlogged decisions are not yet withdrawn/);
    restoreRetract();
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await backend.contacts.history('df-1', 0)).contacts).toEqual([]);
  });

  it('when the outbox refuses the cancellation too, it is retried: not ready until the message is cancelled', async () => {
    const { app, post, engine } = await open(0);
    const backend = backendOf(engine);
    const restoreLog = failing(backend.decisionLog, 'append', diskFull);
    const restoreCancel = failing(backend.outbox!, 'cancelKeys', diskFull);
    expect((await post('/v1/decisions', { customerId: 'df-1', channel: 'in_app', n: 1, deliver: true })).statusCode).toBe(503);
    // The contacts were withdrawn, but the message is still there to be pulled: the instance says so.
    expect((await engine.deliveries.list({ customerId: 'df-1' })).map((e) => e.status)).toEqual(['pending']);
    restoreLog();
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/v1/ops/readiness' })).json().writes.failure.message).toMatch(/contacts or messages of 1 unlogged decisions are not yet withdrawn/);
    restoreCancel();
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const left = await engine.deliveries.list({ customerId: 'df-1' });
    expect(left.map((e) => [e.status, e.lastError])).toEqual([['cancelled', 'its decision record could not be logged']]);
  });

  it('a bug is not a storage failure: it stays a 500 and readiness is unchanged', async () => {
    const { app, post, engine } = await open(3600);
    const restore = failing(backendOf(engine).decisionLog, 'append', () => new TypeError('cannot read properties of undefined'));
    expect((await post('/v1/decisions', { customerId: 'df-1', channel: 'in_app', n: 1 })).statusCode).toBe(500);
    restore();
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    // Its contacts were withdrawn all the same.
    expect((await backendOf(engine).contacts.history('df-1', 0)).contacts).toEqual([]);
  });
});
