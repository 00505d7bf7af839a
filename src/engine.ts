import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { parseConfig, type Config, type ConfigInput } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { Decisioning, parseCatalogueYaml, type DecideRequest } from './decisioning/index.js';
import { catalogueFacade, consumersFacade, featuresFacade } from './engine/facades.js';
import { FRESH_FOR, logConsumers } from './engine/consumers.js';
import { upsertCustomers } from './engine/customers.js';
import { ingestFile, type IngestFileOptions } from './engine/files.js';
import { decisionScores, driftChecks, modelScores, modelsFacade, serveChampions } from './engine/models.js';
import { OnlineFeatureStore, loadFeatures, type Profile } from './features/index.js';
import { ingestBatch, type IngestReport } from './ingest/pipeline.js';
import type { StreamSourceOptions, StreamTotals } from './ingest/natsSource.js';
import type { Backend } from './store/backend.js';
import { openBackend } from './store/backends/index.js';
import type { LogConsumer } from './store/consumer.js';
import type { EventQuery } from './store/eventLog.js';
import { LogConsumers } from './store/logConsumers.js';
import { ModelLifecycle, type ProfileScores, type TrainRunOptions } from './training/index.js';

/** The built-in bank catalogue, used when config.decisioning.catalogue is unset. */
export const DEFAULT_CATALOGUE = new URL('../catalogue/default.yaml', import.meta.url);

export interface EngineDeps {
  clock?: Clock;
  logger?: Logger;
  /** More log consumers to run beside the built-in ones (see engine/consumers.ts). */
  consumers?: readonly LogConsumer[];
  /** Test hook: these consumers (or all) apply nothing until `engine.consumers.resume`. */
  pauseConsumers?: boolean | readonly string[];
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
  /** The log and the saved profiles, for read-only tools and tests. */
  readonly stores: Pick<Backend, 'eventLog' | 'profiles'>;

  private constructor(
    readonly config: Config,
    readonly clock: Clock,
    readonly logger: Logger,
    private readonly backend: Backend,
    private readonly online: OnlineFeatureStore,
    private readonly decisioning: Decisioning,
    private readonly lifecycle: ModelLifecycle,
    private readonly log: LogConsumers,
  ) {
    this.catalogue = catalogueFacade(decisioning);
    this.features = featuresFacade(online);
    this.models = modelsFacade(lifecycle);
    this.drift = driftChecks(lifecycle, () => clock.now(), logger);
    this.consumers = consumersFacade(log);
    this.stores = { eventLog: backend.eventLog, profiles: backend.profiles };
  }

  /** Builds an engine from config (defaults: embedded SQLite under ./.nextbest) and catches its consumers up with the log. */
  static async create(input: ConfigInput | Config = {}, deps: EngineDeps = {}): Promise<Engine> {
    const config = Object.isFrozen(input) ? (input as Config) : parseConfig(input as ConfigInput);
    // Asynchronous stdout: a slow log reader never stalls requests; pino flushes on exit.
    const logger = deps.logger ?? pino({ level: config.log.level, base: { service: 'nextbest' } }, pino.destination({ dest: 1, sync: false }));
    const clock = deps.clock ?? systemClock;
    const backend = openBackend({ store: config.store, dataDir: config.dataDir, onWarning: (fields, message) => logger.warn(fields, message) });
    const online = new OnlineFeatureStore(loadFeatures(config.features.definitions), backend.profiles, { checkpointEvents: config.features.checkpointEvents });
    const lifecycle = new ModelLifecycle(backend.models, { log: backend.eventLog, features: () => online.features, now: () => clock.now() });
    const decisioning = new Decisioning(parseCatalogueYaml(readFileSync(config.decisioning.catalogue ?? DEFAULT_CATALOGUE, 'utf8')), {
      clock,
      customers: { get: async (id) => (await backend.customers.getMany([id]))[0] },
      consentEvents: (id) => backend.eventLog.readCustomer(id, { types: ['consent_change'] }),
      // As of the decision time, or of the customer's latest event when it is ahead of the clock (skew).
      profiles: { profile: async (id, now) => ({ values: (await online.values(id, { asOf: 'now', now })).values, version: online.features.version }) },
      customerScores: (id, values) => decisionScores(lifecycle.champions, id, values, clock.now()),
      contacts: backend.contacts,
      log: backend.decisionLog,
      checkpoints: backend.checkpoints,
    });
    const log = new LogConsumers(backend.eventLog, logConsumers({ features: online, decisioning }, deps.consumers), {
      limits: { maxLagEvents: config.consumers.maxLagEvents, maxLagMs: config.consumers.maxLagSeconds * 1000 },
      ...(deps.pauseConsumers !== undefined ? { paused: deps.pauseConsumers } : {}),
      onError: (name, e, failures) => logger.warn({ event: 'consumer_failed', consumer: name, failures }, e instanceof Error ? e.message : String(e)),
    });
    const engine = new Engine(config, clock, logger, backend, online, decisioning, lifecycle, log);
    serveChampions(lifecycle, decisioning, logger, () => engine.closed);
    await log.start();
    await lifecycle.reload();
    return engine;
  }

  /** Decides the next best actions for a customer on a channel (on state that has seen their latest event); the decision is logged. */
  async decide(request: DecideRequest) {
    this.assertOpen();
    if (typeof request?.customerId === 'string') await this.log.forCustomer(request.customerId, FRESH_FOR.decide, this.config.consumers.freshnessTimeoutMs);
    return this.decisioning.decide(request);
  }

  /** A logged decision with the responses linked to it (every response ingested so far). */
  async decision(decisionId: string) {
    await this.log.forHead(FRESH_FOR.decision, this.config.consumers.freshnessTimeoutMs);
    return this.decisioning.decision(decisionId);
  }

  /** Re-runs a logged decision from its logged inputs and says whether the result is the same. */
  replayDecision = (decisionId: string) => this.decisioning.replay(decisionId);

  /** Trains models from the log and registers them (as candidates, or champions with `promote`). */
  async trainModels(options: TrainRunOptions = {}) {
    this.assertOpen();
    return this.lifecycle.train(options);
  }

  /** Checks the champions for drift every `everyMinutes`; with `retrain`, drifted models are retrained as candidates. */
  startDriftChecks = (o: { everyMinutes: number; days?: number; retrain?: boolean; retrainDays?: number }) => this.drift.start(o);

  /** The model scores of a customer's profile (segment, churn, CLV, stress, propensities); null without champions. */
  async modelScores(customerId: string, profile?: Profile): Promise<ProfileScores | null> {
    return modelScores(this.lifecycle, profile ?? (await this.profile(customerId)), (q) => this.customerEvents(customerId, q));
  }

  /** A customer's behavioural profile as of their latest event (default), `'now'` or an epoch-ms time not before it. */
  async profile(customerId: string, options: { asOf?: number | 'now' } = {}): Promise<Profile & { scores: ProfileScores | null }> {
    await this.log.forCustomer(customerId, FRESH_FOR.profile, this.config.consumers.freshnessTimeoutMs);
    const p = await this.online.profile(customerId, { ...(options.asOf !== undefined ? { asOf: options.asOf } : {}), now: this.clock.now() });
    // Model scores are computed from this profile with the champions in service now: fresh after every event and promotion.
    return { ...p, scores: p.latestEventAt === null ? null : await this.modelScores(customerId, p) };
  }

  /** Validates and stores events; resolves once the accepted ones are durable (consumers follow). Each item gets accepted, duplicate or rejected, in order. */
  async ingest(items: readonly unknown[], options: { source?: string; rawText?: readonly string[] } = {}): Promise<IngestReport> {
    this.assertOpen();
    return this.serialised(async () => {
      const report = await ingestBatch(items, options.source ?? 'library', { ...this.backend, clock: this.clock, maxFutureMs: this.config.ingest.maxFutureSeconds * 1000 }, options.rawText);
      this.log.appended(report.stored);
      return report;
    });
  }

  /** Streams a JSONL or CSV file (optionally .gz) into the log in batches; rejected rows go to the quarantine and `onRejected`. */
  ingestFile = (path: string, options: IngestFileOptions = {}) => ingestFile((items, o) => this.ingest(items, o), path, options);

  /** Consumes events from NATS JetStream until aborted (or idle); batches are acknowledged to NATS once durable here. */
  async consumeStream(options: StreamSourceOptions, control: { signal?: AbortSignal; onBatch?: (r: IngestReport, totals: StreamTotals) => void } = {}): Promise<StreamTotals> {
    const { consumeStream } = await import('./ingest/natsSource.js');
    return consumeStream(options, (items, rawText) => this.ingest(items, { source: 'stream', rawText }), control);
  }

  /** Validates and upserts customer records; each item stands alone. */
  upsertCustomers = (items: readonly unknown[]) => (this.assertOpen(), upsertCustomers(this.backend.customers, items, this.clock.now()));
  /** One customer's record, or undefined. */
  customer = async (customerId: string) => (await this.backend.customers.getMany([customerId]))[0];
  /** One customer's events in event-time order. */
  customerEvents = (customerId: string, query: EventQuery = {}) => this.backend.eventLog.readCustomer(customerId, query);

  /** GDPR Art. 17: deletes the customer's record, events, quarantined items and everything derived (every consumer); refuses their future events. */
  async eraseCustomer(customerId: string): Promise<{ customerId: string; record: boolean; events: number; rejects: number }> {
    this.assertOpen();
    return this.serialised(async () => {
      const record = await this.backend.customers.erase(customerId, this.clock.now());
      const events = await this.backend.eventLog.eraseCustomer(customerId);
      const rejects = await this.backend.rejects.eraseCustomer(customerId);
      await this.log.erase(customerId);
      this.logger.info({ event: 'customer_erased', events, rejects }, 'customer erased');
      return { customerId, record, events, rejects };
    });
  }

  /** The quarantine of rejected items, newest first. */
  rejects = (o: { limit?: number; beforeId?: number; source?: string } = {}) => this.backend.rejects.list({ ...o, limit: o.limit ?? 100 });

  /** Counts for the console and `/readyz`. */
  async stats(): Promise<{ events: number; customers: number; rejects: number }> {
    const [events, customers, rejects] = await Promise.all([this.backend.eventLog.count(), this.backend.customers.count(), this.backend.rejects.count()]);
    return { events, customers, rejects };
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Waits for in-flight writes, lets the consumers finish and save their checkpoints, then closes the backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeChain.catch(() => undefined);
    this.drift.stop();
    await this.log.close();
    await this.backend.close();
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
