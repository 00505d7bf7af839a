import { pino, type Logger } from 'pino';
import { parseConfig, type Config, type ConfigInput } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { dataDirClock } from './engine/dataDirClock.js';
import type { DecideRequest, DecisionSearch } from './decisioning/index.js';
import { FRESH_FOR } from './engine/consumers.js';
import { upsertCustomers } from './engine/customers.js';
import { catalogueFacade, consumersFacade, featuresFacade } from './engine/facades.js';
import { ingestFile, type IngestFileOptions } from './engine/files.js';
import { IngestGroups } from './engine/groupCommit.js';
import { driftChecks, modelScores, modelsFacade, serveChampions } from './engine/models.js';
import { wireParts, type Parts } from './engine/parts.js';
import { privacyFacade } from './engine/privacy.js';
import { WriteHealth } from './engine/writeHealth.js';
import { TwinJobs } from './engine/twinJobs.js';
import { customerOutcomeReport, decisionFairness, experimentResults } from './engine/experiments.js';
import { MeasurementMonitor } from './experiments/measurementMonitor.js';
import { offPolicyEvaluation } from './engine/ope.js';
import { receiptSink, startDispatcher } from './engine/delivery.js';
import { deliveriesFacade, triggersFacade } from './engine/triggerFacades.js';
import type { Profile } from './features/index.js';
import { ingestBatch, type IngestReport } from './ingest/pipeline.js';
import type { StreamSourceOptions, StreamTotals } from './ingest/natsSource.js';
import type { Backend } from './store/backend.js';
import type { LogConsumer } from './store/consumer.js';
import type { EventQuery } from './store/eventLog.js';
import type { ProfileScores, TrainRunOptions } from './training/index.js';
import { onRuleOverBudget } from './rules/index.js';

/** How old a contact reservation must be before recovery settles it on a shared store (decisions take milliseconds). */
const RESERVATION_GRACE_MS = 60_000;

export interface EngineDeps {
  clock?: Clock;
  logger?: Logger;
  /** More log consumers to run beside the built-in ones (see engine/consumers.ts). */
  consumers?: readonly LogConsumer[];
  /** Test hook: these consumers (or all) apply nothing until `engine.consumers.resume`. */
  pauseConsumers?: boolean | readonly string[];
  /** Makes decision ids (default `d-` and a random UUID). Ids seed the bandit's draws, so fixed ids make a run repeatable. */
  newDecisionId?: () => string;
}

/** The composition root: config in, one backend opened, the parts wired, narrow façades out. */
export class Engine {
  private closed = false;
  /** Serialises log writes (ingest, erasure) so consumers hear batches in seq order. */
  private writeChain: Promise<unknown> = Promise.resolve();
  readonly catalogue;
  readonly features;
  readonly models;
  readonly drift;
  readonly consumers;
  readonly privacy;
  /** Every administrative act, hash-chained (`nextbest audit verify`, `GET /v1/audit`). */
  readonly audit;
  private readonly stopPurges: () => void;
  /** Whether the stores take writes (a disk-full or I/O failure makes `/readyz` not ready). */
  private readonly writeHealth: WriteHealth;
  /** Stored experiments, the universal control group, and the arm of every decision. */
  readonly experiments;
  /** What-if runs of a candidate catalogue on the twin, in the background. */
  private readonly twinJobs: TwinJobs;
  /** Trigger definitions (list, get, put, delete, test against a history, sweep) and their fires. */
  readonly triggers;
  /** The outbox (list, dead letters, retry), the pull channels and delivery metrics. */
  readonly deliveries;
  private stopSweep: () => void = () => undefined;
  private stopRecovery: () => void = () => undefined;
  /** The log, the saved profiles and the customer records, for read-only tools, listings and tests. */
  readonly stores: Pick<Backend, 'eventLog' | 'profiles' | 'customers'>;

  private constructor(
    readonly config: Config,
    readonly clock: Clock,
    readonly logger: Logger,
    private readonly parts: Parts,
  ) {
    this.catalogue = catalogueFacade(parts.decisioning);
    this.features = featuresFacade(parts.online);
    this.models = modelsFacade(parts.lifecycle);
    this.drift = driftChecks(parts.lifecycle, () => clock.now(), logger);
    this.consumers = consumersFacade(parts.log);
    this.experiments = parts.experiments;
    // An erasure closes the open ingest group: what is sent after it is checked after it.
    this.privacy = privacyFacade(parts, config, (fn) => (this.groups.seal(), this.serialised(fn)), () => clock.now(), logger, { profile: (id) => this.profile(id), scores: (id) => this.modelScores(id) });
    this.audit = parts.audit;
    this.stopPurges = this.privacy.schedule(() => !this.closed);
    this.twinJobs = new TwinJobs(clock);
    // The probe is a checkpoint write, in the store every backend has; its seq is the wall clock, so it only moves forward.
    this.writeHealth = new WriteHealth(
      Date.now,
      async () => {
        await parts.backend.checkpoints.put('write-probe', Date.now());
        // Not ready while a contact is kept without its decision record.
        const kept = await parts.decisioning.retryRetractions();
        if (kept > 0) throw new Error(`the contacts or messages of ${kept} unlogged decisions are not yet withdrawn`);
      },
      config.health.writeFailureHoldSeconds * 1000,
    );
    // Drift → retrain from the config (models.drift); off unless everyMinutes is set.
    const drift = config.models.drift;
    if (drift.everyMinutes > 0) this.drift.start(drift);
    this.stores = { eventLog: parts.backend.eventLog, profiles: parts.backend.profiles, customers: parts.backend.customers };
    this.triggers = triggersFacade(parts, () => clock.now());
    this.deliveries = deliveriesFacade(parts, () => clock.now(), { freshnessTimeoutMs: config.consumers.freshnessTimeoutMs });
    // Triggers and journeys decide from inside a consumer that already follows the features (under a bus, inside the
    // partition's own batch): waiting for the customer's freshness there would wait on itself.
    parts.hooks.decide = (request, o) => {
      this.assertOpen();
      return this.writeHealth.watch('decide', () => this.parts.decisioning.decide(request, o));
    };
    parts.hooks.sink = receiptSink(parts.delivery.metrics, (items) => this.ingest(items, { source: 'delivery' }), logger);
  }

  /** Builds an engine from config (defaults: embedded SQLite under ./.nextbest) and catches its consumers up with the log. */
  static async create(input: ConfigInput | Config = {}, deps: EngineDeps = {}): Promise<Engine> {
    const config = Object.isFrozen(input) ? (input as Config) : parseConfig(input as ConfigInput);
    // Asynchronous stdout: a slow log reader never stalls requests; pino flushes on exit.
    const logger = deps.logger ?? pino({ level: config.log.level, base: { service: 'nextbest' } }, pino.destination({ dest: 1, sync: false }));
    // A data dir written by `nextbest demo` lives on the demo's simulated time (engine/dataDirClock.ts).
    const simulated = deps.clock ? undefined : dataDirClock(config.dataDir);
    const clock = deps.clock ?? simulated ?? systemClock;
    const engine = new Engine(config, clock, logger, await wireParts(config, clock, logger, deps));
    serveChampions(engine.parts.lifecycle, engine.parts.decisioning, logger, () => engine.closed);
    // One listener per process (the rules module keeps one): the latest engine's logger hears of runs over budget.
    onRuleOverBudget((_program, e) => logger.warn({ event: 'rule_over_budget', budget: e.budget }, e.message));
    // The catalogue in force before any consumer or decision reads it (declines need an action's family).
    const catalogue = await engine.parts.decisioning.syncCatalogue();
    if (catalogue.seedIgnored) logger.warn({ event: 'catalogue_yaml_not_in_force', inForce: catalogue.version, yaml: catalogue.seedVersion }, 'the catalogue YAML differs from the stored catalogue, which stays in force; `nextbest catalogue import FILE` makes a YAML current');
    // Contacts of decisions a crash kept from being logged are withdrawn before any decision.
    // On a shared store other instances may be mid-decision: only reservations a minute old
    // are settled, at start and every minute (an instance killed for good is settled by the others).
    const shared = engine.parts.backend.kind === 'postgres';
    const recover = async () => {
      const r = await engine.parts.decisioning.recoverReservations(shared ? RESERVATION_GRACE_MS : 0);
      if (r.retracted > 0) logger.warn({ event: 'contacts_recovered', retracted: r.retracted, confirmed: r.confirmed }, `withdrew the contacts of ${r.retracted} decisions that were committed but never logged (a crash in between)`);
    };
    await recover();
    if (shared) {
      const timer = setInterval(() => void recover().catch((e: Error) => logger.warn({ event: 'contacts_recovery_failed' }, e.message)), RESERVATION_GRACE_MS);
      timer.unref();
      engine.stopRecovery = () => clearInterval(timer);
    }
    // Champions before consumers: triggers read scores as they apply the log.
    await engine.parts.lifecycle.reload();
    if (simulated) logger.info({ event: 'simulated_clock', now: new Date(simulated.now()).toISOString(), dataDir: config.dataDir }, 'the data dir lives on simulated time (clock.json)');
    await engine.parts.log.start();
    startDispatcher(engine.parts.delivery, config, clock, logger, engine.parts.hooks.sink!);
    engine.stopSweep = engine.parts.triggers?.startSweep() ?? (() => undefined);
    return engine;
  }

  /** The consumers a decision waits for: the bandit learner only while it learns (a budget or a bandit arm). */
  private freshForDecide(): readonly string[] {
    return this.parts.decisioning.bandit.enabled ? FRESH_FOR.decide : FRESH_FOR.decide.filter((n) => n !== 'bandit');
  }

  /** Decides the next best actions for a customer on a channel (on state that has seen their latest event); the decision is logged. */
  async decide(request: DecideRequest, o: { decisionId?: string } = {}) {
    this.assertOpen();
    if (typeof request?.customerId === 'string') await this.parts.log.forCustomer(request.customerId, this.freshForDecide(), this.config.consumers.freshnessTimeoutMs);
    return this.writeHealth.watch('decide', () => this.parts.decisioning.decide(request, o));
  }

  /** What the catalogue in force and a candidate would decide for these customers now; nothing logged or counted. */
  async dryRunCatalogue(candidate: unknown, requests: DecideRequest[]) {
    this.assertOpen();
    for (const r of requests) if (typeof r?.customerId === 'string') await this.parts.log.forCustomer(r.customerId, this.freshForDecide(), this.config.consumers.freshnessTimeoutMs);
    return this.parts.decisioning.dryRun(candidate, requests);
  }

  /** Queues a what-if run on the twin: the catalogue in force against a candidate; the job to poll. */
  async whatIfOnTwin(candidate: unknown, options?: unknown) {
    this.assertOpen();
    const current = await this.catalogue.refresh();
    return this.twinJobs.submit({ version: current.version, catalogue: current.catalogue }, candidate, options);
  }

  /** A what-if job as it stands (its result once done). */
  whatIfJob = (jobId: string) => this.twinJobs.get(jobId);

  /** An experiment's KPIs per arm and over time, from the decision and event logs. */
  experimentResults = (id: string) => experimentResults(this.parts, id, this.clock.now());

  /** Selection and acceptance per action family per group, four-fifths rule, required exclusions apart (decisions of the last `days`). */
  decisionFairness = (days = 90) => decisionFairness(this.parts, days, this.clock.now());

  /** Customer outcomes (Consumer Duty) of the decisions of the last `days`: contacted vs held out per family, vulnerable customers apart, alerts. */
  customerOutcomes = (days = 90) => customerOutcomeReport(this.parts, days, this.clock.now());

  /** The periodic outcome and fairness check: `start({ everyMinutes, days })`, `runOnce()`, `latest()`; alerts are logged as warnings. */
  readonly measurement = new MeasurementMonitor({
    outcomes: (days) => this.customerOutcomes(days),
    fairness: (days) => this.decisionFairness(days),
    now: () => this.clock.now(),
    log: (fields, message) => this.logger.warn(fields, message),
  });

  /** Off-policy evaluation: a candidate catalogue, levers or bandit scored on the decision log with IPS, SNIPS, DM, DR and intervals (docs/bandits.md). */
  offPolicyEvaluation = (request: unknown) => offPolicyEvaluation(this.parts, request);

  /** A logged decision with the responses linked to it (every response ingested so far). */
  async decision(decisionId: string) {
    await this.parts.log.forHead(FRESH_FOR.decision, this.config.consumers.freshnessTimeoutMs);
    return this.parts.decisioning.decision(decisionId);
  }

  /** One page of logged decisions by customer, chosen action, channel and time, newest first. */
  searchDecisions = (s: DecisionSearch) => this.parts.decisioning.searchDecisions(s);

  /** Re-runs a logged decision from its logged inputs and says whether the result is the same. */
  replayDecision = (decisionId: string) => this.parts.decisioning.replay(decisionId);

  /** Trains models from the log and registers them (as candidates, or champions with `promote`). */
  async trainModels(options: TrainRunOptions = {}) {
    this.assertOpen();
    return this.parts.lifecycle.train(options);
  }

  /** Checks the champions for drift every `everyMinutes`; with `retrain`, drifted models are retrained as candidates (with `promote`, served when the guard allows). */
  startDriftChecks = (o: { everyMinutes: number; days?: number; retrain?: boolean; retrainDays?: number; promote?: boolean }) => this.drift.start(o);

  /** The model scores of a customer's profile (segment, churn, CLV, stress, propensities); null without champions. */
  async modelScores(customerId: string, profile?: Profile): Promise<ProfileScores | null> {
    return modelScores(this.parts.lifecycle, profile ?? (await this.profile(customerId)), (q) => this.customerEvents(customerId, q));
  }

  /** A customer's behavioural profile as of their latest event (default), `'now'` or an epoch-ms time not before it. */
  async profile(customerId: string, options: { asOf?: number | 'now' } = {}): Promise<Profile & { scores: ProfileScores | null }> {
    await this.parts.log.forCustomer(customerId, FRESH_FOR.profile, this.config.consumers.freshnessTimeoutMs);
    const p = await this.parts.online.profile(customerId, { ...(options.asOf !== undefined ? { asOf: options.asOf } : {}), now: this.clock.now() });
    // Model scores are computed from this profile with the champions in service now: fresh after every event and promotion.
    return { ...p, scores: p.latestEventAt === null ? null : await this.modelScores(customerId, p) };
  }

  /** Validates and stores events; resolves once the accepted ones are durable (consumers follow). Each item gets accepted, duplicate or rejected, in order. */
  async ingest(items: readonly unknown[], options: { source?: string; rawText?: readonly string[] } = {}): Promise<IngestReport> {
    this.assertOpen();
    return this.writeHealth.watch('ingest', () => this.groups.submit(items, options.source ?? 'library', options.rawText));
  }

  /** Concurrent ingests share one transaction and fsync; each batch is handed to the consumers once durable. */
  private readonly groups = new IngestGroups(
    async (items, source, rawText) => {
      // In the write queue, so an erasure sent after an ingest still comes after it.
      await this.parts.log.backpressure();
      const report = await ingestBatch(
        items,
        source,
        {
          ...this.parts.backend,
          clock: this.clock,
          maxFutureMs: this.config.ingest.maxFutureSeconds * 1000,
          maxAmountMinor: this.config.ingest.maxAmountMinor,
          quarantineMax: this.config.privacy.quarantineMax,
          // Another instance's erasure can land between the tombstone check and the append.
          recheckErased: this.parts.backend.kind === 'postgres',
          onQuarantineDropped: (n) => {
            this.quarantineDropped += n;
            this.logger.warn({ event: 'quarantine_full', dropped: n, max: this.config.privacy.quarantineMax }, `the quarantine is full (privacy.quarantineMax ${this.config.privacy.quarantineMax}): its ${n} oldest items were dropped`);
          },
        },
        rawText,
      );
      this.parts.log.appended(report.stored);
      return report;
    },
    (write) => this.serialised(write),
  );

  /** Streams a JSONL or CSV file (optionally .gz) into the log in batches; rejected rows go to the quarantine and `onRejected`. */
  ingestFile = (path: string, options: IngestFileOptions = {}) => ingestFile((items, o) => this.ingest(items, o), path, options);

  /** Consumes events from NATS JetStream until aborted (or idle); batches are acknowledged to NATS once durable here. */
  async consumeStream(options: StreamSourceOptions, control: { signal?: AbortSignal; onBatch?: (r: IngestReport, totals: StreamTotals) => void } = {}): Promise<StreamTotals> {
    const { consumeStream } = await import('./ingest/natsSource.js');
    return consumeStream(options, (items, rawText) => this.ingest(items, { source: 'stream', rawText }), control);
  }

  /** Validates and upserts customer records; each item stands alone. */
  upsertCustomers = (items: readonly unknown[]) => (this.assertOpen(), this.writeHealth.watch('customers', () => upsertCustomers(this.parts.backend.customers, items, this.clock.now())));
  /** One customer's record, or undefined. */
  customer = async (customerId: string) => (await this.parts.backend.customers.getMany([customerId]))[0];
  /** One customer's events in event-time order. */
  customerEvents = (customerId: string, query: EventQuery = {}) => this.parts.backend.eventLog.readCustomer(customerId, query);

  /** GDPR Art. 17: deletes the customer's record, events, quarantined items and everything derived; refuses their future events. */
  eraseCustomer = (customerId: string, o: { actor?: string } = {}) => (this.assertOpen(), this.writeHealth.watch('erase', () => this.privacy.eraseCustomer(customerId, o)));

  /** Null while the stores take writes; else the latest storage failure (disk full, I/O error), which keeps `/readyz` not ready. */
  writeFailure = () => this.writeHealth.check();

  /** The quarantine of rejected items, newest first. */
  rejects = (o: { limit?: number; beforeId?: number; source?: string } = {}) => this.parts.backend.rejects.list({ ...o, limit: o.limit ?? 100 });

  /** Quarantined items pushed out by newer ones since start (the cap privacy.quarantineMax). */
  private quarantineDropped = 0;

  /** Counts for the console and the readiness details; `quarantineDropped` counts items the quarantine's cap pushed out since start. */
  async stats(): Promise<{ events: number; customers: number; rejects: number; quarantineDropped: number }> {
    const [events, customers, rejects] = await Promise.all([this.parts.backend.eventLog.count(), this.parts.backend.customers.count(), this.parts.backend.rejects.count()]);
    return { events, customers, rejects, quarantineDropped: this.quarantineDropped };
  }

  /** Pings PostgreSQL and Redis (when the store uses them) with a short timeout: `/readyz` is not ready while one does not answer. */
  dependencies = (timeoutMs = 500) => this.parts.backend.ping?.(timeoutMs) ?? Promise.resolve([]);

  /** The API keys the HTTP server accepts. */
  get apiKeys() {
    return this.parts.backend.apiKeys;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Waits for in-flight writes, lets the consumers finish and save their checkpoints, then closes the backend. */
  close(): Promise<void> {
    // One close, however often it is called (a second call waits for the first).
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private closing: Promise<void> | undefined;

  private async closeOnce(): Promise<void> {
    // First, while the engine is open: the receipts of the sends in flight still reach the log.
    await this.parts.delivery.dispatcher?.stop();
    this.closed = true;
    this.twinJobs.close();
    await this.writeChain.catch(() => undefined);
    this.drift.stop();
    this.measurement.stop();
    this.stopPurges();
    this.stopSweep();
    this.stopRecovery();
    for (const a of this.parts.delivery.adapters) await (a as { close?: () => unknown }).close?.();
    await this.parts.log.close();
    this.parts.triggers?.close();
    await this.parts.backend.close();
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(fn, fn);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('engine is closed');
  }
}

/** Shorthand for Engine.create. */
export const createEngine = (input: ConfigInput | Config = {}, deps: EngineDeps = {}) => Engine.create(input, deps);
