import { NextbestError } from '../core/errors.js';
import type { StoredEvent } from '../core/events.js';
import { partitionOf, type BusSubscription, type BusTransport, type PartitionConsumer, type PartitionLeases, type PartitionProgress } from './bus.js';
import type { EventLog } from './eventLog.js';
import type { ConsumerStatus } from './consumer.js';
import type { ConsumerRunner, LogConsumers } from './logConsumers.js';

export interface BusConsumersOptions {
  /** How long a lease lasts without a heartbeat (ms); a dead instance's partitions move after it. */
  leaseMs: number;
  /** How often leases are renewed (default a third of `leaseMs`). */
  heartbeatMs?: number;
  /** Events per applied batch. */
  batchSize?: number;
  /** How often the relay looks for events other instances appended (ms). */
  relayPollMs?: number;
  /** Which seqs the log still holds: an event erased after it was published is not applied. */
  held?: (seqs: readonly number[]) => Promise<Set<number>>;
  /** Wall clock (ms): lease deadlines and lag ages. */
  now?: () => number;
  limits?: { maxLagEvents?: number; maxFailures?: number };
  onError?: (what: string, error: unknown) => void;
  onChange?: (fields: Record<string, unknown>, message: string) => void;
}

interface Worker {
  partition: number;
  /** Each consumer's checkpoint in this partition (same order as the consumers). */
  cps: number[];
  /** The last seq of the partition every consumer applied. */
  applied: number;
  sub: BusSubscription | undefined;
  stopped: boolean;
  task: Promise<void>;
  caughtUp: Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Runs the partitioned consumers of several instances over one bus
 * (docs/decisions/0011-partitioned-consumers-on-nats.md). Every instance heartbeats its
 * partition leases; for each partition it owns it catches the consumers up from the log
 * after their checkpoints, then applies what the bus delivers, committing each batch's
 * state and checkpoint before acknowledging it. The relay, one instance at a time,
 * publishes the log to the bus in seq order after the events are durable. Consumers that
 * are not partitioned (`local`) run as before, over the whole log on every instance.
 */
export class BusConsumers implements ConsumerRunner {
  private readonly workers = new Map<number, Worker>();
  private deadline = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  private relay: { task: Promise<void>; stop: boolean; wake: () => void } | undefined;
  private closed = false;
  private failures = 0;
  private lastError: { at: number; message: string } | null = null;
  /** Customers this instance appended for lately, with their latest seq (read-your-writes). */
  private readonly recent = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private progressCache: { at: number; rows: Promise<PartitionProgress[]> } | undefined;
  private pendingEvents = 0;
  private readonly names: Set<string>;
  private readonly now: () => number;
  private readonly batchSize: number;

  constructor(
    private readonly log: EventLog,
    private readonly bus: BusTransport,
    private readonly leases: PartitionLeases,
    private readonly consumers: readonly PartitionConsumer[],
    private readonly local: LogConsumers,
    private readonly o: BusConsumersOptions,
  ) {
    this.names = new Set(consumers.map((c) => c.name));
    this.now = o.now ?? Date.now;
    this.batchSize = o.batchSize ?? 1000;
  }

  /** The partitions this instance works on now. */
  get partitions(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  /** Whether this instance is the relay now. */
  get isRelay(): boolean {
    return this.relay !== undefined;
  }

  async start(): Promise<void> {
    await this.local.start();
    await this.heartbeat();
    await Promise.all([...this.workers.values()].map((w) => w.caughtUp.catch(() => undefined)));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.o.heartbeatMs ?? Math.max(50, Math.floor(this.o.leaseMs / 3)));
    this.heartbeatTimer.unref();
  }

  private heartbeat(): Promise<void> {
    // Never rejects: a timer calls it, and one failed beat must not stop the next.
    this.beating = this.beating.then(() => this.beat()).catch((e) => this.failed('heartbeat', e));
    return this.beating;
  }

  private async beat(): Promise<void> {
    if (this.closed) return;
    const started = this.now();
    let state;
    try {
      state = await this.leases.heartbeat();
      this.failures = 0;
    } catch (e) {
      this.failed('heartbeat', e);
      // Without a renewal the leases run out at the deadline: stop before another takes them.
      if (this.now() >= this.deadline) await this.stopAll();
      return;
    }
    // PostgreSQL started the lease at its now(), no earlier than `started`.
    this.deadline = started + this.o.leaseMs;
    if (state.surplus.length > 0) {
      for (const p of state.surplus) await this.stopWorker(p);
      await this.leases.release(state.surplus).catch((e) => this.failed('release', e));
      this.o.onChange?.({ event: 'bus_partitions_released', partitions: state.surplus, instances: state.instances }, 'partitions handed over to a new instance');
    }
    const keep = new Set(state.partitions.filter((p) => !state.surplus.includes(p)));
    for (const p of [...this.workers.keys()]) if (!keep.has(p)) await this.stopWorker(p);
    const taken = [...keep].filter((p) => !this.workers.has(p));
    for (const p of taken) this.startWorker(p);
    if (taken.length > 0) this.o.onChange?.({ event: 'bus_partitions_taken', partitions: taken, instances: state.instances }, 'partitions taken');
    if (state.relay && !this.relay) this.startRelay();
    if (!state.relay && this.relay) await this.stopRelay();
    await this.refreshPending();
  }

  private leaseValid(): boolean {
    return this.now() < this.deadline;
  }

  private failed(what: string, e: unknown): void {
    this.failures++;
    this.lastError = { at: this.now(), message: `${what}: ${message(e)}` };
    this.o.onError?.(what, e);
  }

  private startWorker(partition: number): void {
    const w: Worker = { partition, cps: [], applied: 0, sub: undefined, stopped: false, task: Promise.resolve(), caughtUp: Promise.resolve() };
    let caughtUp!: () => void;
    let failedCatchUp!: (e: unknown) => void;
    w.caughtUp = new Promise<void>((res, rej) => ((caughtUp = res), (failedCatchUp = rej)));
    // Only start() waits on it; a later worker's failure is reported by the worker itself.
    w.caughtUp.catch(() => undefined);
    w.task = (async () => {
      try {
        w.cps = await Promise.all(this.consumers.map((c) => c.openPartition(partition)));
        w.applied = Math.min(...w.cps);
        // From the log first: whatever the bus delivered to an instance that died unacknowledged, or lost with Redis, is here.
        let cursor = w.applied;
        for (;;) {
          if (w.stopped) return;
          const page = await this.log.readAfter(cursor, this.batchSize * 5);
          if (page.length === 0) break;
          cursor = page[page.length - 1]!.seq;
          await this.applyBatch(w, page.filter((e) => partitionOf(e.event.customerId, this.bus.partitions) === partition));
        }
        for (const c of this.consumers) await c.caughtUp?.(partition);
        caughtUp();
        if (w.stopped) return;
        w.sub = await this.bus.subscribe(partition, this.batchSize, async (events) => {
          const held = this.o.held && (await this.o.held(events.filter((e) => e.seq > w.applied).map((e) => e.seq)));
          await this.applyBatch(w, held ? events.filter((e) => e.seq <= w.applied || held.has(e.seq)) : events);
        });
        if (w.stopped) await w.sub.stop();
        await w.sub.done;
      } catch (e) {
        failedCatchUp(e);
        if (w.stopped || this.closed) return;
        this.failed(`partition ${partition}`, e);
        // Let the partition go; the next heartbeat starts it again from its checkpoints.
        this.workers.delete(partition);
        await w.sub?.stop();
      }
    })();
    this.workers.set(partition, w);
  }

  /** Applies a partition's events to every consumer past its own checkpoint, then records the progress. */
  private async applyBatch(w: Worker, events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (w.stopped || !this.leaseValid()) throw new Error(`lease of partition ${w.partition} ran out`);
    for (let i = 0; i < this.consumers.length; i++) {
      const fresh = events.filter((e) => e.seq > w.cps[i]!);
      if (fresh.length === 0) continue;
      await this.consumers[i]!.applyPartition(w.partition, fresh);
      w.cps[i] = fresh[fresh.length - 1]!.seq;
    }
    const last = events[events.length - 1]!.seq;
    if (last <= w.applied) return;
    w.applied = last;
    await this.leases.applied(w.partition, last);
    for (const l of this.listeners) l();
  }

  private async stopWorker(partition: number): Promise<void> {
    const w = this.workers.get(partition);
    if (!w) return;
    w.stopped = true;
    this.workers.delete(partition);
    await w.sub?.stop();
    await w.task;
  }

  private async stopAll(): Promise<void> {
    for (const p of [...this.workers.keys()]) await this.stopWorker(p);
    await this.stopRelay();
  }

  private startRelay(): void {
    const r = { stop: false, wake: () => {}, task: Promise.resolve() };
    r.task = (async () => {
      let checkpoint: number | undefined;
      while (!r.stop && !this.closed) {
        try {
          checkpoint ??= await this.leases.relayCheckpoint();
          const events = await this.log.readAfter(checkpoint, 2000);
          if (events.length === 0) {
            await new Promise<void>((res) => {
              r.wake = res;
              setTimeout(res, this.o.relayPollMs ?? 10).unref();
            });
            continue;
          }
          // A late heartbeat: wait for the next (which keeps or ends this relay) rather than publish on an expired lease.
          if (!this.leaseValid()) {
            await sleep(50);
            continue;
          }
          await this.bus.publish(events);
          const perPartition = new Map<number, number>();
          for (const e of events) perPartition.set(partitionOf(e.event.customerId, this.bus.partitions), e.seq);
          checkpoint = events[events.length - 1]!.seq;
          await this.leases.published(checkpoint, perPartition);
        } catch (e) {
          this.failed('relay', e);
          await sleep(200);
          checkpoint = undefined;
        }
      }
    })();
    this.relay = r;
  }

  private async stopRelay(): Promise<void> {
    const r = this.relay;
    if (!r) return;
    this.relay = undefined;
    r.stop = true;
    r.wake();
    await r.task;
  }

  appended(stored: readonly StoredEvent[]): void {
    this.local.appended(stored);
    for (const s of stored) {
      this.recent.delete(s.event.customerId);
      this.recent.set(s.event.customerId, s.seq);
    }
    if (this.recent.size > 100_000) for (const id of [...this.recent.keys()].slice(0, 50_000)) this.recent.delete(id);
    this.relay?.wake();
  }

  backpressure(): Promise<void> | undefined {
    return this.local.backpressure();
  }

  /** Waits until the partition of this customer has applied their latest event appended here. */
  async forCustomer(customerId: string, names: readonly string[], timeoutMs: number): Promise<void> {
    const started = this.now();
    await this.local.forCustomer(customerId, names, timeoutMs);
    const seq = this.recent.get(customerId);
    if (seq === undefined || !names.some((n) => this.names.has(n))) return;
    const p = partitionOf(customerId, this.bus.partitions);
    await this.until(started + timeoutMs, seq, async () => {
      const w = this.workers.get(p);
      if (w) return w.applied >= seq;
      return (await this.appliedSeqOf(p)) >= seq;
    });
    if (this.recent.get(customerId) === seq) this.recent.delete(customerId);
  }

  /** Waits until every partition applied the events the log held when called. */
  async forHead(names: readonly string[], timeoutMs: number): Promise<void> {
    const started = this.now();
    await this.local.forHead(names, timeoutMs);
    if (!names.some((n) => this.names.has(n))) return;
    const head = await this.log.head();
    await this.until(started + timeoutMs, head, async () => {
      const relayAt = await this.leases.relayCheckpoint();
      if (relayAt < head) return false;
      return (await this.progress(true)).every((r) => r.appliedSeq >= Math.min(r.publishedSeq, head));
    });
  }

  private async until(deadline: number, seq: number, reached: () => Promise<boolean>): Promise<void> {
    for (;;) {
      if (await reached()) return;
      const left = deadline - this.now();
      if (left <= 0 || this.closed) throw new NextbestError('CONSUMER_LAG', `the partitioned consumers did not reach log seq ${seq} in time`, { neededSeq: seq, consumers: [...this.names].map((name) => ({ name })) });
      await new Promise<void>((res) => {
        const done = () => (this.listeners.delete(done), clearTimeout(t), res());
        const t = setTimeout(done, Math.min(left, 5));
        this.listeners.add(done);
      });
    }
  }

  /** Every partition's progress, shared by waiters for a few milliseconds. */
  private progress(fresh = false): Promise<PartitionProgress[]> {
    const now = this.now();
    if (fresh || !this.progressCache || now - this.progressCache.at > 4) this.progressCache = { at: now, rows: this.leases.progress() };
    return this.progressCache.rows;
  }

  /** The last seq a partition applied, on whichever instance owns it. */
  private async appliedSeqOf(partition: number, fresh = false): Promise<number> {
    return (await this.progress(fresh)).find((r) => r.partition === partition)?.appliedSeq ?? 0;
  }

  async erase(customerId: string): Promise<void> {
    await this.local.erase(customerId);
    await this.bus.purgeCustomer(customerId);
    const p = partitionOf(customerId, this.bus.partitions);
    const before = await this.appliedSeqOf(p, true);
    for (const c of this.consumers) await c.erase(customerId);
    // A batch the owner took from the bus before the purge may commit the customer's state
    // after this erase: wait for the partition to move on or run dry, then erase again.
    const until = this.now() + 2000;
    while (this.now() < until) {
      const moved = (await this.appliedSeqOf(p, true)) > before;
      if (moved || (await this.bus.pending(p)) === 0) break;
      await sleep(20);
    }
    for (const c of this.consumers) await c.erase(customerId);
    this.recent.delete(customerId);
  }

  private async refreshPending(): Promise<void> {
    try {
      let n = 0;
      for (const p of this.workers.keys()) n += await this.bus.pending(p);
      this.pendingEvents = n;
    } catch (e) {
      this.failed('pending', e);
    }
  }

  status(): ConsumerStatus[] {
    const failing = this.failures >= (this.o.limits?.maxFailures ?? 3);
    const lagEvents = this.pendingEvents;
    const applied = this.workers.size > 0 ? Math.min(...[...this.workers.values()].map((w) => w.applied)) : 0;
    const rows: ConsumerStatus[] = this.consumers.map((c) => ({
      name: c.name,
      state: failing ? 'retrying' : lagEvents > 0 ? 'catching_up' : 'caught_up',
      appliedSeq: applied,
      headSeq: 0,
      lagEvents,
      lagMs: 0,
      failures: this.failures,
      lastError: this.lastError?.message ?? null,
      lastErrorAt: this.lastError ? new Date(this.lastError.at).toISOString() : null,
      healthy: !failing && lagEvents <= (this.o.limits?.maxLagEvents ?? 100_000),
      partitions: this.partitions,
    }));
    return [...this.local.status(), ...rows];
  }

  resume(names?: readonly string[]): void {
    this.local.resume(names);
  }

  /** Stops the relay and the partitions, hands the leases back at once, then closes the local consumers. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.beating;
    this.closed = true;
    await this.stopAll();
    await this.leases.releaseAll().catch((e) => this.failed('release', e));
    for (const l of this.listeners) l();
    await this.local.close();
  }
}
