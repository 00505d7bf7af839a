/**
 * The scheduled drift check: on a timer (or on demand) it asks for a drift report of every
 * champion, keeps the alerts (newest first, bounded), logs each one and, when configured,
 * asks for a retrained candidate of every drifted model. It decides nothing else: a
 * person (or a policy) promotes the candidate after reading its card and metrics.
 */
import type { DriftReport } from '../models/metrics/driftCheck.js';
import type { DriftCheckRecord } from '../store/modelRegistry.js';

/** What is kept of a drift report over time: PSI of the score and per feature, calibration gap, verdict. */
export function driftCheckRecord(r: DriftReport): DriftCheckRecord {
  return {
    modelId: r.modelId,
    checkedAt: r.checkedAt,
    rows: r.rows,
    scorePsi: r.score.psi,
    features: Object.fromEntries(r.features.map((f) => [f.name, f.psi])),
    ece: r.calibration?.eceNow ?? null,
    drifted: r.drifted,
    reasons: r.reasons,
  };
}

/** One alert: a drifted model, why, and what was done about it. */
export interface DriftAlert {
  id: number;
  raisedAt: string;
  modelId: string;
  modelName: string;
  reasons: string[];
  scorePsi: number;
  calibration: { observedRate: number; meanPredicted: number; eceNow: number } | null;
  /** The candidate registered by the automatic retrain, if one ran. */
  retrainedCandidate: string | null;
  retrainError: string | null;
}

export interface DriftMonitorDeps {
  /** Produces drift reports for the champions (the lifecycle's `checkDrift`). */
  check: () => Promise<DriftReport[]>;
  /** Retrains the model of this name and returns the new candidate ids (undefined: retraining is off). */
  retrain?: (modelName: string) => Promise<string[]>;
  now: () => number;
  log: (fields: Record<string, unknown>, message: string) => void;
  /** Keeps each report for "drift over time" (the registry's `recordDriftCheck`); a failure is logged, not thrown. */
  record?: (reports: DriftReport[]) => Promise<void>;
  /** Alerts kept in memory (default 200). */
  keep?: number;
}

/** The outcome of one scheduled or manual check. */
export interface DriftCheckRun {
  checkedAt: string;
  reports: DriftReport[];
  alerts: DriftAlert[];
}

const nameOf = (modelId: string) => modelId.replace(/@\d+$/, '');

export class DriftMonitor {
  private readonly alertList: DriftAlert[] = [];
  private last: DriftCheckRun | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<DriftCheckRun> | undefined;
  private nextId = 1;

  constructor(private readonly deps: DriftMonitorDeps) {}

  /** Alerts, newest first. */
  alerts(): DriftAlert[] {
    return [...this.alertList];
  }

  /** The latest run's reports (per champion), if any run yet. */
  latest(): DriftCheckRun | undefined {
    return this.last;
  }

  /** Runs a check now; concurrent calls share one run. */
  async runOnce(): Promise<DriftCheckRun> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Checks every `intervalMs` until `stop`; the timer does not keep the process alive. */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      this.runOnce().catch((e: unknown) => this.deps.log({ event: 'drift_check_failed', error: (e as Error).message }, 'drift check failed'));
    }, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<DriftCheckRun> {
    const checkedAt = new Date(this.deps.now()).toISOString();
    const reports = await this.deps.check();
    if (this.deps.record) {
      await this.deps.record(reports).catch((e: unknown) => this.deps.log({ event: 'drift_record_failed', error: (e as Error).message }, 'keeping the drift check failed'));
    }
    const alerts: DriftAlert[] = [];
    // One retrain can register candidates for several names (all propensity families): reuse them.
    const fresh: string[] = [];
    for (const r of reports.filter((x) => x.drifted)) {
      const alert: DriftAlert = {
        id: this.nextId++,
        raisedAt: checkedAt,
        modelId: r.modelId,
        modelName: nameOf(r.modelId),
        reasons: r.reasons,
        scorePsi: r.score.psi,
        calibration: r.calibration ? { observedRate: r.calibration.observedRate, meanPredicted: r.calibration.meanPredicted, eceNow: r.calibration.eceNow } : null,
        retrainedCandidate: null,
        retrainError: null,
      };
      this.deps.log({ event: 'model_drift', model: r.modelId, reasons: r.reasons, scorePsi: r.score.psi }, `model ${r.modelId} drifted`);
      if (this.deps.retrain) {
        try {
          let ids = fresh.filter((id) => nameOf(id) === alert.modelName);
          if (ids.length === 0) {
            ids = await this.deps.retrain(alert.modelName);
            fresh.push(...ids);
          }
          alert.retrainedCandidate = ids.find((id) => nameOf(id) === alert.modelName) ?? null;
          this.deps.log({ event: 'model_retrained', model: r.modelId, candidate: alert.retrainedCandidate }, `retrained ${alert.modelName} as a candidate`);
        } catch (e) {
          alert.retrainError = (e as Error).message;
          this.deps.log({ event: 'model_retrain_failed', model: r.modelId, error: alert.retrainError }, `retraining ${alert.modelName} failed`);
        }
      }
      alerts.push(alert);
    }
    this.alertList.unshift(...alerts.reverse());
    this.alertList.length = Math.min(this.alertList.length, this.deps.keep ?? 200);
    this.last = { checkedAt, reports, alerts: alerts.reverse() };
    return this.last;
  }
}
