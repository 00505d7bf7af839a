/**
 * The probes of the security review (issue 14), scripted against a server as `serve` runs
 * it: secure by default, on the embedded store, over real sockets (not inject), so they stay
 * fixed. Each `it` names the finding it re-runs.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { issueApiKey } from '../../src/server/apiKeys.js';
import { buildApp } from '../../src/server/app.js';
import { exampleEvents } from '../helpers/events.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
type Doc = { paths: Record<string, Record<string, unknown>> };

/** One raw HTTP/1.1 exchange on its own connection: the status and the body as text. */
function raw(port: number, method: string, target: string, o: { headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      const headers = { Host: '127.0.0.1', Connection: 'close', ...(o.body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(o.body)) } : {}), ...o.headers };
      s.write(`${method} ${target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${o.body ?? ''}`);
    });
    let buf = '';
    s.on('data', (d) => (buf += d.toString()));
    s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(buf)?.[1]), body: buf.slice(buf.indexOf('\r\n\r\n') + 4) }));
    s.on('error', reject);
  });
}

/** Files under a folder holding any of the needles. */
function scan(dir: string, needles: readonly string[]): string[] {
  const hits: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hits.push(...scan(path, needles));
    else for (const n of needles) if (readFileSync(path).includes(Buffer.from(n))) hits.push(`${name}: ${n}`);
  }
  return hits;
}

describe('the security review, re-run', () => {
  let engine: Engine;
  let app: ReturnType<typeof buildApp>;
  let port: number;
  let dataDir: string;
  let admin: Record<string, string>;
  let privacy: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'nb-probes-'));
    engine = await createEngine(
      { dataDir, log: { level: 'silent' }, decisioning: { catalogue }, privacy: { retentionEveryMinutes: 0 }, server: { timeouts: { headersMs: 300, requestMs: 600 }, maxConnections: 40, rateLimit: { perKey: { max: 100_000 }, perCustomer: { max: 100_000 } } } },
      { clock: new ManualClock('2026-03-01T12:00:00Z') },
    );
    // Built with no options: what `serve` does unless told otherwise (keys required).
    app = buildApp(engine, { logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
    const key = async (scopes: ('admin' | 'privacy')[]) => ({ authorization: `Bearer ${(await issueApiKey(engine.apiKeys, { name: scopes.join('+'), scopes, expiresAt: null }, { now: Date.now() })).key}` });
    admin = await key(['admin']);
    privacy = await key(['privacy']);
  });
  afterAll(async () => {
    await app?.close();
    await engine?.close();
  });

  it('"all 29 routes answer anonymous clients", "the key check can be bypassed": every operation, in every spelling, is 401 (or no route) without a key', async () => {
    const doc = JSON.parse((await raw(port, 'GET', '/openapi.json')).body) as Doc;
    let probed = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      const url = path.replace(/\{[^}]+\}/g, 'c1');
      const spellings = [url, url.replace('/v1/', '/%76%31/'), url.replace(/\/v1\/(\w)/, (_m, c: string) => `/v1/%${c.charCodeAt(0).toString(16)}`), `http://127.0.0.1${url}`, `http://evil.example${url}`, `/${url}`, url.replace('/v1/', '/v1//'), `${url}?x=1`];
      for (const method of Object.keys(methods)) {
        for (const target of spellings) {
          const r = await raw(port, method.toUpperCase(), target, method === 'get' || method === 'delete' ? {} : { body: '{}' });
          expect([400, 401, 404], `${method.toUpperCase()} ${target}`).toContain(r.status);
          probed++;
        }
        // The documented spelling is always matched, so always refused for want of a key.
        expect((await raw(port, method.toUpperCase(), url, method === 'get' || method === 'delete' ? {} : { body: '{}' })).status, `${method} ${url}`).toBe(401);
      }
    }
    expect(probed).toBeGreaterThan(200);
  });

  it('"19,800 slow-body connections were held open": a flood of slow bodies never holds more than maxConnections, and each is cut off', async () => {
    const sockets: Socket[] = [];
    let peak = 0;
    const counting = setInterval(() => app.server.getConnections((_e, n) => (peak = Math.max(peak, n))), 20);
    const closed = Array.from({ length: 120 }, () =>
      new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.write('POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n['));
        sockets.push(s);
        s.on('data', () => undefined);
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      }),
    );
    const started = Date.now();
    await Promise.all(closed);
    clearInterval(counting);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(peak).toBeLessThanOrEqual(40);
    // And the server answers once they are gone.
    expect((await raw(port, 'GET', '/healthz')).status).toBe(200);
  });

  it('"DELETE of any unknown id, even *, creates a permanent tombstone", "ids of 101–128 characters cannot be erased": 404 for both, every valid length erasable', async () => {
    await engine.ingest(exampleEvents('probe-m', '2026-03-01T09:00:00Z', 'probe-m').filter((e) => e.customerId === '*'));
    const market = await engine.stores.eventLog.count({ customerId: '*' });
    for (const target of ['/v1/customers/*', '/v1/customers/%2A', '/v1/customers/nobody-here']) expect((await raw(port, 'DELETE', target, { headers: privacy })).status, target).toBe(404);
    expect(await engine.stores.eventLog.count({ customerId: '*' })).toBe(market);
    expect((await engine.stores.customers.erasedAmong(['*', 'nobody-here'])).size).toBe(0);
    for (let n = 101; n <= 128; n++) {
      const id = `p${'x'.repeat(n - 1)}`;
      expect((await raw(port, 'PUT', `/v1/customers/${id}`, { headers: admin, body: JSON.stringify({ dateOfBirth: '1980-01-01' }) })).status, `${n}`).toBeLessThan(300);
      expect((await raw(port, 'DELETE', `/v1/customers/${id}`, { headers: privacy })).status, `erase an id of ${n} characters`).toBe(200);
    }
    expect((await raw(port, 'DELETE', `/v1/customers/p${'x'.repeat(128)}`, { headers: privacy })).status).toBe(422);
  });

  it('"decisions in flight are logged after the erasure", "events sent after erasure keep the raw body in the quarantine": erasure racing decisions and events over HTTP leaves nothing', async () => {
    const needles: string[] = [];
    for (let trial = 0; trial < 6; trial++) {
      const id = `probe-race-${trial}-q`;
      const email = `probe.race${trial}@example.org`;
      const name = `Probe Racer${trial}q`;
      needles.push(id, email, name);
      const put = await raw(port, 'PUT', `/v1/customers/${id}`, { headers: admin, body: JSON.stringify({ dateOfBirth: '1984-02-02', consents: { marketing: true, personalised_offers: true }, attributes: { email, full_name: name } }) });
      expect(put.status).toBeLessThan(300);
      await raw(port, 'POST', '/v1/events', { headers: admin, body: JSON.stringify({ events: exampleEvents(id, '2026-03-01T09:00:00Z', id).filter((e) => e.customerId !== '*' && e.type !== 'consent_change') }) });
      const decisions = Array.from({ length: 8 }, (_, k) => raw(port, 'POST', '/v1/decisions', { headers: admin, body: JSON.stringify({ customerId: id, channel: k % 2 ? 'email' : 'in_app', n: 1 }) }));
      // Half refused (a field no schema has), their raw bodies naming the customer.
      const events = Array.from({ length: 4 }, (_, k) =>
        raw(port, 'POST', '/v1/events', { headers: admin, body: JSON.stringify({ events: [{ eventId: `${id}-late-${k}`, customerId: id, occurredAt: '2026-03-01T11:00:00Z', schemaVersion: 1, type: 'login', payload: { channel: 'web', ...(k % 2 ? { note: `${name} ${email}` } : {}) } }] }) }),
      );
      const erase = raw(port, 'DELETE', `/v1/customers/${id}`, { headers: privacy });
      const answers = await Promise.all([...decisions, ...events, erase]);
      for (const a of answers) expect(a.status, a.body).toBeLessThan(500);
      expect((await erase).status).toBe(200);
      // An event sent now is refused, and the quarantine keeps only that it was.
      const late = await raw(port, 'POST', '/v1/events', { headers: admin, body: JSON.stringify({ events: [{ eventId: `${id}-after`, customerId: id, occurredAt: '2026-03-01T11:30:00Z', schemaVersion: 1, type: 'login', payload: { channel: 'web' } }] }) });
      expect(JSON.parse(late.body).results[0]).toMatchObject({ status: 'rejected', issues: [{ rule: 'erased_customer' }] });
    }
    const quarantine = await raw(port, 'GET', '/v1/ingest/rejects?limit=1000', { headers: admin });
    for (const n of needles) expect(quarantine.body).not.toContain(n);
    await engine.consumers.caughtUp();
    expect(scan(dataDir, needles)).toEqual([]);
  });

  it('readiness: public /readyz says only the verdict, its reasons need a key (the full-disk probe is test/server/writeFailure.test.ts)', async () => {
    const ready = await raw(port, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready' });
    expect((await raw(port, 'GET', '/v1/ops/readiness')).status).toBe(401);
    expect(JSON.parse((await raw(port, 'GET', '/v1/ops/readiness', { headers: admin })).body)).toMatchObject({ ready: true, writes: { ok: true } });
  });
});
