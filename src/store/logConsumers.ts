import { NextbestError } from '../core/errors.js';
import { GLOBAL_CUSTOMER, type StoredEvent } from '../core/events.js';
import type { ConsumerState, ConsumerStatus, LogConsumer } from './consumer.js';
import type { EventLog } from './eventLog.js';

/** What the engine asks of its consumers: LogConsumers here, BusConsumers (store/busConsumers.ts) with a bus. */
export interface ConsumerRunner {
  start(): Promise<void>;
  appended(stored: readonly StoredEvent[]): void;
  backpressure(): Promise<void> | undefined;
  forCustomer(customerId: string, names: readonly string[], timeoutMs: number): Promise<void>;
  forHead(names: readonly string[], timeoutMs: number): Promise<void>;
  erase(customerId: string): Promise<void>;
  status(): ConsumerStatus[];
  resume(names?: readonly string[]): void;
  close(): Promise<void>;
}

export interface LogConsumersOptions {
  /** Events per apply call. */
  batchSize?: number;
  /** Backoff between retries of a failing consumer: doubles from `initialMs` up to `maxMs`. */
  retry?: { initialMs?: number; maxMs?: number };
  /** How often the log head is read, to pick up events another process appended. */
  pollMs?: number;
  /** Wall clock (ms) for lag ages: operational time, not the engine's domain clock. */
  now?: () => number;
  /** Unhealthy past these (readiness). */
  limits?: { maxLagEvents?: number; maxLagMs?: number; maxFailures?: number };
  /** Test hook: these consumers (or all) apply nothing until `resume`; the crash tests kill the process meanwhile. */
  paused?: boolean | readonly string[];
  /** Events kept in memory after an append so consumers need not read them back from the log. */
  tailEvents?: number;
  /** Past this many unapplied events, `backpressure` makes writers yield to the consumers. */
  backlogEvents?: number;
  onError?: (name: string, error: unknown, failures: number) => void;
}

interface Track {
  consumer: LogConsumer;
  opened: boolean;
  applied: number;
  state: ConsumerState;
  /** Every operation on the consumer (apply, erase, close) runs in this chain, one at a time. */
  queue: Promise<void>;
  draining: boolean;
  retryTimer: NodeJS.Timeout | undefined;
  failures: number;
  lastError: string | null;
  lastErrorAt: number | null;
}

interface Waiter {
  names: readonly string[];
  seq: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Runs the log consumers: each follows the event log from its own checkpoint, after the
 * events are durable and outside the write path. An append wakes them; a failure is
 * retried with backoff and never reaches the writer; readers that need fresh state wait
 * (bounded) for the consumers to reach a customer's latest event.
 */
export class LogConsumers implements ConsumerRunner {
  private readonly tracks: Track[];
  private readonly byName = new Map<string, Track>();
  private head = 0;
  private closed = false;
  /** Recent appends, in seq order: `first..last` holds every event in that range (erased ones removed). */
  private tail: { first: number; last: number; events: StoredEvent[] }[] = [];
  private tailSize = 0;
  /** Durable-at times of appended batches not yet applied by every consumer (for lag ages). */
  private marks: { last: number; at: number }[] = [];
  /** Each customer's latest appended seq, oldest first, until every consumer has passed it. */
  private readonly customerSeq = new Map<string, number>();
  /** Customers dropped from `customerSeq` over its bound wait for this seq instead (conservative). */
  private droppedFloor = 0;
  private readonly waiters = new Set<Waiter>();
  private poller: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly o: Required<Omit<LogConsumersOptions, 'paused' | 'onError' | 'now' | 'retry' | 'limits'>> & { retry: { initialMs: number; maxMs: number }; limits: { maxLagEvents: number; maxLagMs: number; maxFailures: number } };

  constructor(
    private readonly log: EventLog,
    consumers: readonly LogConsumer[],
    private readonly options: LogConsumersOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.o = {
      batchSize: options.batchSize ?? 5000,
      pollMs: options.pollMs ?? 1000,
      tailEvents: options.tailEvents ?? 50_000,
      backlogEvents: options.backlogEvents ?? 20_000,
      retry: { initialMs: options.retry?.initialMs ?? 50, maxMs: options.retry?.maxMs ?? 30_000 },
      limits: { maxLagEvents: options.limits?.maxLagEvents ?? 100_000, maxLagMs: options.limits?.maxLagMs ?? 30_000, maxFailures: options.limits?.maxFailures ?? 3 },
    };
    const paused = options.paused ?? false;
    this.tracks = consumers.map((consumer) => {
      if (this.byName.has(consumer.name)) throw new Error(`two log consumers are named ${consumer.name}`);
      const isPaused = paused === true || (Array.isArray(paused) && paused.includes(consumer.name));
      const t: Track = { consumer, opened: false, applied: 0, state: isPaused ? 'paused' : 'starting', queue: Promise.resolve(), draining: false, retryTimer: undefined, failures: 0, lastError: null, lastErrorAt: null };
      this.byName.set(consumer.name, t);
      return t;
    });
  }

  /** Opens every consumer and waits for each one's first catch-up attempt (a failing one goes on retrying). */
  async start(): Promise<void> {
    this.head = await this.log.head();
    if (this.head > 0) this.marks.push({ last: this.head, at: this.now() });
    for (const t of this.tracks) this.wake(t);
    await Promise.all(this.tracks.map((t) => t.queue));
    this.poller = setInterval(() => void this.poll(), this.o.pollMs);
    this.poller.unref();
  }

  /** Hears of events just made durable (in seq order) and wakes the consumers. */
  appended(stored: readonly StoredEvent[]): void {
    if (stored.length === 0 || this.closed) return;
    const first = stored[0]!.seq;
    const last = stored[stored.length - 1]!.seq;
    this.tail.push({ first, last, events: stored.slice() });
    this.tailSize += stored.length;
    while (this.tailSize > this.o.tailEvents && this.tail.length > 1) this.tailSize -= this.tail.shift()!.events.length;
    for (const s of stored) {
      const id = s.event.customerId;
      this.customerSeq.delete(id);
      this.customerSeq.set(id, s.seq);
    }
    if (this.customerSeq.size > 2 * this.o.tailEvents) this.dropOldestCustomers(this.o.tailEvents);
    if (last > this.head) this.head = last;
    this.marks.push({ last, at: this.now() });
    // A consumer stuck for hours must not grow this without bound: thin it out, keeping the
    // oldest (the slowest consumer's age stays exact; others' may read a little younger).
    if (this.marks.length > 10_000) this.marks = this.marks.filter((_, i) => i === 0 || i % 2 === 0);
    for (const t of this.tracks) this.wake(t);
  }

  /**
   * For writers that never yield (a tight library loop): once a working consumer is more
   * than `backlogEvents` behind, a promise that gives the consumers one turn of the event
   * loop; otherwise undefined. Failing or paused consumers never hold a writer back.
   */
  backpressure(): Promise<void> | undefined {
    for (const t of this.tracks) {
      if (t.state === 'retrying' || t.state === 'paused' || this.head - t.applied <= this.o.backlogEvents) continue;
      return new Promise((resolve) => setImmediate(resolve));
    }
    return undefined;
  }

  /**
   * Waits (at most `timeoutMs`) until the named consumers applied this customer's latest
   * appended event, and the latest event for every customer (a market event: its features
   * are in every profile), so a decision sees a base-rate change acknowledged before it.
   */
  forCustomer(customerId: string, names: readonly string[], timeoutMs: number): Promise<void> {
    const own = this.customerSeq.get(customerId) ?? this.droppedFloor;
    const global = this.customerSeq.get(GLOBAL_CUSTOMER) ?? this.droppedFloor;
    return this.forSeq(names, own > global ? own : global, timeoutMs);
  }

  /** Waits (at most `timeoutMs`) until the named consumers reached the log head as it is now. */
  forHead(names: readonly string[], timeoutMs: number): Promise<void> {
    return this.forSeq(names, this.head, timeoutMs);
  }

  /** Waits (at most `timeoutMs`) until the named consumers applied the log up to `seq` (a consumer following another). */
  forSeq(names: readonly string[], seq: number, timeoutMs: number): Promise<void> {
    if (this.reached(names, seq)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        names,
        seq,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(this.lagError(names, seq, timeoutMs));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  private reached(names: readonly string[], seq: number): boolean {
    for (const n of names) {
      const t = this.byName.get(n);
      if (t && t.applied < seq) return false;
    }
    return true;
  }

  private lagError(names: readonly string[], seq: number, timeoutMs: number): NextbestError {
    const behind = this.status().filter((s) => names.includes(s.name) && s.appliedSeq < seq);
    const what = behind.map((s) => `${s.name} at ${s.appliedSeq}${s.lastError ? ` (failing: ${s.lastError})` : ''}`).join(', ');
    return new NextbestError('CONSUMER_LAG', `derived state did not reach log seq ${seq} within ${timeoutMs} ms: ${what}`, { neededSeq: seq, consumers: behind.map((s) => ({ name: s.name, appliedSeq: s.appliedSeq, state: s.state, lastError: s.lastError })) });
  }

  /** GDPR erasure reaches every consumer, in order with its applies; the customer's events are already gone from the log. */
  async erase(customerId: string): Promise<void> {
    for (const entry of this.tail) {
      const kept = entry.events.filter((e) => e.event.customerId !== customerId);
      this.tailSize -= entry.events.length - kept.length;
      entry.events = kept;
    }
    await Promise.all(
      this.tracks.map((t) => {
        const run = t.queue.then(() => t.consumer.erase(customerId));
        t.queue = run.catch(() => undefined);
        return run;
      }),
    );
  }

  /** Every consumer's lag and health. */
  status(): ConsumerStatus[] {
    const now = this.now();
    return this.tracks.map((t) => {
      const lagEvents = Math.max(0, this.head - t.applied);
      const mark = lagEvents === 0 ? undefined : this.marks.find((m) => m.last > t.applied);
      const lagMs = mark ? Math.max(0, now - mark.at) : 0;
      const l = this.o.limits;
      return {
        name: t.consumer.name,
        state: t.state,
        appliedSeq: t.applied,
        headSeq: this.head,
        lagEvents,
        lagMs,
        failures: t.failures,
        lastError: t.lastError,
        lastErrorAt: t.lastErrorAt === null ? null : new Date(t.lastErrorAt).toISOString(),
        healthy: t.failures < l.maxFailures && lagEvents <= l.maxLagEvents && lagMs <= l.maxLagMs,
      };
    });
  }

  /** Test hook: lets paused consumers go on. */
  resume(names?: readonly string[]): void {
    for (const t of this.tracks) {
      if (t.state !== 'paused' || (names && !names.includes(t.consumer.name))) continue;
      t.state = 'catching_up';
      this.wake(t);
    }
  }

  /** Applies what is left (unless paused or failing), then closes each consumer (which saves its checkpoint). */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.poller) clearInterval(this.poller);
    for (const t of this.tracks) this.wake(t);
    await Promise.all(this.tracks.map((t) => t.queue));
    this.closed = true;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new NextbestError('NOT_READY', 'shutting down'));
    }
    this.waiters.clear();
    for (const t of this.tracks) {
      if (t.retryTimer) clearTimeout(t.retryTimer);
      t.state = 'closed';
      if (t.opened) await t.consumer.close();
    }
  }

  private wake(t: Track): void {
    if (this.closed || t.draining || t.retryTimer || t.state === 'paused') return;
    t.draining = true;
    t.queue = t.queue.then(() => this.drain(t));
  }

  private async drain(t: Track): Promise<void> {
    try {
      if (!t.opened) {
        t.applied = await t.consumer.open();
        t.opened = true;
      }
      while (!this.closed && t.applied < this.head) {
        t.state = 'catching_up';
        // Yield first: an acknowledgement waiting behind a consumer's batch would put the
        // consumer back on the write path. Writers that never yield (a tight library loop)
        // leave the consumers to catch up when they do.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.closed) break;
        const target = this.head;
        const events = this.fromTail(t.applied) ?? (await this.log.readAfter(t.applied, this.o.batchSize));
        if (events.length > 0) await t.consumer.apply(events);
        // Nothing to read below `target`: the events in between were erased.
        t.applied = events.length > 0 ? events[events.length - 1]!.seq : Math.max(t.applied, target);
        t.failures = 0;
        this.advanced();
      }
      t.state = 'caught_up';
    } catch (e) {
      t.failures++;
      t.lastError = message(e);
      t.lastErrorAt = this.now();
      t.state = 'retrying';
      this.options.onError?.(t.consumer.name, e, t.failures);
      const delay = Math.min(this.o.retry.maxMs, this.o.retry.initialMs * 2 ** Math.min(t.failures - 1, 20));
      t.retryTimer = setTimeout(() => {
        t.retryTimer = undefined;
        this.wake(t);
      }, delay);
      t.retryTimer.unref();
    } finally {
      t.draining = false;
    }
  }

  /** Events after `applied` from the in-memory tail, when it holds the next seq; else undefined (read the log). */
  private fromTail(applied: number): StoredEvent[] | undefined {
    const i = this.tail.findIndex((e) => e.first <= applied + 1 && applied < e.last);
    if (i < 0) return undefined;
    const out: StoredEvent[] = [];
    for (let j = i; j < this.tail.length && out.length < this.o.batchSize; j++) {
      const entry = this.tail[j]!;
      // A gap between entries is another process's appends: stop and read those from the log.
      if (j > i && entry.first !== this.tail[j - 1]!.last + 1) break;
      for (const e of entry.events) if (e.seq > applied) out.push(e);
    }
    return out.length > 0 ? out : undefined;
  }

  /** After any consumer moved on: settle waiters, forget what every consumer has passed. */
  private advanced(): void {
    for (const w of this.waiters) {
      if (!this.reached(w.names, w.seq)) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve();
    }
    let min = Number.POSITIVE_INFINITY;
    for (const t of this.tracks) if (t.applied < min) min = t.applied;
    while (this.tail.length > 0 && this.tail[0]!.last <= min) this.tailSize -= this.tail.shift()!.events.length;
    let k = 0;
    while (k < this.marks.length && this.marks[k]!.last <= min) k++;
    if (k > 0) this.marks = this.marks.slice(k);
    for (const [id, seq] of this.customerSeq) {
      if (seq > min) break;
      this.customerSeq.delete(id);
    }
  }

  private dropOldestCustomers(keep: number): void {
    for (const [id, seq] of this.customerSeq) {
      if (this.customerSeq.size <= keep) break;
      this.customerSeq.delete(id);
      if (seq > this.droppedFloor) this.droppedFloor = seq;
    }
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    try {
      const h = await this.log.head();
      if (h <= this.head) return;
      this.head = h;
      this.marks.push({ last: h, at: this.now() });
      for (const t of this.tracks) this.wake(t);
    } catch {
      // The log is closing or briefly busy: the next poll tries again.
    }
  }
}
