import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { Dispatcher } from '../../src/channels/dispatcher.js';
import { verifyWebhook, webhookSignature, WebhookAdapter } from '../../src/channels/webhook.js';
import type { DeliveryReceipt } from '../../src/channels/adapter.js';
import { MemoryOutbox } from '../../src/store/memory/outbox.js';
import { outboxKey, type NewOutboxEntry, type Outbox } from '../../src/store/outbox.js';
import { WebhookReceiver, type ReceiverMode } from '../helpers/webhookReceiver.js';

const SECRET = 'test-secret-0123456789abcdef0123456789';

function entries(n: number, channel = 'push'): NewOutboxEntry[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({ key: outboxKey(`d${i}`, 'ts_invest_balanced', channel), decisionId: `d${i}`, actionId: 'ts_invest_balanced', customerId: `c${i % 17}`, channel, worklist: '', message: { headline: 'Put your savings to work' }, createdAt: now }));
}

/** Runs passes until nothing is pending or leased, or the deadline. */
async function drain(d: Dispatcher, box: Outbox, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await d.pass();
    const c = await box.counts();
    if (c.pending + c.leased === 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

describe('webhook signature', () => {
  it('verifies a genuine, fresh delivery and refuses a tampered, stale or unsigned one', () => {
    const body = '{"a":1}';
    const ts = 1_700_000_000;
    const sig = `v1=${webhookSignature(SECRET, ts, body)}`;
    expect(verifyWebhook(SECRET, { signature: sig, timestamp: String(ts) }, body, ts * 1000)).toBeUndefined();
    expect(verifyWebhook(SECRET, { signature: sig, timestamp: String(ts) }, '{"a":2}', ts * 1000)).toBe('bad signature');
    expect(verifyWebhook(SECRET, { signature: sig, timestamp: String(ts + 1) }, body, ts * 1000)).toBe('bad signature');
    expect(verifyWebhook('another-secret-0123456789abcdef0123', { signature: sig, timestamp: String(ts) }, body, ts * 1000)).toBe('bad signature');
    expect(verifyWebhook(SECRET, { signature: sig, timestamp: String(ts) }, body, (ts + 301) * 1000)).toMatch(/tolerance/);
    expect(verifyWebhook(SECRET, { timestamp: String(ts) }, body, ts * 1000)).toBe('bad signature');
    expect(verifyWebhook(SECRET, { signature: sig }, body, ts * 1000)).toMatch(/timestamp/);
  });
  it('refuses a short secret', () => {
    expect(() => new WebhookAdapter({ channel: 'push', url: 'http://127.0.0.1:1/', secret: 'short', clock: Date.now })).toThrow(/32 bytes/);
  });
});

describe('delivery to a webhook that fails in every way', () => {
  it('delivers every entry at least once, and the receiver applies each key once', async () => {
    const rng = mulberry32(42);
    const faults: ReceiverMode[] = ['500', 'apply_then_500', 'apply_then_hang', 'hang', 'destroy'];
    // Half the requests fail, in every way the receiver can.
    receiver = new WebhookReceiver(SECRET, () => (rng.next() < 0.5 ? faults[Math.floor(rng.next() * faults.length)]! : 'ok'));
    const url = await receiver.start();
    const box = new MemoryOutbox();
    await box.enqueue(entries(120));
    const receipts: DeliveryReceipt[] = [];
    const d = new Dispatcher({
      outbox: box,
      adapters: [new WebhookAdapter({ channel: 'push', url, secret: SECRET, timeoutMs: 150, clock: Date.now })],
      clock: Date.now,
      random: () => rng.next(),
      id: 'dispatcher-1',
      backoff: { baseMs: 5, maxMs: 100, maxAttempts: 100 },
      breaker: { failures: 8, openMs: 50 },
      leaseMs: 2_000,
      batch: 40,
      onReceipt: (r) => void receipts.push(r),
    });
    // The receiver dies for a while in the middle of it.
    const outage = (async () => {
      await new Promise((r) => setTimeout(r, 200));
      const port = receiver!.port;
      await receiver!.stop();
      await new Promise((r) => setTimeout(r, 300));
      await receiver!.start(port);
    })();
    await drain(d, box, 40_000);
    await outage;
    await drain(d, box, 20_000);

    const counts = await box.counts();
    expect(counts).toEqual({ pending: 0, leased: 0, delivered: 120, dead: 0, cancelled: 0 });
    const keys = entries(120).map((e) => e.key);
    for (const k of keys) {
      expect(receiver.requests.get(k) ?? 0).toBeGreaterThanOrEqual(1);
      expect(receiver.effects.get(k)).toBe(1);
    }
    expect(receiver.refused).toEqual([]);
    // The faults were real: many keys were sent more than once, and retries were counted.
    expect([...receiver.requests.values()].filter((n) => n > 1).length).toBeGreaterThan(20);
    expect(d.totals.retried).toBeGreaterThan(20);
    expect(receipts.filter((r) => r.status === 'delivered').map((r) => r.key).sort()).toEqual([...keys].sort());
  }, 90_000);

  it('dead-letters a refusal (HTTP 4xx) at once and an entry out of attempts, with failed receipts', async () => {
    const box = new MemoryOutbox();
    await box.enqueue(entries(2));
    const receipts: DeliveryReceipt[] = [];
    let calls = 0;
    const refusing = async () => (calls++ === 0 ? 410 : 503);
    const d = new Dispatcher({
      outbox: box,
      adapters: [new WebhookAdapter({ channel: 'push', url: 'http://bank.invalid/hook', secret: SECRET, clock: Date.now, transport: refusing })],
      clock: Date.now,
      random: () => 0,
      id: 'd',
      backoff: { baseMs: 1, maxMs: 2, maxAttempts: 3 },
      breaker: { failures: 100, openMs: 1 },
      onReceipt: (r) => void receipts.push(r),
    });
    await drain(d, box, 5_000);
    const dead = await box.list({ status: 'dead' });
    expect(dead.map((e) => [e.attempts, e.lastError])).toEqual([
      [1, 'HTTP 410'],
      [3, 'gave up after 3 attempts: HTTP 503'],
    ]);
    expect(receipts.map((r) => r.status)).toEqual(['failed', 'failed']);
  });

  it('an open circuit stops sending to a dead receiver: one probe per cool-down', async () => {
    const box = new MemoryOutbox();
    await box.enqueue(entries(30));
    let calls = 0;
    const down = async (): Promise<number> => {
      calls++;
      throw new Error('connect ECONNREFUSED');
    };
    let now = Date.now() + 1;
    const d = new Dispatcher({
      outbox: box,
      adapters: [new WebhookAdapter({ channel: 'push', url: 'http://bank.invalid/hook', secret: SECRET, clock: () => now, transport: down })],
      clock: () => now,
      random: () => 0,
      id: 'd',
      backoff: { baseMs: 1, maxMs: 1, maxAttempts: 1000 },
      breaker: { failures: 5, openMs: 10_000 },
      batch: 5,
    });
    await d.pass();
    expect(calls).toBe(5);
    for (let i = 0; i < 10; i++) {
      now += 100;
      expect((await d.pass()).open).toEqual(['push']);
    }
    expect(calls).toBe(5);
    now += 10_000;
    await d.pass();
    expect(calls).toBe(6);
    expect(d.circuits()).toEqual({ push: 'open' });
  });
});
