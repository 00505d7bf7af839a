import { describe, expect, it } from 'vitest';
import { BankEvent, type StoredEvent } from '../../src/core/events.js';
import { DeliveryConsumer } from '../../src/channels/consumer.js';
import { deliveriesFor } from '../../src/channels/deliveries.js';
import { Dispatcher } from '../../src/channels/dispatcher.js';
import { MemoryOutbox } from '../../src/store/memory/outbox.js';

const T = Date.parse('2026-03-01T09:00:00Z');
const decision = (id: string, customerId: string, channel: string) => ({
  decisionId: id,
  customerId,
  channel,
  decidedAt: new Date(T).toISOString(),
  chosen: [{ actionId: 'ts_invest_balanced', headline: 'Put your savings to work', body: 'A balanced fund…', treatment: { tone: 'plain' } }],
});
let seq = 0;
const consent = (customerId: string, granted: boolean, channel?: string): StoredEvent => ({
  seq: ++seq,
  t: T + seq,
  recordedAt: T + seq,
  event: BankEvent.parse({ eventId: `cc${seq}`, customerId, occurredAt: new Date(T + seq).toISOString(), schemaVersion: 1, type: 'consent_change', payload: { purpose: 'marketing', granted, ...(channel ? { channel } : {}) } }),
});

function checkpoints() {
  const m = new Map<string, number>();
  return { get: async (n: string) => m.get(n), put: async (n: string, s: number) => void m.set(n, s) };
}

describe('deliveries from a decision', () => {
  it('one entry per chosen action, keyed by decision, action and channel, with the message', () => {
    const [e] = deliveriesFor(decision('d1', 'c1', 'push'), { ttlMs: 3_600_000 });
    expect(e).toEqual({ key: 'd1:ts_invest_balanced:push', decisionId: 'd1', actionId: 'ts_invest_balanced', customerId: 'c1', channel: 'push', worklist: '', message: { headline: 'Put your savings to work', body: 'A balanced fund…', treatment: { tone: 'plain' } }, createdAt: T, expiresAt: T + 3_600_000 });
  });
});

describe('consent withdrawal', () => {
  it('cancels pending deliveries (on the channel named, or all), and nothing is sent after it', async () => {
    const box = new MemoryOutbox();
    await box.enqueue([...deliveriesFor(decision('d1', 'c1', 'push')), ...deliveriesFor(decision('d2', 'c1', 'email')), ...deliveriesFor(decision('d3', 'c2', 'push'))]);
    const cancelled: string[] = [];
    const consumer = new DeliveryConsumer(box, checkpoints(), (_c, keys) => cancelled.push(...keys));
    await consumer.apply([consent('c1', false, 'email'), consent('c2', true)]);
    expect(cancelled).toEqual(['d2:ts_invest_balanced:email']);
    await consumer.apply([consent('c1', false)]);
    expect(cancelled).toEqual(['d2:ts_invest_balanced:email', 'd1:ts_invest_balanced:push']);
    const sent: string[] = [];
    const d = new Dispatcher({
      outbox: box,
      adapters: ['push', 'email'].map((channel) => ({ channel, send: async (e) => (sent.push(e.key), { ok: true as const }) })),
      clock: () => T + 1000,
      random: () => 0,
      id: 'd',
    });
    await d.pass();
    expect(sent).toEqual(['d3:ts_invest_balanced:push']);
    expect(await consumer.open()).toBe(seq);
  });
});
