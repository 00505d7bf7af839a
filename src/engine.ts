import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { parseConfig, type Config, type ConfigInput } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import { Customer } from './core/customer.js';
import type { StoredEvent } from './core/events.js';
import type { FieldIssue } from './core/errors.js';
import { fieldIssues } from './core/validate.js';
import { ingestBatch, type IngestReport } from './ingest/pipeline.js';
import { readEventFile, fileSource, fileSize, type FileFormat } from './ingest/files.js';
import type { EventLog, EventQuery } from './store/eventLog.js';
import type { CustomerStore } from './store/customerStore.js';
import type { RejectedItem, RejectStore } from './store/rejectStore.js';
import { MemoryEventLog } from './store/memory/eventLog.js';
import { MemoryCustomerStore } from './store/memory/customerStore.js';
import { MemoryRejectStore } from './store/memory/rejectStore.js';
import { WalCheckpointer } from './store/sqlite/checkpointer.js';
import { openSqlite, type SqliteDb } from './store/sqlite/db.js';
import { SqliteEventLog } from './store/sqlite/eventLog.js';
import { SqliteCustomerStore } from './store/sqlite/customerStore.js';
import { SqliteRejectStore } from './store/sqlite/rejectStore.js';
import type { ProfileStore } from './store/profileStore.js';
import { MemoryProfileStore } from './store/memory/profileStore.js';
import { SqliteProfileStore } from './store/sqlite/profileStore.js';
import { OnlineFeatureStore, loadFeatures, type Profile } from './features/index.js';
import { readFileSync } from 'node:fs';
import { Decisioning, parseCatalogueYaml, type DecideRequest, type DecisionRecord, type ReplayResult } from './decisioning/index.js';
import { MemoryContactStore } from './store/memory/contactStore.js';
import { MemoryCatalogueStore } from './store/memory/catalogueStore.js';
import { SqliteCatalogueStore } from './store/sqlite/catalogueStore.js';
import { MemoryDecisionLog } from './store/memory/decisionLog.js';
import { SqliteContactStore } from './store/sqlite/contactStore.js';
import { WorkerSqliteDecisionLog } from './store/sqlite/decisionLogWorker.js';
import { GbdtScorer } from './decisioning/index.js';
import { MemoryModelRegistry } from './store/memory/modelRegistry.js';
import { SqliteModelRegistry } from './store/sqlite/modelRegistry.js';
import { ModelLifecycle, type Champions, type ProfileScores, type TrainRun, type TrainRunOptions } from './training/index.js';
import { DriftMonitor } from './governance/driftMonitor.js';
import type { ApiKeyStore } from './store/apiKeyStore.js';
import { MemoryApiKeyStore } from './store/memory/apiKeyStore.js';
import { SqliteApiKeyStore } from './store/sqlite/apiKeyStore.js';
import { AuditTrail } from './governance/audit.js';
import type { AuditLog } from './store/auditLog.js';
import { MemoryAuditLog } from './store/memory/auditLog.js';
import { SqliteAuditLog } from './store/sqlite/auditLog.js';
import { loadOrCreateSecret } from './store/sqlite/secretKey.js';
import { privacyOps, type PrivacyOps } from './privacyOps.js';

export type { Config, ConfigInput } from './config.js';
export { loadConfig, parseConfig } from './config.js';
export type { IngestReport, ItemResult } from './ingest/pipeline.js';
export { precheckEventFile } from './ingest/files.js';
export { assertDataDirFree } from './store/sqlite/dataDirLock.js';
/** Publishes events to NATS JetStream (for producers and tests), partitioned by customer. */
export const publishEvents: typeof import('./ingest/natsSource.js').publishEvents = async (...args) => (await import('./ingest/natsSource.js')).publishEvents(...args);
export { decisionSummary, type DecisionSummary } from './decisioning/index.js';
export { DecisionRecordSchema, DecisionSummarySchema, LoggedDecisionSchema } from './decisioning/record.js';
export { ProfileSchema } from './features/profileSchema.js';
export { ProfileScoresSchema } from './training/scoresSchema.js';
export { Action as ActionSchema, Levers as LeversSchema, Catalogue as CatalogueSchema, catalogueYaml, DecideRequest as DecideRequestSchema, parseCatalogueYaml, type Catalogue, type Action, type Levers, type DecideRequest, type DecisionRecord, type ReplayResult } from './decisioning/index.js';

/** The built-in bank catalogue, used when config.decisioning.catalogue is unset. */
export const DEFAULT_CATALOGUE = new URL('../catalogue/default.yaml', import.meta.url);
export { FeatureSet, BANK_PACK, loadFeatures, streamFeatureRows, buildFeatureMatrix, csvHeader, csvRow, type AsOfPair, type Profile, type FeatureInfo } from './features/index.js';

/** Something downstream of the log (features, triggers) that hears of every stored event. */
export interface EventSubscriber {
  /** Called after the events are durable, in log order, one call at a time. */
  onEvents?(events: readonly StoredEvent[]): Promise<void> | void;
  onErase?(customerId: string): Promise<void> | void;
}

export type UpsertResult = { index: number; status: 'upserted'; customerId: string } | { index: number; status: 'rejected'; customerId?: string; issues: FieldIssue[] };

export interface EngineDeps {
  clock?: Clock;
  logger?: Logger;
}

export interface Stores {
  eventLog: EventLog;
  customers: CustomerStore;
  rejects: RejectStore;
  /** Saved online feature state (profiles) and its log checkpoint. */
  profiles: ProfileStore;
  /** The embedded database when the store is sqlite: other modules add tables to it. */
  sqlite?: SqliteDb;
  /** Hashed API keys and their scopes (the HTTP server checks them). */
  apiKeys: ApiKeyStore;
  /** The hash-chained audit trail of administrative acts (audit.db, shared with `nextbest keys`). */
  audit: AuditLog;
  /** The key of erased customers' tombstones and audit targets (tombstone.key in the data dir). */
  tombstoneKey: Uint8Array;
}

/** The composition root: config in, wired components out. */
export class Engine {
  private readonly subscribers: EventSubscriber[] = [];
  /** Serialises writes so subscribers see batches in log order. */
  private writeChain: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The online feature store: profiles updated by every stored event (set up in create). */
  features!: OnlineFeatureStore;
  /** Next-best-action decisioning: catalogue, policies, arbitration, decision log (set up in create). */
  decisioning!: Decisioning;
  private decisionDb: SqliteDb | undefined;
  /** The decision log, written by a worker thread (SQLite store only). */
  private decisionLog: WorkerSqliteDecisionLog | undefined;
  /** WAL checkpoints in worker threads, one per database file (none for the memory store). */
  private readonly checkpointers: WalCheckpointer[] = [];
  /** The model lifecycle: registry, training, champions in service (set up in create). */
  models!: ModelLifecycle;
  /** Drift checks of the champions and their alerts (scheduled by `startDriftChecks`). */
  drift!: DriftMonitor;
  /** Every administrative act, hash-chained (`nextbest audit verify`). */
  audit!: AuditTrail;
  /** Erasure, Art. 15 export and retention (see privacyOps.ts). */
  privacy!: PrivacyOps;

  private constructor(
    readonly config: Config,
    readonly clock: Clock,
    readonly logger: Logger,
    readonly stores: Stores,
  ) {}

  /** Builds an engine from config (defaults: embedded SQLite under ./.nextbest). */
  static async create(input: ConfigInput | Config = {}, deps: EngineDeps = {}): Promise<Engine> {
    const config = Object.isFrozen(input) ? (input as Config) : parseConfig(input as ConfigInput);
    // Asynchronous stdout: a slow log reader never stalls requests; pino flushes on exit.
    const logger = deps.logger ?? pino({ level: config.log.level, base: { service: 'nextbest' } }, pino.destination({ dest: 1, sync: false }));
    const engine = new Engine(config, deps.clock ?? systemClock, logger, openStores(config));
    engine.audit = new AuditTrail(engine.stores.audit, () => engine.clock.now());
    engine.privacy = privacyOps(engine);
    if (engine.stores.sqlite) engine.checkpointInWorker(engine.stores.sqlite);
    await engine.startFeatures();
    engine.startDecisioning();
    const catalogue = await engine.decisioning.syncCatalogue();
    if (catalogue.seedIgnored) logger.warn({ event: 'catalogue_yaml_not_in_force', inForce: catalogue.version, yaml: catalogue.seedVersion }, 'the catalogue YAML differs from the stored catalogue, which stays in force; `nextbest catalogue import FILE` makes a YAML current');
    await engine.startModels();
    return engine;
  }

  private checkpointInWorker(db: SqliteDb): void {
    this.checkpointers.push(new WalCheckpointer(db, { onError: (message) => this.logger.warn({ event: 'wal_checkpoint', db: db.name }, message) }));
  }

  /** Loads the catalogue, opens the contact and decision stores, and hears offer responses. */
  private startDecisioning(): void {
    // Contact counters (decisions.db) and the decision log (decision-log.db, written by a
    // worker thread) get database files of their own: WAL with synchronous=NORMAL, so a
    // decision does not wait for an fsync (a process crash loses nothing; a power cut can
    // lose the last moments of decisions). The event log keeps synchronous=FULL.
    // Only the contact tables (the contact store adds them): none of the core event tables.
    const db = this.stores.sqlite ? openSqlite(join(this.config.dataDir, 'decisions.db'), { migrations: { module: 'decisions_file', list: [] } }) : undefined;
    if (db) {
      db.pragma('synchronous = NORMAL');
      this.decisionDb = db;
      this.checkpointInWorker(db);
    }
    const text = readFileSync(this.config.decisioning.catalogue ?? DEFAULT_CATALOGUE, 'utf8');
    this.decisioning = new Decisioning(parseCatalogueYaml(text), {
      clock: this.clock,
      customers: { get: (id) => this.customer(id) },
      consentEvents: (id) => this.customerEvents(id, { types: ['consent_change'] }),
      profiles: {
        profile: async (id, now) => {
          // As of the decision time; a customer whose latest event is ahead of the clock (skew) is read as of that event.
          const p = await this.features.values(id, { asOf: now, now }).catch(() => this.features.values(id, { now }));
          return { values: p.values, version: this.features.features.version };
        },
      },
      customerScores: (id, values) => this.decisionScores(id, values),
      contacts: db ? new SqliteContactStore(db) : new MemoryContactStore(),
      log: db ? (this.decisionLog = new WorkerSqliteDecisionLog(join(this.config.dataDir, 'decision-log.db'))) : new MemoryDecisionLog(),
      catalogues: this.stores.sqlite ? new SqliteCatalogueStore(this.stores.sqlite) : new MemoryCatalogueStore(),
      audit: (act) => this.audit.record(act),
    });
    this.subscribe(this.decisioning);
  }

  /** Decides the next best actions for a customer on a channel; the decision is logged. */
  async decide(request: DecideRequest): Promise<DecisionRecord> {
    this.assertOpen();
    return this.decisioning.decide(request);
  }

  /** A logged decision with the responses linked to it. */
  async decision(decisionId: string): Promise<DecisionRecord & { responses: { actionId: string; channel: string; response: string; at: string }[] }> {
    return this.decisioning.decision(decisionId);
  }

  /** Re-runs a logged decision from its logged inputs and says whether the result is the same. */
  async replayDecision(decisionId: string): Promise<ReplayResult> {
    return this.decisioning.replay(decisionId);
  }

  /** Opens the model registry, serves its champions (propensities to decisioning) and sets up drift checks. */
  private async startModels(): Promise<void> {
    const registry = this.stores.sqlite ? new SqliteModelRegistry(this.stores.sqlite) : new MemoryModelRegistry();
    this.models = new ModelLifecycle(registry, { log: this.stores.eventLog, features: () => this.features.features, now: () => this.clock.now(), trainingExclusions: () => this.privacy.trainingExclusions(), audit: (act) => this.audit.record(act) });
    this.models.onChampionsChanged((c: Champions) => {
      const families = Object.fromEntries([...c.propensity].map(([family, m]) => [family, { version: m.version, model: m.model }]));
      const scorer = new GbdtScorer({ families });
      this.decisioning.setScorer(scorer);
      // TreeSHAP tables in the background, a model per turn of the event loop, so the first
      // decisions a new champion wins do not each build one inside a request.
      const builds = scorer.explainerBuilds();
      const next = () => {
        const build = builds.shift();
        if (!build || this.closed) return;
        build();
        setImmediate(next).unref();
      };
      setImmediate(next).unref();
      if (c.skipped.length > 0) this.logger.warn({ event: 'champions_skipped', models: c.skipped }, 'champions trained on other feature definitions are not served');
      this.logger.debug({ event: 'champions_loaded', models: c.versions }, 'model champions in service');
    });
    await this.models.reload();
    this.drift = new DriftMonitor({
      check: () => this.models.checkDrift({ days: this.driftDays }),
      now: () => this.clock.now(),
      log: (fields, message) => this.logger.warn(fields, message),
    });
  }

  private driftDays = 30;

  /** Checks the champions for drift every `everyMinutes`; with `retrain`, drifted models are retrained as candidates. */
  startDriftChecks(o: { everyMinutes: number; days?: number; retrain?: boolean; retrainDays?: number }): void {
    this.driftDays = o.days ?? 30;
    this.drift = new DriftMonitor({
      check: () => this.models.checkDrift({ days: this.driftDays }),
      ...(o.retrain ? { retrain: async (name: string) => (await this.models.retrain(name, { days: o.retrainDays ?? 120 })).trained.map((t) => t.id) } : {}),
      now: () => this.clock.now(),
      log: (fields, message) => this.logger.warn(fields, message),
    });
    this.drift.start(o.everyMinutes * 60_000);
  }

  /** Trains models from the log and registers them (as candidates, or champions with `promote`). */
  async trainModels(options: TrainRunOptions = {}): Promise<TrainRun> {
    this.assertOpen();
    return this.models.train(options);
  }

  /** The model scores of a customer's profile (segment, churn, CLV, stress, propensities); null without champions. */
  async modelScores(customerId: string, profile?: Profile): Promise<ProfileScores | null> {
    const p = profile ?? (await this.profile(customerId));
    const champions = this.models.champions;
    if (!champions) return null;
    const asOf = Date.parse(p.asOf);
    const payments = champions.clv ? await this.customerEvents(customerId, { types: ['card_payment'], toT: asOf + 1 }) : [];
    return this.models.scores((name) => p.features[name]?.value ?? Number.NaN, Object.keys(p.features), asOf, payments);
  }

  /** Scores as decision rules read them (`scores.churn_risk` …). */
  private async decisionScores(customerId: string, values: Readonly<Record<string, number | null>>): Promise<Record<string, number>> {
    return this.models?.champions?.ruleScores(values, this.clock.now()) ?? {};
  }

  /** Builds the feature store from config and replays the log after its checkpoint. */
  private async startFeatures(): Promise<void> {
    this.features = new OnlineFeatureStore(loadFeatures(this.config.features.definitions), this.stores.profiles, { checkpointEvents: this.config.features.checkpointEvents });
    const { replayed, rebuilt } = await this.features.start(this.stores.eventLog);
    if (replayed > 0 || rebuilt) this.logger.info({ event: 'features_caught_up', replayed, rebuilt, definitions: this.features.features.version }, 'feature profiles caught up with the log');
    this.subscribe(this.features);
  }

  /**
   * A customer's behavioural profile: each feature's value and as-of time. As of their
   * latest event by default, `'now'` for the engine clock, or an epoch-ms time (not before
   * their latest event).
   */
  async profile(customerId: string, options: { asOf?: number | 'now' } = {}): Promise<Profile & { scores: ProfileScores | null }> {
    const p = await this.features.profile(customerId, { ...(options.asOf !== undefined ? { asOf: options.asOf } : {}), now: this.clock.now() });
    // Model scores are computed from this profile with the champions in service now: fresh after every event and promotion.
    return { ...p, scores: p.latestEventAt === null ? null : await this.modelScores(customerId, p) };
  }

  /** Adds a downstream consumer of stored events. */
  subscribe(subscriber: EventSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /**
   * Validates and stores events. Resolves once the accepted ones are durable; each item
   * gets accepted, duplicate or rejected (with the field and rule), in the order sent.
   */
  async ingest(items: readonly unknown[], options: { source?: string; rawText?: readonly string[] } = {}): Promise<IngestReport> {
    this.assertOpen();
    return this.serialised(async () => {
      const report = await ingestBatch(items, options.source ?? 'library', { ...this.stores, clock: this.clock, maxFutureMs: this.config.ingest.maxFutureSeconds * 1000, maxAmountMinor: this.config.ingest.maxAmountMinor }, options.rawText);
      if (report.stored.length > 0) for (const s of this.subscribers) await s.onEvents?.(report.stored);
      return report;
    });
  }

  /**
   * Streams a JSONL or CSV file (optionally .gz) into the log in batches, with bounded
   * memory. Rejected rows go to the quarantine and to `onRejected` with their line number.
   */
  async ingestFile(
    path: string,
    options: {
      format?: FileFormat;
      batchSize?: number;
      fromLine?: number;
      onProgress?: (p: { bytesRead: number; totalBytes: number; lines: number }) => void;
      onRejected?: (r: { line: number; raw: string; issues: FieldIssue[] }) => void;
    } = {},
  ): Promise<{ lines: number; accepted: number; duplicates: number; rejected: number }> {
    const totals = { lines: 0, accepted: 0, duplicates: 0, rejected: 0 };
    const totalBytes = fileSize(path);
    for await (const page of readEventFile(path, options)) {
      const report = await this.ingest(page.items, { source: fileSource(path), rawText: page.rawText });
      totals.lines += page.items.length;
      totals.accepted += report.accepted;
      totals.duplicates += report.duplicates;
      totals.rejected += report.rejected;
      if (options.onRejected) {
        for (const r of report.results) if (r.status === 'rejected') options.onRejected({ line: page.lineNumbers[r.index]!, raw: page.rawText[r.index]!, issues: r.issues });
      }
      options.onProgress?.({ bytesRead: page.bytesRead, totalBytes, lines: totals.lines });
    }
    return totals;
  }

  /**
   * Consumes events from NATS JetStream into the log until aborted (or idle for
   * `idleExitMs`). Batches are acknowledged to NATS only once durable here.
   */
  async consumeStream(
    options: import('./ingest/natsSource.js').StreamSourceOptions,
    control: { signal?: AbortSignal; onBatch?: (r: IngestReport, totals: import('./ingest/natsSource.js').StreamTotals) => void } = {},
  ): Promise<import('./ingest/natsSource.js').StreamTotals> {
    const { consumeStream } = await import('./ingest/natsSource.js');
    return consumeStream(options, (items, rawText) => this.ingest(items, { source: 'stream', rawText }), control);
  }

  /** Validates and upserts customer records; each item stands alone. */
  async upsertCustomers(items: readonly unknown[]): Promise<{ upserted: number; rejected: number; results: UpsertResult[] }> {
    this.assertOpen();
    const ids = items.map((i) => (i && typeof i === 'object' ? (i as { customerId?: unknown }).customerId : undefined)).filter((c): c is string => typeof c === 'string');
    const erased = await this.stores.customers.erasedAmong(ids);
    const good: Customer[] = [];
    const results: UpsertResult[] = items.map((raw, index) => {
      const parsed = Customer.safeParse(raw);
      if (!parsed.success) return { index, status: 'rejected', issues: fieldIssues(parsed.error) };
      if (erased.has(parsed.data.customerId)) {
        return { index, status: 'rejected', customerId: parsed.data.customerId, issues: [{ field: 'customerId', rule: 'erased_customer', message: 'this customer was erased and cannot be re-created under the same id' }] };
      }
      good.push(parsed.data);
      return { index, status: 'upserted', customerId: parsed.data.customerId };
    });
    await this.stores.customers.upsertMany(good, this.clock.now());
    return { upserted: good.length, rejected: items.length - good.length, results };
  }

  /** One customer's record, or undefined. */
  async customer(customerId: string): Promise<Customer | undefined> {
    return (await this.stores.customers.getMany([customerId]))[0];
  }

  /** One customer's events in event-time order. */
  async customerEvents(customerId: string, query: EventQuery = {}): Promise<StoredEvent[]> {
    return this.stores.eventLog.readCustomer(customerId, query);
  }

  /**
   * GDPR Art. 17: deletes the customer's record, events, quarantined items, decisions and
   * contacts; keeps a keyed-hash tombstone that refuses their future events. NOT_FOUND for an
   * id nothing is held about (and for `*`, market data); GONE when already erased.
   */
  async eraseCustomer(customerId: string, o: { actor?: string } = {}): Promise<{ customerId: string; record: boolean; events: number; rejects: number }> {
    this.assertOpen();
    return this.serialised(async () => {
      await this.privacy.assertErasable(customerId);
      const record = await this.stores.customers.erase(customerId, this.clock.now());
      const events = await this.stores.eventLog.eraseCustomer(customerId);
      const rejects = await this.stores.rejects.eraseCustomer(customerId);
      for (const s of this.subscribers) await s.onErase?.(customerId);
      await this.privacy.afterErasure(customerId, { record, events, rejects }, o.actor ?? 'system', [this.stores.sqlite, this.decisionDb]);
      this.logger.info({ event: 'customer_erased', events, rejects }, 'customer erased');
      return { customerId, record, events, rejects };
    });
  }

  /** Runs `fn` in the engine's write order (after every ingest and erasure before it). */
  inWriteOrder<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.serialised(fn);
  }

  /** The quarantine of rejected items, newest first. */
  async rejects(options: { limit?: number; beforeId?: number; source?: string } = {}): Promise<RejectedItem[]> {
    return this.stores.rejects.list({ limit: options.limit ?? 100, ...(options.beforeId !== undefined ? { beforeId: options.beforeId } : {}), ...(options.source !== undefined ? { source: options.source } : {}) });
  }

  /** Counts for the console and `/readyz`. */
  async stats(): Promise<{ events: number; customers: number; rejects: number }> {
    const [events, customers, rejects] = await Promise.all([this.stores.eventLog.count(), this.stores.customers.count(), this.stores.rejects.count()]);
    return { events, customers, rejects };
  }

  /** The API keys the HTTP server accepts. */
  get apiKeys(): ApiKeyStore {
    return this.stores.apiKeys;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Waits for in-flight writes, then closes the stores. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeChain.catch(() => undefined);
    this.drift?.stop();
    await this.features.close();
    await Promise.all(this.checkpointers.map((c) => c.stop()));
    await this.stores.profiles.close();
    await this.stores.eventLog.close();
    await this.stores.customers.close();
    await this.stores.rejects.close();
    await this.stores.apiKeys.close();
    this.privacy.stop();
    await this.stores.audit.close();
    await this.decisionLog?.close();
    if (this.decisionDb?.open) this.decisionDb.close();
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

export { renderModelCard } from './governance/modelCard.js';
export type { DriftAlert, DriftCheckRun } from './governance/driftMonitor.js';
export type { ModelRecord, ModelSummary, ModelCard, ModelStage } from './store/modelRegistry.js';
export { MODEL_STAGES } from './store/modelRegistry.js';
export { MODEL_JOBS, type ProfileScores, type TrainRun, type TrainRunOptions } from './training/index.js';

/** Trains every model on the engine's log and promotes them (what `npm run demo` calls); returns the run. */
export async function trainAll(engine: Engine, options: TrainRunOptions = {}): Promise<TrainRun> {
  return engine.trainModels({ promote: true, ...options });
}

/** Shorthand for Engine.create. */
export const createEngine = (input: ConfigInput | Config = {}, deps: EngineDeps = {}) => Engine.create(input, deps);

function openStores(config: Config): Stores {
  if (config.store === 'memory') {
    const tombstoneKey = randomBytes(32);
    return { eventLog: new MemoryEventLog(), customers: new MemoryCustomerStore(tombstoneKey), rejects: new MemoryRejectStore(), profiles: new MemoryProfileStore(), apiKeys: openApiKeyStore(config), audit: openAuditLog(config), tombstoneKey };
  }
  const db = openSqlite(join(config.dataDir, 'nextbest.db'));
  const tombstoneKey = loadOrCreateSecret(join(config.dataDir, 'tombstone.key'));
  return { eventLog: new SqliteEventLog(db), customers: new SqliteCustomerStore(db, { tombstoneKey }), rejects: new SqliteRejectStore(db), profiles: new SqliteProfileStore(db), sqlite: db, apiKeys: openApiKeyStore(config), audit: openAuditLog(config), tombstoneKey };
}

/** Opens the audit log alone (what `nextbest keys` and `nextbest audit` use while a server may be running). */
export function openAuditLog(config: Config): AuditLog {
  return config.store === 'memory' ? new MemoryAuditLog() : new SqliteAuditLog(join(config.dataDir, 'audit.db'));
}

/** The audit trail over a log opened with `openAuditLog`, on the wall clock. */
export function auditTrailOf(log: AuditLog, now: () => number = Date.now): AuditTrail {
  return new AuditTrail(log, now);
}
export { verifyAuditChain, AUDIT_ACTIONS, type AuditEntry, type AuditAct, type ChainVerdict } from './governance/audit.js';

/** Opens the API key store alone (what `nextbest keys` uses while a server may be running). */
export function openApiKeyStore(config: Config): ApiKeyStore {
  return config.store === 'memory' ? new MemoryApiKeyStore() : new SqliteApiKeyStore(join(config.dataDir, 'keys.db'));
}
export { isLive, type ApiKeyStore, type ApiKeyRecord } from './store/apiKeyStore.js';
