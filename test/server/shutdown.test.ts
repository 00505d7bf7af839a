import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { startServer, exited } from '../helpers/server.js';
import { createEngine } from '../../src/engine.js';

describe('graceful shutdown', () => {
  it('finishes a request in flight when SIGTERM arrives, then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-stop-'));
    const { url, child } = await startServer(dir);
    const events = Array.from({ length: 10_000 }, (_, i) => ({ eventId: `s-${i}`, customerId: `c${i % 50}`, type: 'login', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1, payload: { channel: 'web' } }));
    const body = JSON.stringify({ events });
    const u = new URL(url);
    const response = new Promise<{ status: number; accepted: number }>((resolve, reject) => {
      // Expect: 100-continue: the server answers "continue" once it has the request and its route
      // has begun (Node emits the request as it sends the 100), so a signal sent after the body
      // reaches a request in flight whatever the load; without it the signal could win the race
      // to a request the server had not read yet, which is answered 503 (shutting down) by design.
      const req = http.request({ hostname: u.hostname, port: u.port, path: '/v1/events', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, accepted: (JSON.parse(text) as { accepted: number }).accepted }));
      });
      req.on('error', reject);
      req.on('continue', () => req.end(body, () => setTimeout(() => child.kill('SIGTERM'), 5)));
      req.flushHeaders();
    });
    const r = await response;
    expect(r).toEqual({ status: 200, accepted: 10_000 });
    expect(await exited(child)).toBe('0');
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' } });
    expect(await engine.stores.eventLog.count()).toBe(10_000);
    await engine.close();
  });
});
