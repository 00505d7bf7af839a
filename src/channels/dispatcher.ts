/**
 * The dispatcher: leases due outbox entries of the push channels, sends each through its
 * channel's adapter, and settles it: delivered, retried later (exponential backoff with
 * jitter), or dead-lettered (out of attempts, refused for good, or expired). Delivery is at
 * least once: an entry is settled only after its send returned, so a dispatcher killed
 * mid-send leaves it leased and the lease running out makes it due again; the receiver
 * dedupes on the idempotency key. A circuit breaker per channel stops sending to a receiver
 * that keeps failing, and lets one probe through after a cool-down.
 */
import type { Outbox, OutboxEntry } from '../store/outbox.js';
import { receiptOf, type PushAdapter, type DeliveryReceipt } from './adapter.js';
import { backoffMs, CircuitBreaker, DEFAULT_BACKOFF, DEFAULT_BREAKER, type BackoffPolicy, type BreakerPolicy, type BreakerState } from './retryPolicy.js';

export interface DispatcherDeps {
  readonly outbox: Outbox;
  readonly adapters: readonly PushAdapter[];
  /** Epoch ms. */
  readonly clock: () => number;
  /** Uniform in [0, 1): the jitter. */
  readonly random: () => number;
  /** This dispatcher's lease holder id (unique per process). */
  readonly id: string;
  readonly backoff?: BackoffPolicy;
  readonly breaker?: BreakerPolicy;
  /** How long a lease lasts: longer than a send may take, so a live dispatcher never loses an entry it is sending. */
  readonly leaseMs?: number;
  /** Most entries leased per channel per pass. */
  readonly batch?: number;
  /**
   * Told of each delivered or dead-lettered entry before it is settled, so a crash between
   * the two repeats the receipt rather than losing it (receipts are events keyed by entry
   * and status, so the log drops the repeat). A throw leaves the entry leased for a retry.
   */
  readonly onReceipt?: (receipt: DeliveryReceipt) => Promise<void> | void;
  /** Told of a pass that failed (the outbox unreachable, a receipt refused); the loop carries on. */
  readonly onError?: (error: unknown) => void;
}

/** What one pass did. */
export interface PassReport {
  leased: number;
  delivered: number;
  retried: number;
  dead: number;
  /** Channels skipped because their circuit is open. */
  open: string[];
}

/** Sends the outbox's push entries. */
export class Dispatcher {
  private readonly adapters = new Map<string, PushAdapter>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly backoff: BackoffPolicy;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PassReport> | undefined;
  private stopped = true;
  private intervalMs = 200;
  /** A wake arrived during a pass: run another at once, not after the interval. */
  private woken = false;
  /** Totals since start, for metrics. */
  readonly totals = { delivered: 0, retried: 0, dead: 0, attempts: 0 };

  constructor(private readonly deps: DispatcherDeps) {
    for (const a of deps.adapters) {
      this.adapters.set(a.channel, a);
      this.breakers.set(a.channel, new CircuitBreaker(deps.breaker ?? DEFAULT_BREAKER));
    }
    this.backoff = deps.backoff ?? DEFAULT_BACKOFF;
  }

  /** Each channel's circuit. */
  circuits(): Record<string, BreakerState> {
    const now = this.deps.clock();
    return Object.fromEntries([...this.breakers].map(([c, b]) => [c, b.state(now)]));
  }

  /** One pass over every push channel: lease what is due (within the breaker's allowance), send, settle. */
  async pass(): Promise<PassReport> {
    const report: PassReport = { leased: 0, delivered: 0, retried: 0, dead: 0, open: [] };
    const now = this.deps.clock();
    const work: Promise<void>[] = [];
    for (const [channel, adapter] of this.adapters) {
      const allowed = this.breakers.get(channel)!.allowance(now, this.deps.batch ?? 50);
      if (allowed === 0) {
        report.open.push(channel);
        continue;
      }
      const entries = await this.deps.outbox.lease({ channels: [channel], now, leaseMs: this.deps.leaseMs ?? 60_000, by: this.deps.id, limit: allowed });
      report.leased += entries.length;
      for (const e of entries) work.push(this.deliver(adapter, e, report));
    }
    await Promise.all(work);
    return report;
  }

  private async deliver(adapter: PushAdapter, e: OutboxEntry, report: PassReport): Promise<void> {
    const { outbox, clock } = this.deps;
    const breaker = this.breakers.get(e.channel)!;
    if (e.expiresAt !== undefined && e.expiresAt <= clock()) {
      await this.receipt(e, 'failed', 'expired before delivery');
      if (await outbox.deadLetter(e.key, this.deps.id, clock(), 'expired before delivery')) report.dead++;
      return;
    }
    this.totals.attempts++;
    const leaseMs = this.deps.leaseMs ?? 60_000;
    let result;
    try {
      // The lease is the outer bound on a send: past it another dispatcher may take the entry.
      result = await adapter.send(e, AbortSignal.timeout(Math.max(1, leaseMs - 1_000)));
    } catch (err) {
      result = { ok: false as const, retryable: true, error: `adapter threw: ${(err as Error).message}` };
    }
    const now = clock();
    if (result.ok) {
      breaker.success();
      await this.receipt(e, 'delivered');
      if (await outbox.complete(e.key, this.deps.id, now)) {
        report.delivered++;
        this.totals.delivered++;
      }
      return;
    }
    breaker.failure(now);
    if (!result.retryable || e.attempts >= this.backoff.maxAttempts) {
      const why = result.retryable ? `gave up after ${e.attempts} attempts: ${result.error}` : result.error;
      await this.receipt(e, 'failed', why);
      if (await outbox.deadLetter(e.key, this.deps.id, now, why)) {
        report.dead++;
        this.totals.dead++;
      }
      return;
    }
    if (await outbox.retry(e.key, this.deps.id, now + backoffMs(this.backoff, e.attempts, this.deps.random), result.error)) {
      report.retried++;
      this.totals.retried++;
    }
  }

  private async receipt(e: OutboxEntry, status: DeliveryReceipt['status'], error?: string): Promise<void> {
    await this.deps.onReceipt?.(receiptOf(e, status, this.deps.clock(), error));
  }

  /** Runs passes every `intervalMs` (and at once after `wake`) until `stop`. */
  start(intervalMs = 200): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.intervalMs = intervalMs;
    this.timer = setTimeout(() => void this.loop(), 0);
  }

  private async loop(): Promise<void> {
    if (this.stopped || this.running) return;
    this.woken = false;
    this.running = this.pass().catch((e: unknown) => {
      this.deps.onError?.(e);
      return { leased: 0, delivered: 0, retried: 0, dead: 0, open: [] };
    });
    const r = await this.running;
    this.running = undefined;
    // A pass that leased something may have left more due: go again at once.
    if (!this.stopped) this.timer = setTimeout(() => void this.loop(), r.leased > 0 || this.woken ? 0 : this.intervalMs);
  }

  /** Runs a pass soon (a new entry was written). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), 0);
  }

  /** Stops after the pass in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
