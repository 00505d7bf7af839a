import { join } from 'node:path';
/** The engine's parts, built in one pass from config and one backend: the composition root's body. */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { Decisioning, parseCatalogueYaml } from '../decisioning/index.js';
import { OnlineFeatureStore, loadFeatures } from '../features/index.js';
import type { Backend } from '../store/backend.js';
import { openBackend } from '../store/backends/index.js';
import type { LogConsumer } from '../store/consumer.js';
import { LogConsumers, type ConsumerRunner } from '../store/logConsumers.js';
import { BusConsumers } from '../store/busConsumers.js';
import { PartitionedFeatures } from '../features/partitioned.js';
import { ModelLifecycle } from '../training/index.js';
import { Experiments } from '../experiments/index.js';
import { logConsumers } from './consumers.js';
import { armIssues, armModels } from './experimentArms.js';
import { fileBanditSnapshots } from './banditSnapshot.js';
import { AuditTrail } from '../governance/audit.js';
import { trainingExclusionsOf } from './privacy.js';
import { wireDelivery, type DeliveryParts, type ReceiptSink } from './delivery.js';
import { wireTriggers, type decideRequestOf, type TriggerParts } from './triggers.js';
import { byPartition, ownership } from './partitionedConsumers.js';
import { trainingSnapshotConsumer } from './trainingSnapshot.js';
import type { Catalogue, DecisionRecord } from '../decisioning/index.js';

/** The built-in bank catalogue, used when config.decisioning.catalogue is unset. */
export const DEFAULT_CATALOGUE = new URL('../../catalogue/default.yaml', import.meta.url);

export interface Parts {
  backend: Backend;
  online: OnlineFeatureStore;
  lifecycle: ModelLifecycle;
  decisioning: Decisioning;
  experiments: Experiments;
  log: ConsumerRunner;
  /** Every administrative act, hash-chained. */
  audit: AuditTrail;
  /** The outbox, delivery consumer, pull channels and (once started) the dispatcher. */
  delivery: DeliveryParts;
  /** The trigger set, fire log and consumer (absent with `triggers.enabled: false`). */
  triggers: TriggerParts | undefined;
  /** Filled by the engine once it exists: what triggers decide through, where receipts go. */
  hooks: EngineHooks;
}

/** What the parts call back into the engine for (set by the Engine constructor). */
export interface EngineHooks {
  decide?: (request: ReturnType<typeof decideRequestOf>, o: { decisionId: string }) => Promise<DecisionRecord>;
  sink?: ReceiptSink;
}

/** The action ids whose offers train the retention family: actions valued as retention, and their families (a log may name the family, as the twin does). */
export function retentionActionsOf(catalogue: Catalogue): ReadonlySet<string> {
  return new Set(catalogue.actions.filter((a) => a.value.model === 'retention').flatMap((a) => [a.id, a.family]));
}

/** Opens the configured backend and wires features, models, decisioning and the log consumers onto it. */
export async function wireParts(config: Config, clock: Clock, logger: Logger, o: { consumers?: readonly LogConsumer[]; pauseConsumers?: boolean | readonly string[]; newDecisionId?: () => string }): Promise<Parts> {
  const backend = await openBackend({ store: config.store, cache: config.cache, bus: config.bus, dataDir: config.dataDir, onWarning: (fields, message) => logger.warn(fields, message) });
  // With a bus the features are applied by the partitions' owners; this instance reads them from the store.
  const online = new OnlineFeatureStore(loadFeatures(config.features.definitions), backend.profiles, { checkpointEvents: config.features.checkpointEvents, maxCustomersInMemory: config.features.maxCustomersInMemory, decodedCacheSize: config.features.decodedCacheSize, readThrough: backend.bus !== undefined, ...(backend.erasures && !backend.bus ? { erasedAmong: (ids: readonly string[]) => backend.customers.erasedAmong(ids) } : {}) });
  const audit = new AuditTrail(backend.audit, () => clock.now());
  const lifecycle = new ModelLifecycle(backend.models, { log: backend.eventLog, features: () => online.features, now: () => clock.now(), trainingExclusions: trainingExclusionsOf(backend, config), audit: (act) => audit.record(act), customers: (ids) => backend.customers.getMany(ids), retentionActions: (): ReadonlySet<string> => retentionActionsOf(decisioning.catalogue), threads: config.training.threads, warn: (message) => logger.warn({ event: 'training_on_main_thread' }, message), ...(backend.kind === 'memory' ? {} : { snapshotDir: join(config.dataDir, 'training-snapshot') }) });
  // The training snapshot follows the whole log (with a bus too) where it is kept on disk.
  const consumers = [...(backend.kind === 'memory' ? [] : [trainingSnapshotConsumer(lifecycle)]), ...(o.consumers ?? [])];
  const experiments = new Experiments(backend.experiments, clock, 1000, (act) => audit.record(act), (e, prefix) => armIssues(e, { catalogues: backend.catalogues, registry: backend.models }, prefix));
  const hooks: EngineHooks = {};
  const delivery = wireDelivery(config, backend, clock, logger, {
    get sink() {
      return hooks.sink;
    },
  });
  const decisioning = new Decisioning(parseCatalogueYaml(readFileSync(config.decisioning.catalogue ?? DEFAULT_CATALOGUE, 'utf8')), {
    clock,
    customers: { get: async (id) => (await backend.customers.getMany([id]))[0] },
    consentEvents: (id) => backend.eventLog.readCustomer(id, { types: ['consent_change'] }),
    // As of the decision time, or of the customer's latest event when it is ahead of the clock (skew).
    profiles: { profile: async (id, now) => ({ values: (await online.values(id, { asOf: 'now', now })).values, version: online.features.version }) },
    // Scores as decision rules read them (`scores.churn_risk`, `scores.clv` …): each family says its own.
    customerScores: async (id, values) => {
      const champions = lifecycle.champions;
      if (!champions) return {};
      const now = clock.now();
      const payments = champions.clv ? await backend.eventLog.readCustomer(id, { types: ['card_payment'], toT: now + 1 }) : [];
      return champions.ruleScores(values, now, payments);
    },
    contacts: backend.contacts,
    log: backend.decisionLog,
    checkpoints: backend.checkpoints,
    catalogues: backend.catalogues,
    audit: (act) => audit.record(act),
    experiment: (id) => experiments.forDecision(id),
    erased: async (id) => (await backend.customers.erasedAmong([id])).size > 0,
    sharedStore: backend.kind === 'postgres',
    onUnloggedContacts: ({ decisionId, retracted, error }) =>
      retracted
        ? logger.warn({ event: 'decision_not_logged', decisionId, contactsRetracted: true }, `a decision could not be logged (${String(error)}); its contacts were withdrawn`)
        : logger.error({ event: 'contacts_without_decision', decisionId }, `a decision could not be logged (${String(error)}) and its contacts could not be withdrawn yet; retried before each decision and by the readiness probe`),
    armModels: armModels(backend.models),
    bandit: config.decisioning.bandit,
    banditEvents: backend.eventLog,
    ...(o.newDecisionId ? { newDecisionId: o.newDecisionId } : {}),
    // A memory store starts empty, so a snapshot on disk would describe another log.
    ...(backend.kind !== 'memory' ? { banditSnapshots: fileBanditSnapshots(config.dataDir) } : {}),
    delivery: delivery.decisions,
  });
  const triggers = config.triggers.enabled
    ? await wireTriggers(config, backend, clock, logger, {
        online,
        lifecycle,
        metrics: delivery.metrics,
        decide: (request, d) => {
          if (!hooks.decide) throw new Error('the engine is not ready to decide');
          return hooks.decide(request, d);
        },
        logged: (decisionId) => decisioning.loggedDecision(decisionId),
        // The trigger consumer runs beside features: it reads profiles only once features reached its batch.
        // With a bus, features are applied by the partitions' owners and this instance cannot wait on them here.
        afterFeatures: (seq) => (log instanceof LogConsumers ? log.forSeq(['features'], seq, config.consumers.freshnessTimeoutMs * 5) : Promise.resolve()),
      })
    : undefined;
  const localOptions = {
    limits: { maxLagEvents: config.consumers.maxLagEvents, maxLagMs: config.consumers.maxLagSeconds * 1000 },
    ...(o.pauseConsumers !== undefined ? { paused: o.pauseConsumers } : {}),
    onError: (name: string, e: unknown, failures: number) => logger.warn({ event: 'consumer_failed', consumer: name, failures }, e instanceof Error ? e.message : String(e)),
  };
  let log: ConsumerRunner;
  /** The consumers this instance runs over the whole log (all of them without a bus), whose memory another instance's erasure must reach. */
  let local: LogConsumers;
  if (backend.bus) {
    // Features and responses are split by customer partition across the instances; the rest follow the whole log here.
    const b = backend.bus;
    // Journeys, triggers and deliveries too, after features and responses in the same batch: each instance fires only its customers' triggers.
    const moved = new Set<LogConsumer | undefined>([online, decisioning.responses, triggers?.journeys, triggers?.consumer, delivery.consumer]);
    const unpartitioned = logConsumers({ features: online, decisioning, journeys: triggers?.journeys, triggers: triggers?.consumer, deliveries: delivery.consumer }, consumers).filter((c) => !moved.has(c));
    const P = b.transport.partitions;
    const cps = backend.checkpoints;
    const partitioned = [
      new PartitionedFeatures(online.features, backend.profiles),
      decisioning.responses.partitioned(cps),
      ...(triggers
        ? [
            byPartition(triggers.journeys, cps, P, { initial: async () => (await cps.get(triggers.journeys.name)) ?? 0, opened: async () => triggers.journeys.forgetWaited() }),
            byPartition(triggers.consumer, cps, P, { initial: () => triggers.fires.checkpoint(), opened: (mine) => triggers.consumer.decidePending(mine) }),
          ]
        : []),
      byPartition(delivery.consumer, cps, P, { initial: async () => (await cps.get(delivery.consumer.name)) ?? 0 }),
    ];
    local = new LogConsumers(backend.eventLog, unpartitioned, localOptions);
    const bus = new BusConsumers(backend.eventLog, b.transport, b.leases, partitioned, local, {
      leaseMs: b.leaseMs,
      held: b.held,
      limits: { maxLagEvents: config.consumers.maxLagEvents },
      onError: (what, e) => logger.warn({ event: 'bus_failed', what }, e instanceof Error ? e.message : String(e)),
      onChange: (fields, message) => logger.info(fields, message),
    });
    log = bus;
    triggers?.ownedBy(ownership(() => bus.partitions, P));
  } else {
    log = local = new LogConsumers(backend.eventLog, logConsumers({ features: online, decisioning, journeys: triggers?.journeys, triggers: triggers?.consumer, deliveries: delivery.consumer }, consumers), localOptions);
  }
  if (backend.erasures) {
    // Another instance erased a customer (its events are gone from the log): drop them from
    // this instance's memory, and once more a moment later, in case a read of the log that
    // began before the events were deleted is applied after the first drop.
    const erase = (id: string) => local.erase(id).catch((e: Error) => logger.warn({ event: 'erasure_not_applied' }, `another instance's erasure could not be applied here: ${e.message}`));
    await backend.erasures
      .listen((id) => {
        void erase(id);
        setTimeout(() => void erase(id), 1000).unref();
      })
      .catch((e: Error) => logger.warn({ event: 'erasure_listener' }, `not listening for other instances' erasures yet (${e.message}); retrying`));
  }
  return { backend, online, lifecycle, decisioning, experiments, log, audit, delivery, triggers, hooks };
}
