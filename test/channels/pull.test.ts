import { describe, expect, it } from 'vitest';
import { PullChannels } from '../../src/channels/pull.js';
import type { DeliveryReceipt } from '../../src/channels/adapter.js';
import { MemoryOutbox } from '../../src/store/memory/outbox.js';
import { outboxKey, type NewOutboxEntry } from '../../src/store/outbox.js';
import { NextbestError } from '../../src/core/errors.js';

const T = 1_700_000_000_000;
const entry = (d: string, customerId: string, channel: string, worklist = ''): NewOutboxEntry => ({ key: outboxKey(d, 'refi_fixed_rate', channel), decisionId: d, actionId: 'refi_fixed_rate', customerId, channel, worklist, message: { headline: 'Fix your rate' }, createdAt: T });

function rig() {
  let now = T;
  const box = new MemoryOutbox();
  const receipts: DeliveryReceipt[] = [];
  const pull = new PullChannels({ outbox: box, clock: () => now, claimMs: 60_000, onReceipt: (r) => void receipts.push(r) });
  return { box, pull, receipts, tick: (ms: number) => (now += ms) };
}

const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: NextbestError) => e.code);

describe('pull channels', () => {
  it('the app fetches a customer\'s banner, claims it, and acknowledges it shown', async () => {
    const { box, pull, receipts } = rig();
    await box.enqueue([entry('d1', 'c1', 'in_app'), entry('d2', 'c2', 'in_app'), entry('d3', 'c1', 'email')]);
    expect((await pull.pending('in_app', { customerId: 'c1' })).map((e) => e.decisionId)).toEqual(['d1']);
    const [banner] = await pull.claim('in_app', { customerId: 'c1' }, 'app-session-9');
    expect(banner!.message).toEqual({ headline: 'Fix your rate' });
    expect(await pull.claim('in_app', { customerId: 'c1' }, 'app-session-10')).toEqual([]);
    expect(await pull.pending('in_app', { customerId: 'c1' })).toEqual([]);
    const done = await pull.acknowledge(banner!.key, 'app-session-9', 'delivered');
    expect(done.status).toBe('delivered');
    expect(receipts.map((r) => [r.key, r.status])).toEqual([[banner!.key, 'delivered']]);
    expect(await code(pull.acknowledge(banner!.key, 'app-session-9', 'delivered'))).toBe('CONFLICT');
  });

  it('a branch worklist: a claim that is never acknowledged comes back when it runs out', async () => {
    const { box, pull, tick } = rig();
    await box.enqueue([entry('d1', 'c1', 'branch', 'branch-042'), entry('d2', 'c2', 'branch', 'branch-042'), entry('d3', 'c3', 'branch', 'branch-007')]);
    expect((await pull.claim('branch', { worklist: 'branch-042' }, 'tablet-1')).map((e) => e.customerId)).toEqual(['c1', 'c2']);
    tick(59_999);
    expect(await pull.claim('branch', { worklist: 'branch-042' }, 'tablet-2')).toEqual([]);
    tick(1);
    expect((await pull.claim('branch', { worklist: 'branch-042' }, 'tablet-2')).map((e) => e.attempts)).toEqual([2, 2]);
    expect(await code(pull.acknowledge(outboxKey('d1', 'refi_fixed_rate', 'branch'), 'tablet-1', 'delivered'))).toBe('CONFLICT');
  });

  it('a failed acknowledgement dead-letters with a failed receipt; a release makes it due again', async () => {
    const { box, pull, receipts } = rig();
    await box.enqueue([entry('d1', 'c1', 'call_centre', 'team-a'), entry('d2', 'c2', 'call_centre', 'team-a')]);
    const [a, b] = await pull.claim('call_centre', { worklist: 'team-a' }, 'agent-7');
    await pull.acknowledge(a!.key, 'agent-7', 'failed', 'customer unreachable');
    expect(receipts[0]).toMatchObject({ status: 'failed', error: 'customer unreachable' });
    expect((await box.get(a!.key))!.status).toBe('dead');
    expect(await pull.release(b!.key, 'agent-7', 'line busy')).toBe(true);
    expect((await pull.pending('call_centre', { worklist: 'team-a' })).map((e) => e.key)).toEqual([b!.key]);
  });

  it('refuses a push channel and a pull without a scope, and an unknown delivery', async () => {
    const { pull } = rig();
    expect(await code(pull.claim('email', { customerId: 'c1' }, 'x'))).toBe('NOT_FOUND');
    expect(await code(pull.pending('in_app', {}))).toBe('BAD_REQUEST');
    expect(await code(pull.acknowledge('nope', 'x', 'delivered'))).toBe('NOT_FOUND');
  });
});
