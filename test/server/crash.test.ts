import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, exited } from '../helpers/server.js';
import { createEngine } from '../../src/engine.js';

const event = (i: number) => ({
  eventId: `crash-${i}`,
  customerId: `c${i % 97}`,
  type: 'card_payment',
  occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  schemaVersion: 1,
  payload: { amount: { minor: -(100 + (i % 5000)), currency: 'GBP' }, merchantCategoryCode: '5411' },
});

async function post(url: string, events: unknown[]): Promise<{ status: number; body: { results?: { status: string; eventId: string }[] } }> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  return { status: res.status, body: (await res.json()) as { results?: { status: string; eventId: string }[] } };
}

describe('crash safety', () => {
  it('keeps every acknowledged event exactly once after SIGKILL mid-stream, and a resend completes the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-crash-'));
    const { url, child } = await startServer(dir);
    const acked = new Set<string>();
    const sent = new Set<string>();
    let next = 0;
    let killed = false;
    const BATCH = 100;
    // Four concurrent clients stream batches until the server dies under them.
    const client = async () => {
      while (!killed) {
        const batch = Array.from({ length: BATCH }, () => event(next++));
        batch.forEach((e) => sent.add(e.eventId));
        try {
          const r = await post(url, batch);
          if (r.status === 200) for (const x of r.body.results ?? []) if (x.status === 'accepted') acked.add(x.eventId);
        } catch {
          return; // connection reset: the server is gone
        }
        if (acked.size >= 4000 && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    expect(await exited(child)).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(4000);

    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' } });
    const stored: string[] = [];
    for await (const page of engine.stores.eventLog.scan()) stored.push(...page.map((e) => e.event.eventId));
    await engine.close();
    const storedSet = new Set(stored);
    expect(stored.length).toBe(storedSet.size); // exactly once
    for (const id of acked) expect(storedSet.has(id)).toBe(true); // nothing acknowledged is lost
    for (const id of storedSet) expect(sent.has(id)).toBe(true); // nothing that was not sent

    // The client resends everything it had not seen acknowledged; the log ends complete, no duplicates.
    const again = await startServer(dir);
    const missing = [...sent].filter((id) => !acked.has(id)).map((id) => event(Number(id.slice(6))));
    for (let i = 0; i < missing.length; i += 500) {
      const r = await post(again.url, missing.slice(i, i + 500));
      expect(r.status).toBe(200);
      for (const x of r.body.results ?? []) expect(['accepted', 'duplicate']).toContain(x.status);
    }
    const ready = (await (await fetch(`${again.url}/v1/ops/readiness`)).json()) as { events: number };
    expect(ready.events).toBe(sent.size);
    again.child.kill('SIGTERM');
    expect(await exited(again.child)).toBe('0');
  });

  it('keeps every acknowledged decision in the log after SIGKILL mid-stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-crash-dec-'));
    const { url, child } = await startServer(dir);
    const customers = Array.from({ length: 50 }, (_, i) => ({ customerId: `k${i}`, dateOfBirth: '1980-05-01', consents: { marketing: true, personalised_offers: true } }));
    const up = await fetch(`${url}/v1/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customers }) });
    expect(up.status).toBe(200);
    const acked: string[] = [];
    let killed = false;
    let k = 0;
    const client = async () => {
      while (!killed) {
        try {
          const res = await fetch(`${url}/v1/decisions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customerId: `k${k++ % 50}`, channel: 'in_app' }) });
          if (res.status === 200) acked.push(((await res.json()) as { decisionId: string }).decisionId);
        } catch {
          return;
        }
        if (acked.length >= 300 && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    expect(await exited(child)).toBe('SIGKILL');
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' } });
    try {
      for (const id of acked) expect((await engine.decision(id)).decisionId).toBe(id);
    } finally {
      await engine.close();
    }
  });
});
