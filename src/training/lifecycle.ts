/**
 * The model lifecycle in one place: train from the log and register candidates, promote
 * and roll back, serve the champions (swapped atomically on every change), check the
 * champions for drift and retrain the drifted ones as candidates.
 */
import type { Customer } from '../core/customer.js';
import { ValidationError } from '../core/errors.js';
import type { EventType, StoredEvent } from '../core/events.js';
import type { FeatureSet } from '../features/featureSet.js';
import type { DriftReport, DriftThresholds } from '../models/metrics/driftCheck.js';
import type { EventLog } from '../store/eventLog.js';
import { alreadyChampion, modelNotFound, type ModelRecord, type ModelRegistry, type ModelSummary } from '../store/modelRegistry.js';
import { iso, type SkippedModel, type TrainContext, type TrainedModel } from './context.js';
import { checkModelDrift, labelOfModel } from './drift.js';
import { jobOfModel, MODEL_JOBS, runJob, type ModelJob } from './families/index.js';
import { DAY_MS, type LabelWindow } from './labels.js';
import { judgePromotion, promotionNote, PromotionRefused, type PromotionVerdict } from './promotion.js';
import { Champions, type FeatureLookup, type ProfileScores } from './serving.js';
import { LogWithout } from './consent.js';
import { SnapshotStore, type SnapshotFollower, type SnapshotRefresh } from './snapshot.js';
import { snapshotSource } from './source.js';
import { BoostPool } from './boostPool.js';

/** An administrative act for the audit trail (governance/audit wires it; training does not import it). */
export type ModelAudit = (act: { actor: string; action: 'model.promote' | 'model.rollback'; target: string; before: unknown; after: unknown }) => Promise<unknown>;

export interface TrainRunOptions {
  /** Jobs to run (default all). */
  models?: readonly string[];
  /** As-of window of the training rows; default from the first event + warm-up to the last event. */
  from?: number;
  to?: number;
  /** Days at the start of the log kept out of the rows so 90-day features have history (default 60). */
  warmupDays?: number;
  seed?: number;
  /** Promote each new model that passes the promotion guard to champion at once (the demo; in production a person promotes). */
  promote?: boolean;
  progress?: TrainContext['progress'];
  gbdt?: TrainContext['gbdt'];
  /** False: every job scans the log as before, instead of reading the columnar snapshot (default true). */
  snapshot?: boolean;
  /** Threads that train (default the lifecycle's `threads`): 1 is the main thread alone; more boost GBDTs on workers while the next job's data is built. */
  threads?: number;
}

export interface TrainRun {
  window: { from: string; to: string };
  trained: TrainedModel[];
  skipped: SkippedModel[];
  promoted: string[];
  /** Trained but left as candidates by `promote`: the promotion guard's reasons (or not below the base rate's log loss). */
  notPromoted: { id: string; reason: string }[];
  /** How the run got its data: the snapshot loaded, built or extended (and why it was rebuilt), or the log. */
  data: (SnapshotRefresh & { source: 'snapshot' }) | { source: 'log'; reason: string };
  /** On more than one thread: GBDTs boosted and matrix pieces built on worker threads and on this one (it varies with timing). */
  work?: { boosted: { onWorkers: number; here: number }; built: { onWorkers: number; here: number } };
}

/** Why a freshly trained model should not be promoted automatically (undefined: fine). */
export function promotionBlocker(t: TrainedModel): string | undefined {
  const ll = t.metrics.logLoss;
  const base = t.metrics.logLossBaseline;
  if (typeof ll === 'number' && typeof base === 'number' && !(ll < base)) return `test log loss ${ll} is not below the base rate's ${base}`;
  return undefined;
}

export class ModelLifecycle {
  private served: Champions | undefined;
  private readonly listeners: ((c: Champions) => void)[] = [];

  constructor(
    readonly registry: ModelRegistry,
    private readonly deps: {
      log: EventLog;
      features: () => FeatureSet;
      now: () => number;
      /** Customers whose data may not train models (objection to profiling, training purpose withheld). */
      trainingExclusions?: () => Promise<ReadonlySet<string>>;
      audit?: ModelAudit;
      /** The action ids whose offers are retention offers (the catalogue in force: `value.model: retention` actions and their families). */
      retentionActions?: () => ReadonlySet<string>;
      /** Customer records for the fairness audit of each trained model. */
      customers?: (ids: readonly string[]) => Promise<(Customer | undefined)[]>;
      /** Where the training snapshot is kept (none: in memory only). */
      snapshotDir?: string;
      /** Threads a training run uses (config `training.threads`; default 1: the main thread alone). */
      threads?: number;
      /** Where a run says that it could not use a worker thread (and trained on the main thread). */
      warn?: (message: string) => void;
    },
  ) {
    this.snapshots = new SnapshotStore(deps.log, deps.snapshotDir);
  }

  private readonly snapshots: SnapshotStore;

  /** Drops the training snapshot (memory and disk): the next training rebuilds it from the log. */
  forgetSnapshot(): void {
    this.snapshots.forget();
  }

  /** GDPR erasure: the customer's rows leave the training snapshot at once (memory and disk). */
  eraseFromSnapshot(customerId: string): void {
    this.snapshots.erase(customerId, this.deps.features());
  }

  /** A retention purge removed events from the log (`before` as ISO time or epoch ms): the snapshot drops the same rows. */
  purgeSnapshot(purged: readonly { type: string; before: string | number; purged?: number }[]): void {
    const cutoffs = purged.filter((p) => (p.purged ?? 1) > 0).map((p) => ({ type: p.type as EventType, before: typeof p.before === 'number' ? p.before : Date.parse(p.before) }));
    this.snapshots.purge(cutoffs, this.deps.features());
  }

  /** Keeps the training snapshot up to date as the log grows (the engine's `training-snapshot` log consumer drives it). */
  snapshotFollower(): SnapshotFollower {
    return this.snapshots.follower(() => this.deps.features());
  }

  /** The champions in service (empty until `reload`). */
  get champions(): Champions | undefined {
    return this.served;
  }

  /** Hears every swap of champions (e.g. decisioning's scorer). */
  onChampionsChanged(listener: (c: Champions) => void): void {
    this.listeners.push(listener);
  }

  /** Loads the registry's champions and swaps them in. */
  async reload(): Promise<Champions> {
    const next = await Champions.load(this.registry, this.deps.features().version);
    this.served = next;
    for (const l of this.listeners) l(next);
    return next;
  }

  private windowOf(first: number, last: number, o: Pick<TrainRunOptions, 'from' | 'to' | 'warmupDays'>): LabelWindow {
    const to = o.to ?? last + 1;
    const from = o.from ?? first + (o.warmupDays ?? 60) * DAY_MS;
    if (!(from < to)) throw new ValidationError([{ field: 'window', rule: 'non_empty', message: 'the log is empty or shorter than the warm-up: nothing to train on' }]);
    return { from, to, observedUntil: to };
  }

  /** The window of a training run: whole log by default, after a warm-up. */
  async defaultWindow(o: Pick<TrainRunOptions, 'from' | 'to' | 'warmupDays'> = {}): Promise<LabelWindow> {
    let first = Number.POSITIVE_INFINITY;
    for await (const page of this.deps.log.scan({ batchSize: 1 })) {
      first = page[0]?.t ?? first;
      break;
    }
    let last = Number.NEGATIVE_INFINITY;
    if (o.to === undefined) {
      // The latest event: usually within the last 400 days of the clock; a log replayed from the past needs a full scan.
      for await (const page of this.deps.log.scan({ fromT: this.deps.now() - 400 * DAY_MS, batchSize: 50_000 })) last = Math.max(last, page[page.length - 1]?.t ?? last);
      if (last === Number.NEGATIVE_INFINITY) for await (const page of this.deps.log.scan({ batchSize: 50_000 })) last = Math.max(last, page[page.length - 1]?.t ?? last);
    }
    const to = o.to ?? last + 1;
    const from = o.from ?? first + (o.warmupDays ?? 60) * DAY_MS;
    if (!(from < to)) throw new ValidationError([{ field: 'window', rule: 'non_empty', message: 'the log is empty or shorter than the warm-up: nothing to train on' }]);
    return { from, to, observedUntil: to };
  }

  /** Trains the jobs, registers candidates (champions with `promote`), then swaps in champions. */
  async train(o: TrainRunOptions = {}): Promise<TrainRun> {
    // In the list's order whatever order they were asked in: a family may read what an earlier one registered (retention: the churn model).
    const asked = (o.models ?? MODEL_JOBS) as readonly string[];
    const unknown = asked.filter((j) => !(MODEL_JOBS as readonly string[]).includes(j));
    const jobs = MODEL_JOBS.filter((j) => asked.includes(j));
    if (unknown.length > 0) throw new ValidationError([{ field: 'model', rule: 'known_model', message: `unknown model ${unknown.join(', ')}; one of ${MODEL_JOBS.join(', ')}` }]);
    const threads = o.threads ?? this.deps.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new ValidationError([{ field: 'threads', rule: 'positive_integer', message: `must be a whole number of threads, at least 1, got ${threads}` }]);
    // threads > 1: workers boost GBDTs and build pieces of feature matrices (decisions 0026, 0029); started now, they load their code while the snapshot is read.
    const pool = threads > 1 && jobs.length > 0 ? new BoostPool({ workers: threads - 1, warn: this.deps.warn ?? (() => {}) }) : undefined;
    pool?.start();
    try {
      return await this.trainWith(o, jobs, pool);
    } finally {
      await pool?.close();
    }
  }

  private async trainWith(o: TrainRunOptions, jobs: readonly string[], pool: BoostPool | undefined): Promise<TrainRun> {
    const features = this.deps.features();
    const snap = o.snapshot === false ? undefined : await this.snapshots.refresh(features, (n) => o.progress?.('training snapshot', n, undefined));
    const s = snap?.snapshot;
    // The window's ends from the snapshot's first and last rows: the same events the scans below would find.
    const window = s && s.rows > 0 ? this.windowOf(s.cols.t[0]!, s.cols.t[s.rows - 1]!, o) : await this.defaultWindow(o);
    const excluded = (await this.deps.trainingExclusions?.()) ?? new Set<string>();
    const log = new LogWithout(this.deps.log, excluded);
    const ctx: TrainContext = { log, ...(s ? { data: snapshotSource(s, excluded, log, pool) } : {}), registry: withConsentNote(this.registry, excluded.size), features: this.deps.features(), window, createdAt: iso(this.deps.now()), seed: o.seed ?? 1, ...(o.progress ? { progress: o.progress } : {}), ...(o.gbdt ? { gbdt: o.gbdt } : {}), ...(this.deps.customers ? { customers: this.deps.customers } : {}), ...(this.deps.retentionActions ? { retentionActions: this.deps.retentionActions() } : {}) };
    const data: TrainRun['data'] = s ? { source: 'snapshot', ...snap!.refresh } : { source: 'log', reason: snap?.refresh.reason ?? 'asked for (snapshot: false)' };
    const run: TrainRun = { window: { from: iso(window.from), to: iso(window.to) }, trained: [], skipped: [], promoted: [], notPromoted: [], data };
    const results = pool ? await runOverlapped(jobs as ModelJob[], ctx, pool) : await runInTurn(jobs as ModelJob[], ctx);
    if (pool) run.work = { boosted: { ...pool.boosted }, built: { ...pool.built } };
    for (const r of results) {
      if ('reason' in r) run.skipped.push(r);
      else run.trained.push(r);
    }
    if (o.promote) {
      const refit = await this.promoteTrained(run, run.trained);
      // A model fitted on another family's model that this run replaced (the retention mixture
      // on the churn model) is fitted again on the new champion, once, and judged as the rest.
      if (refit.length > 0) {
        const again = await runInTurn(refit, ctx);
        const trained = again.filter((r): r is TrainedModel => !('reason' in r));
        for (const r of again) if ('reason' in r) run.skipped.push(r);
        run.trained.push(...trained);
        await this.promoteTrained(run, trained);
      }
    }
    await this.reload();
    return run;
  }

  /**
   * Promotes, in list order, each model that passes the guard; returns the jobs of models
   * left out because they were fitted on a model that is no longer champion (an earlier
   * promotion of this run replaced it).
   */
  private async promoteTrained(run: TrainRun, trained: readonly TrainedModel[]): Promise<ModelJob[]> {
    const refit = new Set<ModelJob>();
    for (const t of trained) {
      // Automatic promotion is gated: a model no better than the base rate, or one the guard refuses, stays a candidate for a person to judge.
      const blocker = promotionBlocker(t);
      const verdict = await this.judge(t.id);
      const stale = verdict.checks.find((c) => c.rule === 'fitted_on_champion' && !c.passed);
      if (stale) {
        run.notPromoted.push({ id: t.id, reason: `${stale.detail} (${stale.rule})` });
        // Fitted again only when this run's promotions may have replaced what it was fitted on.
        const job = jobOfModel(t.name);
        if (job && run.promoted.length > 0) refit.add(job);
        continue;
      }
      if (blocker || !verdict.allowed) {
        run.notPromoted.push({ id: t.id, reason: [blocker, ...verdict.checks.filter((c) => !c.passed).map((c) => `${c.detail} (${c.rule})`)].filter((x) => x !== undefined).join('; ') });
        continue;
      }
      await this.registry.promote(t.id, iso(this.deps.now()), promotionNote(verdict));
      run.promoted.push(t.id);
    }
    return [...refit];
  }

  /** The promotion guard's verdict on a registered model (see promotion.ts). */
  async judge(id: string): Promise<PromotionVerdict> {
    const m = await this.registry.get(id);
    if (!m) throw modelNotFound(id);
    return judgePromotion({ log: this.deps.log, features: this.deps.features(), registry: this.registry }, m);
  }

  /**
   * Promotes a model that passes the promotion guard and swaps it into service; refuses
   * (PromotionRefused, naming each failed rule) otherwise. `force` — a person's reason,
   * kept in the registry's history with the checks it overrode — promotes regardless.
   */
  async promote(id: string, o: { force?: string; actor?: string } = {}): Promise<{ champion: ModelSummary; retired: ModelSummary | null; verdict: PromotionVerdict }> {
    if (o.force !== undefined && o.force.trim().length < 10) throw new ValidationError([{ field: 'force', rule: 'reason_required', message: 'forcing a promotion needs the reason in words (at least 10 characters)' }]);
    const m = await this.registry.get(id);
    if (m?.stage === 'champion') throw alreadyChampion(id);
    const verdict = await this.judge(id);
    if (!verdict.allowed && o.force === undefined) throw new PromotionRefused(verdict);
    const r = await this.registry.promote(id, iso(this.deps.now()), promotionNote(verdict, o.force?.trim()));
    await this.reload();
    await this.deps.audit?.({ actor: o.actor ?? 'system', action: 'model.promote', target: id, before: r.retired ? { champion: r.retired.id } : null, after: { champion: r.champion.id, verdict: { allowed: verdict.allowed }, ...(o.force !== undefined ? { forced: o.force.trim() } : {}) } });
    return { ...r, verdict };
  }

  /** Restores the previous champion of a name and swaps it into service. */
  async rollback(name: string, o: { actor?: string } = {}): Promise<{ champion: ModelSummary; retired: ModelSummary }> {
    const r = await this.registry.rollback(name, iso(this.deps.now()));
    await this.reload();
    await this.deps.audit?.({ actor: o.actor ?? 'system', action: 'model.rollback', target: name, before: { champion: r.retired.id }, after: { champion: r.champion.id } });
    return r;
  }

  async list(filter?: Parameters<ModelRegistry['list']>[0]): Promise<ModelSummary[]> {
    return this.registry.list(filter);
  }

  async get(id: string): Promise<ModelRecord | undefined> {
    return this.registry.get(id);
  }

  /** Checks every champion with a drift reference over the last `days` days. */
  async checkDrift(o: { days?: number; thresholds?: DriftThresholds } = {}): Promise<DriftReport[]> {
    const to = this.deps.now();
    const from = to - (o.days ?? 30) * DAY_MS;
    const reports: DriftReport[] = [];
    for (const m of await this.registry.list({ stage: 'champion' })) {
      if (!labelOfModel(m.name)) continue;
      const r = await checkModelDrift({ log: this.deps.log, features: this.deps.features(), registry: this.registry }, m.id, from, to, iso(to), o.thresholds);
      if (r) reports.push(r);
    }
    return reports;
  }

  /**
   * Retrains the job behind a model on the most recent `days` of the log; the result is a
   * candidate, or with `promote` the champion when the promotion guard allows it.
   */
  async retrain(name: string, o: { days?: number; seed?: number; promote?: boolean } = {}): Promise<TrainRun> {
    const job = jobOfModel(name);
    if (!job) throw new ValidationError([{ field: 'name', rule: 'known_model', message: `no training job for ${name}` }]);
    const to = this.deps.now();
    return this.train({ models: [job], from: to - (o.days ?? 120) * DAY_MS, to, ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.promote ? { promote: true } : {}) });
  }

  /** The model scores of a profile (empty when no champions are served). */
  scores(values: FeatureLookup, names: readonly string[], now: number, cardPayments: readonly StoredEvent[]): ProfileScores | null {
    return this.served ? this.served.score(values, names, now, cardPayments) : null;
  }
}

/** One job after another on this thread (`threads: 1`). */
async function runInTurn(jobs: readonly ModelJob[], ctx: TrainContext): Promise<(TrainedModel | SkippedModel)[]> {
  const out: (TrainedModel | SkippedModel)[] = [];
  for (const job of jobs) out.push(...(await runJob(job, ctx)));
  return out;
}

/**
 * Jobs overlapped (decisions 0026, 0029): GBDTs boost and matrix pieces are built on the
 * pool's workers (and here when this thread waits), and the next job builds its dataset while the previous one's models boost,
 * two jobs in flight. Each job registers only after every earlier job has finished, so the
 * registry sees the same models in the same order as `runInTurn`.
 */
async function runOverlapped(jobs: readonly ModelJob[], ctx: TrainContext, boosting: BoostPool): Promise<(TrainedModel | SkippedModel)[]> {
  const started: Promise<(TrainedModel | SkippedModel)[]>[] = [];
  let earlier: Promise<unknown> = Promise.resolve();
  let failed = false;
  for (const [k, job] of jobs.entries()) {
    // At most two jobs in flight: the one finishing and the one building its data.
    if (k >= 2) await started[k - 2]!.catch(() => {});
    if (failed) break; // as one thread would: no job starts after one failed
    const before = earlier;
    const p = runJob(job, { ...ctx, boosting, registry: registeringAfter(ctx.registry, before) });
    p.catch(() => (failed = true));
    started.push(p);
    earlier = Promise.all([before, p]);
    earlier.catch(() => {});
  }
  const settled = await Promise.allSettled(started);
  const out: (TrainedModel | SkippedModel)[] = [];
  for (const r of settled) {
    if (r.status === 'rejected') throw r.reason;
    out.push(...r.value);
  }
  return out;
}

/**
 * The registry for a job that must register after `earlier` (the jobs before it) finished;
 * none after one failed. Its reads wait too, so a job sees what the jobs before it
 * registered, as with one thread (retention reads the churn model).
 */
function registeringAfter(registry: ModelRegistry, earlier: Promise<unknown>): ModelRegistry {
  return new Proxy(registry, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await earlier;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The registry as training jobs see it: every card says how many customers were left out for consent. */
function withConsentNote(registry: ModelRegistry, excluded: number): ModelRegistry {
  return new Proxy(registry, {
    get(target, prop, receiver) {
      if (prop !== 'register') return Reflect.get(target, prop, receiver);
      return (m: Parameters<ModelRegistry['register']>[0]) => target.register({ ...m, card: { ...m.card, data: { ...m.card.data, consentExcluded: excluded } } });
    },
  });
}
