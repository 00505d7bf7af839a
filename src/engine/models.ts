/** The model side of the engine: champions served to decisioning, scores, drift checks, and the `models` façade. */
import type { Logger } from 'pino';
import type { StoredEvent } from '../core/events.js';
import { GbdtScorer, type Decisioning } from '../decisioning/index.js';
import { DriftMonitor, driftCheckRecord } from '../governance/driftMonitor.js';
import type { Profile } from '../features/index.js';
import type { EventQuery } from '../store/eventLog.js';
import type { Champions, ModelLifecycle, ProfileScores, TrainRunOptions } from '../training/index.js';

/** Serves each new set of champions to decisioning (propensities), with TreeSHAP tables built in the background. */
export function serveChampions(lifecycle: ModelLifecycle, decisioning: Decisioning, logger: Logger, isClosed: () => boolean): void {
  lifecycle.onChampionsChanged((c: Champions) => {
    const families = Object.fromEntries([...c.propensity].map(([family, m]) => [family, { version: m.version, model: m.model }]));
    const scorer = new GbdtScorer({ families });
    decisioning.setScorer(scorer);
    // TreeSHAP tables in the background, a model per turn of the event loop, so the first
    // decisions a new champion wins do not each build one inside a request.
    const builds = scorer.explainerBuilds();
    const next = () => {
      const build = builds.shift();
      if (!build || isClosed()) return;
      build();
      setImmediate(next).unref();
    };
    setImmediate(next).unref();
    if (c.skipped.length > 0) logger.warn({ event: 'champions_skipped', models: c.skipped, because: c.skippedBecause }, 'champions not served: trained on other feature definitions, or fitted on a model that is no longer champion');
    logger.debug({ event: 'champions_loaded', models: c.versions }, 'model champions in service');
  });
}

/** The model scores of a profile (segment, churn, CLV, stress, propensities); null without champions. */
export async function modelScores(lifecycle: ModelLifecycle, p: Profile, events: (query: EventQuery) => Promise<StoredEvent[]>): Promise<ProfileScores | null> {
  const champions = lifecycle.champions;
  if (!champions) return null;
  const asOf = Date.parse(p.asOf);
  const payments = champions.clv ? await events({ types: ['card_payment'], toT: asOf + 1 }) : [];
  return lifecycle.scores((name) => p.features[name]?.value ?? Number.NaN, Object.keys(p.features), asOf, payments);
}

/** The `engine.models` façade: the registry and lifecycle acts the API and CLI offer. */
export function modelsFacade(lifecycle: ModelLifecycle) {
  return {
    /** The champions in service (undefined before the first load). */
    get champions(): Champions | undefined {
      return lifecycle.champions;
    },
    list: (filter?: Parameters<ModelLifecycle['list']>[0]) => lifecycle.list(filter),
    get: (id: string) => lifecycle.get(id),
    /** Serves a candidate if the promotion guard allows it (or `force` names the reason to override it). */
    promote: (...args: Parameters<ModelLifecycle['promote']>) => lifecycle.promote(...args),
    rollback: (...args: Parameters<ModelLifecycle['rollback']>) => lifecycle.rollback(...args),
    checkDrift: (o?: Parameters<ModelLifecycle['checkDrift']>[0]) => lifecycle.checkDrift(o),
    train: (o: TrainRunOptions = {}) => lifecycle.train(o),
    /** Registers a model trained elsewhere as a candidate (imports, benches); `promote` serves it. */
    register: (...args: Parameters<ModelLifecycle['registry']['register']>) => lifecycle.registry.register(...args),
  };
}

/** Drift checks of the champions and their alerts (the `engine.drift` façade); `start` schedules them. */
export function driftChecks(lifecycle: ModelLifecycle, now: () => number, logger: Logger) {
  let days = 30;
  const monitor = (retrain?: { days: number; promote: boolean }) =>
    new DriftMonitor({
      check: () => lifecycle.checkDrift({ days }),
      ...(retrain ? { retrain: async (name: string) => (await lifecycle.retrain(name, { days: retrain.days, promote: retrain.promote })).trained.map((t) => t.id) } : {}),
      now,
      log: (fields, message) => logger.warn(fields, message),
      record: async (reports) => {
        for (const r of reports) await lifecycle.registry.recordDriftCheck(driftCheckRecord(r));
      },
    });
  let current = monitor();
  return {
    alerts: () => current.alerts(),
    latest: () => current.latest(),
    runOnce: () => current.runOnce(),
    /**
     * Checks every `everyMinutes`; with `retrain`, drifted models are retrained as candidates
     * (and with `promote`, served when the promotion guard allows it).
     */
    start(o: { everyMinutes: number; days?: number; retrain?: boolean; retrainDays?: number; promote?: boolean }): void {
      current.stop();
      days = o.days ?? 30;
      current = monitor(o.retrain ? { days: o.retrainDays ?? 120, promote: o.promote === true } : undefined);
      current.start(o.everyMinutes * 60_000);
    },
    stop: () => current.stop(),
    /** A model's drift checks over time, oldest first (the most recent `limit`). */
    history: (modelId: string, limit = 200) => lifecycle.registry.driftChecks(modelId, limit),
  };
}
