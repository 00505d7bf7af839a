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
      const req = http.request({ hostname: u.hostname, port: u.port, path: '/v1/events', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, accepted: (JSON.parse(text) as { accepted: number }).accepted }));
      });
      req.on('error', reject);
      // Signal as soon as the whole body is on the wire: the server is now mid-request.
      req.end(body, () => setTimeout(() => child.kill('SIGTERM'), 5));
    });
    const r = await response;
    expect(r).toEqual({ status: 200, accepted: 10_000 });
    expect(await exited(child)).toBe('0');
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' } });
    expect(await engine.stores.eventLog.count()).toBe(10_000);
    await engine.close();
  });
});
