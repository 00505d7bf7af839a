/**
 * The periodic measurement check (Consumer Duty outcome monitoring and the fairness audit of
 * decisions): on a timer, or on demand, it reads the customer-outcome report and the
 * decision-fairness report over the last N days, keeps the latest of each, and logs every
 * alert — an outcome significantly worse for contacted or vulnerable customers, a selection or
 * acceptance ratio whose whole interval is below 0.8 — so a log-based alerting rule pages
 * someone. It changes nothing: people read the reports and act.
 */
import type { FairnessReport } from './fairness.js';
import type { OutcomeReport } from './monitoring.js';

export interface MeasurementRun {
  checkedAt: string;
  days: number;
  outcomes: OutcomeReport;
  fairness: FairnessReport;
  /** The alerts logged by this run. */
  alerts: { kind: 'outcome' | 'fairness'; message: string }[];
}

export interface MeasurementMonitorDeps {
  outcomes: (days: number) => Promise<OutcomeReport>;
  fairness: (days: number) => Promise<FairnessReport>;
  now: () => number;
  log: (fields: Record<string, unknown>, message: string) => void;
}

export class MeasurementMonitor {
  private last: MeasurementRun | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<MeasurementRun> | undefined;
  private days = 90;

  constructor(private readonly deps: MeasurementMonitorDeps) {}

  /** The latest run, if any. */
  latest(): MeasurementRun | undefined {
    return this.last;
  }

  /** Runs a check now over the last `days` (default: the scheduled window); concurrent calls share one run. */
  async runOnce(days = this.days): Promise<MeasurementRun> {
    this.running ??= this.run(days).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Checks every `everyMinutes` over the last `days`, until `stop`; the timer does not keep the process alive. */
  start(o: { everyMinutes: number; days?: number }): void {
    this.stop();
    this.days = o.days ?? 90;
    this.timer = setInterval(() => {
      this.runOnce().catch((e: unknown) => this.deps.log({ event: 'measurement_check_failed', error: (e as Error).message }, 'measurement check failed'));
    }, o.everyMinutes * 60_000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async run(days: number): Promise<MeasurementRun> {
    const checkedAt = new Date(this.deps.now()).toISOString();
    const [outcomes, fairness] = await Promise.all([this.deps.outcomes(days), this.deps.fairness(days)]);
    const alerts: MeasurementRun['alerts'] = [];
    for (const a of outcomes.alerts) {
      const message = `customer outcome worse: ${a.group} / ${a.segment}: ${a.measure}, contacted − held out ${a.difference.toFixed(4)} [${a.interval[0].toFixed(4)}, ${a.interval[1].toFixed(4)}]`;
      this.deps.log({ event: 'outcome_alert', ...a }, message);
      alerts.push({ kind: 'outcome', message });
    }
    for (const a of fairness.alerts.filter((x) => x.significant)) {
      const message = `fairness: ${a.family} / ${a.attribute}=${a.group}: ${a.measure} ratio ${a.ratio.toFixed(3)} [${a.interval[0].toFixed(3)}, ${a.interval[1].toFixed(3)}] below 0.8`;
      this.deps.log({ event: 'fairness_alert', ...a }, message);
      alerts.push({ kind: 'fairness', message });
    }
    this.last = { checkedAt, days, outcomes, fairness, alerts };
    return this.last;
  }
}
