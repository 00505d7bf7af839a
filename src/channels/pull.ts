/**
 * Pull channels: the app's banner slot, the chatbot, call-centre worklists and branch staff
 * come to nextbest for what is pending, for one customer (the app, the chatbot, an agent
 * with a customer on the line) or a worklist (a branch, a call-centre team). A client claims
 * entries (a lease: another client does not get them meanwhile; if it dies, the lease runs
 * out and they are due again) and acknowledges each as shown (delivered) or failed.
 */
import { NextbestError } from '../core/errors.js';
import type { Outbox, OutboxEntry } from '../store/outbox.js';
import { receiptOf, type DeliveryReceipt } from './adapter.js';

/** The channels delivered by pull by default: the app, the chatbot, the call-centre worklist, the branch. */
export const DEFAULT_PULL_DELIVERY = ['in_app', 'chatbot', 'call_centre', 'branch'] as const;

export interface PullChannelsDeps {
  readonly outbox: Outbox;
  /** Epoch ms. */
  readonly clock: () => number;
  /** The channels served by pull (a channel served by a push adapter is not also pulled). */
  readonly channels?: readonly string[];
  /** How long a claim holds entries (ms); default 10 minutes, the time an agent or a page has to show them. */
  readonly claimMs?: number;
  readonly onReceipt?: (receipt: DeliveryReceipt) => Promise<void> | void;
}

/** Whom a pull is for: one customer, or a worklist. */
export interface PullScope {
  readonly customerId?: string;
  readonly worklist?: string;
  readonly limit?: number;
}

/** Pending actions for pull clients, with claim and acknowledge. */
export class PullChannels {
  private readonly channels: readonly string[];

  constructor(private readonly deps: PullChannelsDeps) {
    this.channels = deps.channels ?? DEFAULT_PULL_DELIVERY;
  }

  private check(channel: string, scope: PullScope): void {
    if (!this.channels.includes(channel)) throw new NextbestError('NOT_FOUND', `channel ${channel} is not delivered by pull (pull channels: ${this.channels.join(', ')})`);
    if (scope.customerId === undefined && scope.worklist === undefined) throw new NextbestError('BAD_REQUEST', 'a pull names a customerId or a worklist');
  }

  /** What is due for the scope now, without claiming it (a look, e.g. a badge count). */
  async pending(channel: string, scope: PullScope): Promise<OutboxEntry[]> {
    this.check(channel, scope);
    const now = this.deps.clock();
    const rows = await this.deps.outbox.list({ channel, ...(scope.customerId !== undefined ? { customerId: scope.customerId } : {}), limit: 10_000 });
    return rows
      .filter((e) => (scope.worklist === undefined || e.worklist === scope.worklist) && ((e.status === 'pending' && e.dueAt <= now) || (e.status === 'leased' && (e.leaseUntil ?? 0) <= now)))
      .slice(0, scope.limit ?? 20);
  }

  /** Claims what is due for the scope for `by` (a page view, an agent, a branch device). */
  async claim(channel: string, scope: PullScope, by: string): Promise<OutboxEntry[]> {
    this.check(channel, scope);
    return this.deps.outbox.lease({
      channels: [channel],
      ...(scope.customerId !== undefined ? { customerId: scope.customerId } : {}),
      ...(scope.worklist !== undefined ? { worklist: scope.worklist } : {}),
      now: this.deps.clock(),
      leaseMs: this.deps.claimMs ?? 600_000,
      by,
      limit: scope.limit ?? 20,
    });
  }

  /**
   * Acknowledges a claimed entry: shown to the customer (delivered) or not (failed: it goes
   * to the dead-letter list, and the contact is released). CONFLICT when `by` does not hold it.
   */
  async acknowledge(key: string, by: string, outcome: DeliveryReceipt['status'], error?: string): Promise<OutboxEntry> {
    const e = await this.deps.outbox.get(key);
    if (!e) throw new NextbestError('NOT_FOUND', `no delivery ${key}`);
    if (e.status !== 'leased' || e.leasedBy !== by) throw new NextbestError('CONFLICT', `delivery ${key} is ${e.status}${e.status === 'leased' ? ' by another client' : ''}, not claimed by ${by}`);
    const now = this.deps.clock();
    await this.deps.onReceipt?.(receiptOf(e, outcome, now, outcome === 'failed' ? (error ?? 'not shown') : undefined));
    const done = outcome === 'delivered' ? await this.deps.outbox.complete(key, by, now) : await this.deps.outbox.deadLetter(key, by, now, error ?? 'not shown');
    if (!done) throw new NextbestError('CONFLICT', `delivery ${key} was settled or re-claimed meanwhile`);
    return (await this.deps.outbox.get(key))!;
  }

  /** Gives a claimed entry back, due again now (the agent could not reach the customer). */
  async release(key: string, by: string, reason: string): Promise<boolean> {
    return this.deps.outbox.retry(key, by, this.deps.clock(), reason);
  }
}
