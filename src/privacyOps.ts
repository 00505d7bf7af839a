/**
 * Privacy wiring of the composition root, kept out of engine.ts: the readers of an Art. 15
 * export, the checks and clean-up around an erasure, the retention purge and the training
 * exclusions, each over the engine's stores. The rules themselves live in governance/privacy.
 */
import { NextbestError } from './core/errors.js';
import { GLOBAL_CUSTOMER } from './core/events.js';
import { buildCustomerExport, retentionCutoffs, trainingExclusions, type CustomerExport } from './governance/privacy.js';
import { tombstoneOf } from './store/customerStore.js';
import { truncateWal, type SqliteDb } from './store/sqlite/db.js';
import type { Engine } from './engine.js';

/** Everything a customer has is listed, however long (an export is complete or it is not an export). */
const ALL = Number.MAX_SAFE_INTEGER;

export interface PurgeReport {
  events: { type: string; before: string; purged: number }[];
  quarantine: number;
}

export interface PrivacyOps {
  /** Art. 15: the customer's data in one bundle; NOT_FOUND when nothing is held, GONE when erased. */
  exportCustomer(customerId: string, o?: { actor?: string }): Promise<CustomerExport>;
  /** Throws NOT_FOUND / GONE unless the id is a customer whose data is held. */
  assertErasable(customerId: string): Promise<void>;
  /** After an erasure: WAL files truncated so no copy of the deleted rows stays, and the act audited. */
  afterErasure(customerId: string, erased: Record<string, unknown>, actor: string, dbs: readonly (SqliteDb | undefined)[]): Promise<void>;
  /** Applies the retention periods and the quarantine's age and size limits. */
  purge(o?: { actor?: string }): Promise<PurgeReport>;
  /** Customers left out of training (objection to profiling, training purpose withheld). */
  trainingExclusions(): Promise<Set<string>>;
  /** The audit target of a customer: a keyed hash, so the trail holds no customer id. */
  subjectOf(customerId: string): string;
  stop(): void;
}

/** Builds the privacy operations over an engine's stores (called once, in Engine.create). */
export function privacyOps(engine: Engine): PrivacyOps {
  const { stores, config } = engine;
  const subjectOf = (id: string) => `customer:${tombstoneOf(stores.tombstoneKey, id)}`;

  async function assertHeld(customerId: string, what: string): Promise<void> {
    if (customerId === GLOBAL_CUSTOMER) throw new NextbestError('NOT_FOUND', `'${GLOBAL_CUSTOMER}' holds market events, which belong to no customer: there is no customer to ${what}`);
    if ((await stores.customers.erasedAmong([customerId])).size > 0) throw new NextbestError('GONE', 'this customer was erased; no data is held about them');
    const held =
      (await engine.customer(customerId)) !== undefined ||
      (await stores.eventLog.count({ customerId })) > 0 ||
      (await stores.rejects.listCustomer(customerId, 1)).length > 0 ||
      (await engine.decisioning.customerData(customerId)).decisions.length > 0;
    if (!held) throw new NextbestError('NOT_FOUND', `no customer ${customerId}: no record, events, decisions or quarantined items are held for this id`);
  }

  const ops: PrivacyOps = {
    subjectOf,
    assertErasable: (customerId) => assertHeld(customerId, 'erase'),

    async exportCustomer(customerId, o = {}) {
      await assertHeld(customerId, 'export');
      let decisioningData: ReturnType<Engine['decisioning']['customerData']> | undefined;
      const fromDecisioning = () => (decisioningData ??= engine.decisioning.customerData(customerId));
      const bundle = await buildCustomerExport(
        customerId,
        {
          record: (id) => engine.customer(id),
          events: (id) => engine.customerEvents(id),
          profile: (id) => engine.features.profile(id, { now: engine.clock.now() }),
          scores: async (id) => engine.modelScores(id).catch(() => null),
          decisions: async () => (await fromDecisioning()).decisions,
          contacts: async () => (await fromDecisioning()).contacts,
          quarantined: (id) => stores.rejects.listCustomer(id, ALL),
        },
        engine.clock.now(),
      );
      if (!bundle) throw new NextbestError('NOT_FOUND', `no customer ${customerId}`);
      await engine.audit.record({ actor: o.actor ?? 'system', action: 'customer.export', target: subjectOf(customerId), after: { events: bundle.events.length, decisions: bundle.decisions.length, quarantined: bundle.quarantined.length, record: bundle.record !== null } });
      return bundle;
    },

    async afterErasure(customerId, erased, actor, dbs) {
      for (const db of dbs) {
        if (db && !truncateWal(db)) engine.logger.warn({ event: 'erasure_wal_busy', db: db.name }, 'a reader kept the WAL from being truncated after an erasure; the next checkpoint will');
      }
      await engine.audit.record({ actor, action: 'customer.erase', target: subjectOf(customerId), before: null, after: erased });
    },

    async purge(o = {}) {
      const now = engine.clock.now();
      const p = config.privacy;
      const report = await engine.inWriteOrder(async () => {
        const events: PurgeReport['events'] = [];
        for (const c of retentionCutoffs(p.retentionDays, now)) events.push({ type: c.type, before: new Date(c.before).toISOString(), purged: await stores.eventLog.purgeType(c.type, c.before) });
        const quarantine = await stores.rejects.purge({ receivedBefore: now - p.quarantineDays * 86_400_000, keepNewest: p.quarantineMax });
        return { events, quarantine };
      });
      if (stores.sqlite) truncateWal(stores.sqlite);
      const purged = report.quarantine + report.events.reduce((n, e) => n + e.purged, 0);
      if (purged > 0 || o.actor !== undefined) await engine.audit.record({ actor: o.actor ?? 'system', action: 'retention.purge', target: 'retention', before: null, after: report });
      return report;
    },

    trainingExclusions: () =>
      trainingExclusions(
        {
          async *records() {
            for (let after: string | undefined; ; ) {
              const page = await stores.customers.list({ ...(after !== undefined ? { afterId: after } : {}), limit: 5000 });
              if (page.length === 0) return;
              yield page;
              after = page.at(-1)!.customerId;
            }
          },
          consentEvents: () => stores.eventLog.scan({ types: ['consent_change'], batchSize: 20_000 }),
        },
        config.privacy.trainingPurpose,
      ),

    stop: () => clearInterval(timer),
  };

  const every = config.privacy.retentionEveryMinutes;
  const timer = setInterval(() => {
    if (!engine.isOpen) return;
    ops.purge().catch((e: Error) => engine.logger.warn({ event: 'retention_purge_failed' }, e.message));
  }, Math.max(every, 1) * 60_000);
  timer.unref();
  if (every === 0) clearInterval(timer);
  return ops;
}
