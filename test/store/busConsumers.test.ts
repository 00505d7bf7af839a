import { describe, expect, it } from 'vitest';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import { mulberry32 } from '../../src/core/random.js';
import { partitionOf, type BusSubscription, type BusTransport, type LeaseState, type PartitionConsumer, type PartitionLeases, type PartitionProgress } from '../../src/store/bus.js';
import { BusConsumers } from '../../src/store/busConsumers.js';
import { LogConsumers } from '../../src/store/logConsumers.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';

/**
 * The partition runner with in-memory stand-ins for NATS and the PostgreSQL leases (the real
 * ones run in test/integration/bus.test.ts and scaleOut.test.ts): the same rules, a clock
 * this test moves, no server.
 */
const P = 6;

class FakeBus implements BusTransport {
  readonly partitions = P;
  private readonly queues = Array.from({ length: P }, () => [] as StoredEvent[]);
  private readonly seen = new Set<number>();
  private readonly subs = new Map<number, () => void>();
  async publish(events: readonly StoredEvent[]) {
    for (const e of events) {
      if (this.seen.has(e.seq)) continue; // the message id: a republished seq is dropped
      this.seen.add(e.seq);
      const p = partitionOf(e.event.customerId, P);
      this.queues[p]!.push(e);
      this.subs.get(p)?.();
    }
  }
  async subscribe(p: number, maxBatch: number, onBatch: (events: StoredEvent[]) => Promise<void>): Promise<BusSubscription> {
    let stopped = false;
    let wake = () => {};
    const done = (async () => {
      while (!stopped) {
        const q = this.queues[p]!;
        if (q.length === 0) {
          await new Promise<void>((r) => ((wake = r), this.subs.set(p, r)));
          continue;
        }
        const batch = q.slice(0, maxBatch);
        await onBatch(batch);
        q.splice(0, batch.length); // acknowledged
      }
    })();
    return { done, stop: async () => ((stopped = true), wake(), await done.catch(() => undefined)) };
  }
  async pending(p: number) {
    return this.queues[p]!.length;
  }
  async purgeCustomer() {}
  async ping() {}
  async close() {}
}

/** Leases on one shared table, with expiry on a clock the test moves. */
class FakeLeaseTable {
  now = 0;
  owners = new Map<number, { owner: string; until: number }>();
  seen = new Map<string, number>();
  applied = new Map<number, number>();
  published = new Map<number, number>();
}

class FakeLeases implements PartitionLeases {
  constructor(
    readonly instanceId: string,
    private readonly t: FakeLeaseTable,
    private readonly leaseMs: number,
  ) {}
  async heartbeat(): Promise<LeaseState> {
    const t = this.t;
    t.seen.set(this.instanceId, t.now);
    const live = [...t.seen.values()].filter((at) => at > t.now - this.leaseMs).length;
    const share = Math.ceil(P / live);
    const mine = () => [...t.owners].filter(([p, o]) => p >= 0 && o.owner === this.instanceId && o.until > t.now).map(([p]) => p).sort((a, b) => a - b);
    for (const p of mine()) t.owners.set(p, { owner: this.instanceId, until: t.now + this.leaseMs });
    for (let p = 0; p < P && mine().length < share; p++) {
      const o = t.owners.get(p);
      if (!o || o.until <= t.now) t.owners.set(p, { owner: this.instanceId, until: t.now + this.leaseMs });
    }
    const owned = mine();
    return { partitions: owned, surplus: owned.slice(share), relay: this.relay(), instances: live };
  }
  private relay(): boolean {
    const o = this.t.owners.get(-1);
    if (o && o.owner !== this.instanceId && o.until > this.t.now) return false;
    this.t.owners.set(-1, { owner: this.instanceId, until: this.t.now + this.leaseMs });
    return true;
  }
  async release(ps: readonly number[]) {
    for (const p of ps) if (this.t.owners.get(p)?.owner === this.instanceId) this.t.owners.delete(p);
  }
  async applied(p: number, seq: number) {
    this.t.applied.set(p, Math.max(seq, this.t.applied.get(p) ?? 0));
    return true;
  }
  async relayCheckpoint() {
    return this.t.published.get(-1) ?? 0;
  }
  async published(seq: number, per: ReadonlyMap<number, number>) {
    this.t.published.set(-1, seq);
    for (const [p, s] of per) this.t.published.set(p, s);
  }
  async progress(): Promise<PartitionProgress[]> {
    return Array.from({ length: P }, (_, p) => ({ partition: p, owner: this.t.owners.get(p)?.owner ?? null, appliedSeq: this.t.applied.get(p) ?? 0, publishedSeq: this.t.published.get(p) ?? 0 }));
  }
  async releaseAll() {
    for (const [p, o] of [...this.t.owners]) if (o.owner === this.instanceId) this.t.owners.delete(p);
    this.t.seen.delete(this.instanceId);
  }
  async close() {}
}

/** A consumer whose state is each customer's applied seqs, shared by the instances like a store. */
class SeqRecorder implements PartitionConsumer {
  readonly name = 'features';
  readonly perCustomer = new Map<string, number[]>();
  readonly checkpoints = new Map<number, number>();
  async openPartition(p: number) {
    return this.checkpoints.get(p) ?? 0;
  }
  async applyPartition(p: number, events: readonly StoredEvent[]) {
    for (const e of events) this.perCustomer.set(e.event.customerId, [...(this.perCustomer.get(e.event.customerId) ?? []), e.seq]);
    this.checkpoints.set(p, events[events.length - 1]!.seq);
  }
  async erase(customerId: string) {
    this.perCustomer.delete(customerId);
  }
}

const deposit = (n: number, customerId: string): BankEvent => ({ eventId: `e${n}`, customerId, occurredAt: new Date(Date.UTC(2026, 0, 1) + n).toISOString(), schemaVersion: 1, type: 'deposit', payload: { amount: { minor: 100, currency: 'GBP' }, method: 'online' } }) as BankEvent;

async function settle(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(check()).toBe(true);
}

describe('BusConsumers (partitions leased among instances, the log relayed in order)', () => {
  it('over seeded runs: every event applied once and in log order per customer, while instances join, stop and die', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rng = mulberry32(seed);
      const log = new MemoryEventLog();
      const bus = new FakeBus();
      const table = new FakeLeaseTable();
      const state = new SeqRecorder();
      const leaseMs = 1000;
      const errors: string[] = [];
      const runner = (id: string) => new BusConsumers(log, bus, new FakeLeases(id, table, leaseMs), [state], new LogConsumers(log, []), { leaseMs: 1e12, heartbeatMs: 1e9, now: () => table.now, onError: (what, e) => errors.push(`${id} ${what}: ${String(e)}`) });
      const live = [runner('a'), runner('b')];
      for (const r of live) await r.start();
      // Every instance beats once more so shares settle (b joined after a took everything).
      const beat = async () => {
        for (const r of live) await (r as unknown as { heartbeat(): Promise<void> }).heartbeat();
      };
      await beat();
      await beat();
      expect(live.flatMap((r) => r.partitions).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
      let n = 0;
      const customers = Array.from({ length: 20 }, (_, i) => `c${i}`);
      for (let round = 0; round < 6; round++) {
        const batch = Array.from({ length: 30 }, () => deposit(++n, customers[Math.floor(rng.next() * customers.length)]!));
        const out = await log.appendMany(batch.map((event) => ({ event, body: JSON.stringify(event), t: Date.parse(event.occurredAt) })), 0);
        const stored = await log.readAfter(out[0]!.seq - 1, 1000);
        live[round % live.length]!.appended(stored);
        if (round === 2) {
          const c = runner('c');
          await c.start();
          live.push(c);
          await beat();
          await beat();
        }
        if (round === 4) {
          // 'b' dies: no close, no release. Its leases expire; the others take its partitions.
          const dead = live.splice(1, 1)[0]!;
          (dead as unknown as { closed: boolean }).closed = true;
          for (const p of dead.partitions) await (dead as unknown as { stopWorker(p: number): Promise<void> }).stopWorker(p);
          table.now += leaseMs + 1;
          await beat();
          await beat();
        }
        await beat();
      }
      await settle(() => [...state.perCustomer.values()].reduce((s, l) => s + l.length, 0) === n);
      for (const seqs of state.perCustomer.values()) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set([...state.perCustomer.values()].flat()).size).toBe(n);
      expect(live.flatMap((r) => r.partitions).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
      for (const r of live) await r.close();
      expect(errors).toEqual([]);
    }
  }, 30_000);
});
