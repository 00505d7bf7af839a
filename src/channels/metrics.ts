/**
 * Trigger and delivery metrics for operators (`GET /v1/ops/triggers`, `nextbest deliveries`):
 * fires per trigger and outcome, deliveries, retries, dead letters, and latencies. Latencies
 * are kept in a bounded reservoir of the most recent samples, so a long-running server uses
 * constant memory and the quantiles describe now, not since start.
 */

/** The most recent `size` samples and their quantiles. */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;
  count = 0;

  constructor(private readonly size = 4096) {}

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.count++;
    if (this.samples.length < this.size) this.samples.push(ms);
    else {
      this.samples[this.next] = ms;
      this.next = (this.next + 1) % this.size;
    }
  }

  /** p50, p90, p99 and max of the window (nearest rank), or null when empty. */
  quantiles(): { p50: number; p90: number; p99: number; max: number; samples: number } | null {
    if (this.samples.length === 0) return null;
    const s = [...this.samples].sort((a, b) => a - b);
    const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
    return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1]!, samples: s.length };
  }
}

/** Counters since the process started. */
export class DeliveryMetrics {
  /** Fires by trigger id and outcome (decided, nothing_chosen). */
  readonly fires = new Map<string, { decided: number; nothing_chosen: number }>();
  readonly deliveries = { enqueued: 0, delivered: 0, failed: 0, cancelled: 0, retried: 0 };
  /** From the event's arrival (recordedAt) to the fire's decision written to the outbox. */
  readonly fireToDecision = new LatencyWindow();
  /** From the decision to the receipt of a delivered entry. */
  readonly decisionToDelivery = new LatencyWindow();

  fire(triggerId: string, outcome: 'decided' | 'nothing_chosen'): void {
    const f = this.fires.get(triggerId) ?? { decided: 0, nothing_chosen: 0 };
    f[outcome]++;
    this.fires.set(triggerId, f);
  }

  snapshot() {
    return {
      fires: Object.fromEntries(this.fires),
      deliveries: { ...this.deliveries },
      latencyMs: { fireToDecision: this.fireToDecision.quantiles(), decisionToDelivery: this.decisionToDelivery.quantiles() },
    };
  }
}
