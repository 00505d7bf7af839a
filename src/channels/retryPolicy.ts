/**
 * How the dispatcher waits and when it stops: exponential backoff with jitter (so a
 * receiver that comes back is not hit by every retry at once), and a circuit breaker per
 * channel (so a receiver that is down costs one probe per cool-down, not one timeout per
 * message). Clock and randomness come in as arguments.
 */

export interface BackoffPolicy {
  /** The first retry waits about this long (ms). */
  readonly baseMs: number;
  /** No wait is longer than this (ms). */
  readonly maxMs: number;
  /** After this many attempts the entry goes to the dead-letter list. */
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 10 });

/**
 * The wait before the next attempt after `attempts` attempts: base·2^(attempts-1), capped,
 * with "equal jitter" (half fixed, half uniform) so waits still grow while retries spread.
 */
export function backoffMs(policy: BackoffPolicy, attempts: number, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface BreakerPolicy {
  /** Failures in a row that open the circuit. */
  readonly failures: number;
  /** How long it stays open before one probe is let through (ms). */
  readonly openMs: number;
}

export const DEFAULT_BREAKER: BreakerPolicy = Object.freeze({ failures: 5, openMs: 30_000 });

export type BreakerState = 'closed' | 'open' | 'half_open';

/** One channel's circuit breaker. */
export class CircuitBreaker {
  private failuresInRow = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(private readonly policy: BreakerPolicy = DEFAULT_BREAKER) {}

  /** Where it is at `now`. */
  state(now: number): BreakerState {
    if (this.openedAt === null) return 'closed';
    return now - this.openedAt >= this.policy.openMs ? 'half_open' : 'open';
  }

  /** How many sends may start now: all when closed, one probe when half-open (and none in flight), none when open. */
  allowance(now: number, wanted: number): number {
    const s = this.state(now);
    if (s === 'closed') return wanted;
    if (s === 'open' || this.probing) return 0;
    this.probing = true;
    return Math.min(1, wanted);
  }

  success(): void {
    this.failuresInRow = 0;
    this.openedAt = null;
    this.probing = false;
  }

  failure(now: number): void {
    this.failuresInRow++;
    // A failed probe opens it again for a full period; so does the n-th failure in a row.
    if (this.probing || this.failuresInRow >= this.policy.failures) this.openedAt = now;
    this.probing = false;
  }
}
