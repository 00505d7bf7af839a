import { describe, it, expect } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.js';
import { NextbestError } from '../../src/core/errors.js';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import type { LogConsumer } from '../../src/store/consumer.js';
import { MemoryConsumerCheckpoints } from '../../src/store/memory/consumerCheckpoints.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { LogConsumers } from '../../src/store/logConsumers.js';

const login = (i: number, customerId = `c${i % 3}`): BankEvent => ({ eventId: `e${i}`, customerId, occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), schemaVersion: 1, type: 'login', payload: { channel: 'web' } });

/** Appends to the log and tells the runner, as the engine's ingest does. */
async function append(log: MemoryEventLog, runner: LogConsumers, events: BankEvent[]): Promise<StoredEvent[]> {
  const out = await log.appendMany(events.map((e) => ({ event: e, body: canonicalJson(e), t: Date.parse(e.occurredAt) })), 1);
  const stored = out.flatMap((o, k) => (o.status === 'accepted' ? [{ seq: o.seq, t: Date.parse(events[k]!.occurredAt), recordedAt: 1, event: events[k]! }] : []));
  runner.appended(stored);
  return stored;
}

/** A consumer that counts every event it applies, by eventId, and saves its checkpoint after each batch. */
class Counting implements LogConsumer {
  readonly seen = new Map<string, number>();
  failuresLeft = 0;
  erased: string[] = [];
  constructor(
    readonly name: string,
    private readonly checkpoints = new MemoryConsumerCheckpoints(),
  ) {}
  async open() {
    return (await this.checkpoints.get(this.name)) ?? 0;
  }
  async apply(events: readonly StoredEvent[]) {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('downstream store unavailable');
    }
    for (const e of events) this.seen.set(e.event.eventId, (this.seen.get(e.event.eventId) ?? 0) + 1);
    await this.checkpoints.put(this.name, events[events.length - 1]!.seq);
  }
  async erase(customerId: string) {
    this.erased.push(customerId);
    for (const id of [...this.seen.keys()]) if (id.startsWith(`${customerId}:`)) this.seen.delete(id);
  }
  async close() {}
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('log consumers', () => {
  it('apply every appended event exactly once, after the append, and wake on append', async () => {
    const log = new MemoryEventLog();
    const a = new Counting('a');
    const runner = new LogConsumers(log, [a], { pollMs: 60_000 });
    await runner.start();
    await append(log, runner, Array.from({ length: 50 }, (_, i) => login(i)));
    await runner.forHead(['a'], 2000);
    expect(a.seen.size).toBe(50);
    expect([...a.seen.values()].every((n) => n === 1)).toBe(true);
    expect(runner.status()[0]).toMatchObject({ name: 'a', appliedSeq: 50, headSeq: 50, lagEvents: 0, state: 'caught_up', healthy: true });
    await runner.close();
  });

  it('catch up from their checkpoint on start: only what came after it', async () => {
    const log = new MemoryEventLog();
    const checkpoints = new MemoryConsumerCheckpoints();
    const first = new LogConsumers(log, [new Counting('a', checkpoints)], { pollMs: 60_000 });
    await first.start();
    await append(log, first, Array.from({ length: 10 }, (_, i) => login(i)));
    await first.forHead(['a'], 2000);
    await first.close();
    // Appended while no consumer ran (another process, or a crash before the apply).
    await log.appendMany([10, 11, 12].map((i) => ({ event: login(i), body: canonicalJson(login(i)), t: 0 })), 1);
    const again = new Counting('a', checkpoints);
    const second = new LogConsumers(log, [again], { pollMs: 60_000 });
    await second.start();
    expect([...again.seen.keys()]).toEqual(['e10', 'e11', 'e12']);
    await second.close();
  });

  it('a consumer that throws never fails the writer: it retries with backoff, reports its lag, then catches up', async () => {
    const log = new MemoryEventLog();
    const good = new Counting('good');
    const flaky = new Counting('flaky');
    flaky.failuresLeft = 3;
    const errors: number[] = [];
    const runner = new LogConsumers(log, [good, flaky], { pollMs: 60_000, retry: { initialMs: 100, maxMs: 100 }, limits: { maxFailures: 2 }, onError: (_n, _e, failures) => errors.push(failures) });
    await runner.start();
    await expect(append(log, runner, Array.from({ length: 20 }, (_, i) => login(i)))).resolves.toHaveLength(20);
    await runner.forHead(['good'], 2000);
    await until(() => errors.length >= 2);
    const lagging = runner.status().find((s) => s.name === 'flaky')!;
    expect(lagging).toMatchObject({ appliedSeq: 0, headSeq: 20, lagEvents: 20, healthy: false, lastError: 'downstream store unavailable' });
    expect(lagging.failures).toBeGreaterThanOrEqual(2);
    expect(lagging.state === 'retrying' || lagging.state === 'catching_up').toBe(true);
    // A read that needs the failing consumer gets a typed error, not stale data.
    expect(((await runner.forHead(['flaky'], 1).catch((e: unknown) => e)) as NextbestError).code).toBe('CONSUMER_LAG');
    await runner.forHead(['flaky'], 3000);
    expect(errors).toEqual([1, 2, 3]);
    expect(flaky.seen.size).toBe(20);
    expect(runner.status().find((s) => s.name === 'flaky')).toMatchObject({ appliedSeq: 20, lagEvents: 0, failures: 0, healthy: true });
    await runner.close();
  });

  it('waits for a customer\'s latest event only, and times out with CONSUMER_LAG naming the consumer', async () => {
    const log = new MemoryEventLog();
    const a = new Counting('a');
    const runner = new LogConsumers(log, [a], { pollMs: 60_000, paused: ['a'] });
    await runner.start();
    await append(log, runner, [login(1, 'x'), login(2, 'y')]);
    await runner.forCustomer('nobody', ['a'], 10); // nothing appended for them: no wait
    const err = (await runner.forCustomer('x', ['a'], 20).catch((e: unknown) => e)) as NextbestError;
    expect(err).toBeInstanceOf(NextbestError);
    expect(err.code).toBe('CONSUMER_LAG');
    expect(err.message).toContain('a at 0');
    expect(err.details).toMatchObject({ neededSeq: 1, consumers: [{ name: 'a', appliedSeq: 0, state: 'paused' }] });
    const waiting = runner.forCustomer('y', ['a'], 2000);
    runner.resume();
    await waiting;
    expect(a.seen.size).toBe(2);
    await runner.close();
  });

  it('reads from the log what it did not hear of (other processes) and skips erased gaps', async () => {
    const log = new MemoryEventLog();
    const a = new Counting('a');
    const runner = new LogConsumers(log, [a], { pollMs: 20 });
    await runner.start();
    await log.appendMany([0, 1, 2].map((i) => ({ event: login(i, 'gone'), body: canonicalJson(login(i, 'gone')), t: 0 })), 1);
    await log.eraseCustomer('gone');
    await log.appendMany([3, 4].map((i) => ({ event: login(i, 'kept'), body: canonicalJson(login(i, 'kept')), t: 0 })), 1);
    await until(() => runner.status()[0]!.appliedSeq === 5);
    expect([...a.seen.keys()]).toEqual(['e3', 'e4']);
    await runner.close();
  });

  it('erasure reaches every consumer, and events still in memory for the customer are not applied after it', async () => {
    const log = new MemoryEventLog();
    const a = new Counting('a');
    const b = new Counting('b');
    const runner = new LogConsumers(log, [a, b], { pollMs: 60_000, paused: ['b'] });
    await runner.start();
    await append(log, runner, [login(1, 'x'), login(2, 'z')]);
    await runner.forHead(['a'], 2000);
    await log.eraseCustomer('x');
    const erasing = runner.erase('x');
    runner.resume();
    await erasing;
    await runner.forHead(['b'], 2000);
    expect(a.erased).toEqual(['x']);
    expect(b.erased).toEqual(['x']);
    expect([...b.seen.keys()]).toEqual(['e2']);
    await runner.close();
  });

  it('backpressure: a writer far ahead of a working consumer yields to it; a failing or paused one never holds it back', async () => {
    const log = new MemoryEventLog();
    const slow = new Counting('slow');
    const runner = new LogConsumers(log, [slow], { pollMs: 60_000, backlogEvents: 5, paused: ['slow'] });
    await runner.start();
    await append(log, runner, Array.from({ length: 10 }, (_, i) => login(i)));
    expect(runner.backpressure()).toBeUndefined(); // paused (test hook)
    runner.resume();
    const yielded = runner.backpressure();
    expect(yielded).toBeInstanceOf(Promise);
    await yielded;
    await runner.forHead(['slow'], 2000);
    expect(runner.backpressure()).toBeUndefined();
    slow.failuresLeft = 100;
    await append(log, runner, Array.from({ length: 10 }, (_, i) => login(100 + i)));
    await until(() => runner.status()[0]!.state === 'retrying');
    expect(runner.backpressure()).toBeUndefined();
    await runner.close();
  });
});
