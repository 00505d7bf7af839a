/**
 * Triggers wired onto the engine: the stored trigger set (seeded from the YAML), the fire log
 * (in `triggers.db` beside the embedded store; in memory otherwise, with a warning), the
 * trigger consumer reading the online profile and the champions' scores, and the clock's
 * sweep for absence triggers.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { NextbestError } from '../core/errors.js';
import type { DeliveryMetrics } from '../channels/index.js';
import { customerView, type DecisionRecord } from '../decisioning/index.js';
import type { Customer } from '../core/customer.js';
import type { OnlineFeatureStore } from '../features/index.js';
import type { Backend } from '../store/backend.js';
import type { PostgresBackend } from '../store/backends/postgres.js';
import { openSqlite, truncateWal, type SqliteDb } from '../store/sqlite/db.js';
import type { Champions, ModelLifecycle } from '../training/index.js';
import {
  JourneyConsumer,
  MemoryJourneyStore,
  type JourneyDecide,
  SqliteJourneyStore,
  PgFireLog,
  PgJourneyStore,
  PgTriggerRows,
  type JourneyStore,
  MemoryFireLog,
  MemoryTriggerRows,
  SqliteFireLog,
  SqliteTriggerRows,
  TriggerBook,
  TriggerConsumer,
  parseTriggerYaml,
  type CustomerFacts,
  type FireLog,
  type Readings,
  type ReadingKeys,
  ALL_READINGS,
  type TriggerDecision,
  type TriggerDecisionRequest,
} from '../triggers/index.js';

/** How often an instance on a shared store reads the trigger definitions again (as the catalogue: decisioning's CATALOGUE_REFRESH_MS). */
const TRIGGER_REFRESH_MS = 1000;

/** The ready-made triggers (the brief's three moments), used when config.triggers.file is unset. */
export const DEFAULT_TRIGGERS = new URL('../../catalogue/triggers.yaml', import.meta.url);

export interface TriggerParts {
  readonly book: TriggerBook;
  readonly fires: FireLog;
  readonly consumer: TriggerConsumer;
  /** Journeys started by triggers with follow-ups (a log consumer, moved by the clock too). */
  readonly journeys: JourneyConsumer;
  /** Starts the absence sweep and the journeys' follow-ups on the clock; returns its stop. */
  startSweep(): () => void;
  /** Under a bus: the clock's sweeps run only for the customers of the partitions this instance holds. */
  ownedBy(mine: (customerId: string) => boolean): void;
  close(): void;
}


/** The decision request a fire makes: only the trigger's actions or families, delivered on the channel. */
export function decideRequestOf(r: TriggerDecisionRequest) {
  return { customerId: r.customerId, channel: r.channel, only: { actions: [...r.consider.actions], families: [...r.consider.families] }, deliver: true, context: { trigger: r.context.trigger } };
}

/** A fire's decision id, the same for the same request after a crash: the decision is not made twice. */
export const triggerDecisionId = (requestId: string) => `t-${createHash('sha256').update(requestId).digest('hex').slice(0, 32)}`;

/**
 * A customer's readings now, limited to `keys` (all when not given): with limits, only the
 * features read and the features the named scores read are computed (FeatureSet.lookup), and
 * only the families that expose a named score are scored. The values are those of the full
 * computation for every key kept (test/triggers/readingsEquivalence.test.ts).
 */
export function triggerReadings(online: OnlineFeatureStore, champions: () => Champions | undefined, now: () => number): (customerId: string, keys?: ReadingKeys) => Promise<Readings> {
  const names = new Set(online.features.names);
  return async (customerId, keys = ALL_READINGS) => {
    const at = now();
    if (keys.profile === 'all' && keys.scores === 'all') {
      const { values } = await online.values(customerId, { asOf: 'now', now: at });
      return { profile: values, scores: champions()?.ruleScores(values, at) ?? {} };
    }
    return online.readSome(customerId, { asOf: 'now', now: at }, (value) => {
      const profile: Record<string, number | null> = {};
      for (const name of keys.profile === 'all' ? names : keys.profile) {
        if (!names.has(name)) continue;
        const v = value(name);
        profile[name] = Number.isNaN(v) ? null : v;
      }
      const c = champions();
      return { profile, scores: c ? c.ruleScoresOf(value, at, keys.scores === 'all' ? undefined : keys.scores) : {} };
    });
  };
}

export async function wireTriggers(
  config: Config,
  backend: Backend,
  clock: Clock,
  logger: Logger,
  o: {
    online: OnlineFeatureStore;
    lifecycle: ModelLifecycle;
    metrics: DeliveryMetrics;
    decide: (request: ReturnType<typeof decideRequestOf>, o: { decisionId: string }) => Promise<DecisionRecord>;
    /** A logged decision read back (Decisioning.loggedDecision), or undefined. */
    logged: (decisionId: string) => Promise<{ record: DecisionRecord } | undefined>;
    afterFeatures: (seq: number) => Promise<void>;
  },
): Promise<TriggerParts> {
  const seed = parseTriggerYaml(readFileSync(config.triggers.file ?? DEFAULT_TRIGGERS, 'utf8'));
  let db: SqliteDb | undefined;
  let fires: FireLog;
  let book: TriggerBook;
  let refresher: NodeJS.Timeout | undefined;
  let journeyStore: JourneyStore;
  if (backend.kind === 'sqlite') {
    db = openSqlite(join(config.dataDir, 'triggers.db'), { migrations: { module: 'triggers_file', list: [] } });
    db.pragma('synchronous = NORMAL');
    const sqliteFires = new SqliteFireLog(db);
    const erase = sqliteFires.erase.bind(sqliteFires);
    const file = db;
    // Erased means gone: no copy of the deleted rows stays in triggers.db-wal (deleted rows are zeroed: secure_delete).
    sqliteFires.erase = async (customerId) => {
      await erase(customerId);
      for (let attempt = 0; !truncateWal(file) && attempt < 40; attempt++) await new Promise((r) => setTimeout(r, 25));
    };
    fires = sqliteFires;
    book = new TriggerBook(new SqliteTriggerRows(db), seed, () => clock.now());
    journeyStore = new SqliteJourneyStore(db);
  } else if (backend.kind === 'postgres' && 'pool' in backend) {
    // Shared by every instance: the once-per-period guard holds across them, journeys survive any one of them.
    const pool = (backend as PostgresBackend).pool;
    fires = new PgFireLog(pool);
    const rows = await PgTriggerRows.load(pool);
    const pgBook = new TriggerBook(rows, seed, () => clock.now());
    book = pgBook;
    await book.flush();
    // An edit made on another instance is in force here within a second, as the stored catalogue's are.
    let refreshing = false;
    refresher = setInterval(() => {
      if (refreshing) return;
      refreshing = true;
      rows
        .refresh()
        .then((changed) => {
          if (changed) pgBook.reload();
        })
        .catch((e: unknown) => logger.warn({ event: 'trigger_reload_failed' }, e instanceof Error ? e.message : String(e)))
        .finally(() => (refreshing = false));
    }, TRIGGER_REFRESH_MS);
    refresher.unref();
    journeyStore = new PgJourneyStore(pool);
  } else {
    if (backend.kind !== 'memory') logger.warn({ event: 'triggers_in_memory', store: backend.kind }, 'this store keeps trigger state in memory: a restart replays the log for triggers from the start and trigger edits are lost');
    fires = new MemoryFireLog();
    book = new TriggerBook(new MemoryTriggerRows(), seed, () => clock.now());
    journeyStore = new MemoryJourneyStore();
  }
  const readings = triggerReadings(o.online, () => o.lifecycle.champions, () => clock.now());
  const factsOf = (c: Customer | undefined, now: number): CustomerFacts => (c ? { preferredChannel: c.preferredChannel, view: customerView(c, now) as unknown as Record<string, unknown> } : { view: {} });
  const customer = async (customerId: string): Promise<CustomerFacts> => factsOf((await backend.customers.getMany([customerId]))[0], clock.now());
  const customers = async (ids: readonly string[]): Promise<Map<string, CustomerFacts>> => {
    const now = clock.now();
    // getMany answers in the order asked, undefined where there is no record.
    const found = await backend.customers.getMany(ids);
    return new Map(ids.map((id, i) => [id, factsOf(found[i], now)]));
  };
  /**
   * The decision for a trigger's or a journey step's request, made once: decided before a crash,
   * the logged one is read back, not made again. Undefined for a customer with no record yet:
   * nothing can be decided for them, and the log must move on.
   */
  const decideOnce = async (r: TriggerDecisionRequest, decisionId: string): Promise<DecisionRecord | undefined> => {
    const logged = await o.logged(decisionId);
    if (logged) return logged.record;
    try {
      return await o.decide(decideRequestOf(r), { decisionId });
    } catch (e) {
      if (e instanceof NextbestError && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  };
  const decide = async (r: TriggerDecisionRequest): Promise<TriggerDecision> => {
    const decisionId = triggerDecisionId(r.requestId);
    return { decisionId, chosen: (await decideOnce(r, decisionId))?.chosen ?? [] };
  };
  // A step's decision, with the policy that took the action out when it was not chosen (the journey's exit says which).
  const journeyDecide: JourneyDecide = async (r) => {
    const request: TriggerDecisionRequest = { customerId: r.customerId, channel: r.channel, consider: { actions: [r.actionId], families: [] }, requestId: r.requestId, context: { trigger: 'journey', trigger_event: r.requestId.slice(0, 128) } };
    const decisionId = triggerDecisionId(r.requestId);
    const record = await decideOnce(request, decisionId);
    if (!record) return { decisionId, chosen: [], why: 'the customer has no record' };
    const c = record.candidates?.find((x) => x.actionId === r.actionId);
    const why = c?.excludedBy ? `${c.excludedBy.kind}: ${c.excludedBy.reason}` : c && c.status !== 'chosen' ? 'it was worth less than no action' : undefined;
    return { decisionId, chosen: record.chosen, excludedBy: c?.excludedBy?.kind, why };
  };
  const journeys = new JourneyConsumer(journeyStore, journeyDecide, backend.checkpoints, {
    now: () => clock.now(),
    // An event step's condition reads the profile once the features consumer applied that event.
    facts: async (customerId, seq) => {
      await o.afterFeatures(seq);
      const [r, c] = await Promise.all([readings(customerId), customer(customerId)]);
      return { customer: c.view as Record<string, unknown>, profile: r.profile, scores: r.scores };
    },
  });
  const consumer = new TriggerConsumer({
    fires,
    triggers: () => book.inForce(),
    readings,
    customer,
    customers,
    decide,
    afterFeatures: (seq) => o.afterFeatures(seq),
    maxFiresPerEvent: config.triggers.maxFiresPerEvent,
    firesFrom: () => clock.now() - config.triggers.maxEventAgeMinutes * 60_000,
    // A journey starts before its fire is settled: a crash in between decides the fire again and starts it then (idempotent on the fire id).
    beforeSettle: async (fire, outcome) => {
      const followUps = book.inForce().find((t) => t.trigger.id === fire.triggerId)?.trigger.followUps ?? [];
      if (outcome.status !== 'decided' || followUps.length === 0) return;
      const steps = followUps.map((f) => ({ channel: f.channel, afterMs: f.after ?? 0, ...(f.on ? { on: { events: f.on.events, ...(f.on.condition !== undefined ? { condition: f.on.condition } : {}), withinMs: f.on.within } } : {}) }));
      await journeys.start({ journeyId: fire.fireId, customerId: fire.customerId, triggerId: fire.triggerId, actionId: outcome.actionIds[0]!, decisionId: outcome.decisionId, steps, at: clock.now() });
    },
    onFire: (fire, outcome, recordedAt) => {
      o.metrics.fire(fire.triggerId, outcome.status === 'decided' ? 'decided' : 'nothing_chosen');
      if (recordedAt !== undefined) o.metrics.fireToDecision.add(clock.now() - recordedAt);
    },
  });
  let mine: ((customerId: string) => boolean) | undefined;
  return {
    book,
    fires,
    consumer,
    journeys,
    ownedBy(m) {
      mine = m;
    },
    startSweep() {
      if (config.triggers.sweepSeconds === 0) return () => undefined;
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        consumer
          .sweep(clock.now(), mine)
          .then(() => journeys.tick(clock.now(), mine))
          .catch((e: unknown) => logger.warn({ event: 'absence_sweep_failed' }, e instanceof Error ? e.message : String(e)))
          .finally(() => (running = false));
      }, config.triggers.sweepSeconds * 1000);
      timer.unref();
      return () => clearInterval(timer);
    },
    close() {
      if (refresher) clearInterval(refresher);
      if (db?.open) db.close();
    },
  };
}
