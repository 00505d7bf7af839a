/**
 * `engine.privacy`: GDPR acts that reach every store and every log consumer: erasure (Art.
 * 17), export (Art. 15), retention purges, and who is left out of training (Art. 21). The
 * rules live in governance/privacy; this wires them to the backend.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { NextbestError } from '../core/errors.js';
import { GLOBAL_CUSTOMER } from '../core/events.js';
import type { AuditTrail } from '../governance/audit.js';
import { buildCustomerExport, retentionCutoffs, trainingExclusions, type CustomerExport } from '../governance/privacy.js';
import { tombstoneOf } from '../store/customerStore.js';
import type { Parts } from './parts.js';

/** Everything a customer has is listed, however long (an export is complete or it is not an export). */
const ALL = Number.MAX_SAFE_INTEGER;

export interface PurgeReport {
  events: { type: string; before: string; purged: number }[];
  quarantine: number;
}

/** What the façade reads through the engine (with its freshness waits). */
export interface PrivacyReaders {
  profile(customerId: string): Promise<unknown>;
  scores(customerId: string): Promise<unknown>;
}

/** The privacy façade; `serialised` orders erasures and purges with log writes, so no consumer sees a batch from before one after it. */
export function privacyFacade(parts: Pick<Parts, 'backend' | 'log' | 'decisioning' | 'audit' | 'lifecycle'>, config: Config, serialised: <T>(fn: () => Promise<T>) => Promise<T>, now: () => number, logger: Logger, readers: PrivacyReaders) {
  const { backend } = parts;
  const audit: AuditTrail = parts.audit;
  /** The audit target of a customer: a keyed hash, so the trail holds no customer id. */
  const subjectOf = (id: string) => `customer:${tombstoneOf(backend.tombstoneKey, id)}`;

  async function assertHeld(customerId: string, what: string): Promise<void> {
    if (customerId === GLOBAL_CUSTOMER) throw new NextbestError('NOT_FOUND', `'${GLOBAL_CUSTOMER}' holds market events, which belong to no customer: there is no customer to ${what}`);
    if ((await backend.customers.erasedAmong([customerId])).size > 0) throw new NextbestError('GONE', 'this customer was erased; no data is held about them');
    const held =
      (await backend.customers.getMany([customerId]))[0] !== undefined ||
      (await backend.eventLog.count({ customerId })) > 0 ||
      (await backend.rejects.listCustomer(customerId, 1)).length > 0 ||
      (await backend.decisionLog.listCustomer(customerId, 1)).length > 0;
    if (!held) throw new NextbestError('NOT_FOUND', `no customer ${customerId}: no record, events, decisions or quarantined items are held for this id`);
  }

  const retention = config.privacy;
  const facade = {
    subjectOf,

    /**
     * GDPR Art. 17: deletes the customer's record, events, quarantined items and everything
     * derived (every consumer); keeps a keyed-hash tombstone that refuses their future events;
     * truncates the WAL files. NOT_FOUND for an id nothing is held about (and `*`, market data); GONE when already erased.
     */
    eraseCustomer: (customerId: string, o: { actor?: string } = {}): Promise<{ customerId: string; record: boolean; events: number; rejects: number }> =>
      serialised(async () => {
        await assertHeld(customerId, 'erase');
        // The tombstone first; then a turn of the customer's decision lock: decisions already
        // under way finish (and are erased below), those after it find the tombstone and are
        // refused. The lock is not held while the consumers erase: one of them (triggers) may
        // be waiting for it to decide.
        const record = await backend.customers.erase(customerId, now());
        await parts.decisioning.exclusive(customerId, async () => undefined);
        const events = await backend.eventLog.eraseCustomer(customerId);
        const rejects = await backend.rejects.eraseCustomer(customerId);
        await parts.log.erase(customerId);
        // The other instances on the store drop the customer from their memory too.
        await backend.erasures?.announce(customerId);
        // Erased means gone: the training snapshot's rows of theirs too (its consumer did it above; again in case it is not running).
        parts.lifecycle.eraseFromSnapshot(customerId);
        if (!(await backend.compact())) logger.warn({ event: 'erasure_wal_busy' }, 'a reader kept a WAL from being truncated after an erasure; the next checkpoint will');
        await audit.record({ actor: o.actor ?? 'system', action: 'customer.erase', target: subjectOf(customerId), before: null, after: { record, events, rejects } });
        logger.info({ event: 'customer_erased', events, rejects }, 'customer erased');
        return { customerId, record, events, rejects };
      }),

    /** Art. 15: the customer's data in one bundle; NOT_FOUND when nothing is held, GONE when erased. Audited. */
    async exportCustomer(customerId: string, o: { actor?: string } = {}): Promise<CustomerExport> {
      await assertHeld(customerId, 'export');
      let held: ReturnType<Parts['decisioning']['customerData']> | undefined;
      const fromDecisioning = () => (held ??= parts.decisioning.customerData(customerId));
      const bundle = await buildCustomerExport(
        customerId,
        {
          record: async (id) => (await backend.customers.getMany([id]))[0],
          events: (id) => backend.eventLog.readCustomer(id),
          profile: (id) => readers.profile(id),
          scores: async (id) => readers.scores(id).catch(() => null),
          decisions: async () => (await fromDecisioning()).decisions,
          contacts: async () => (await fromDecisioning()).contacts,
          quarantined: (id) => backend.rejects.listCustomer(id, ALL),
        },
        now(),
      );
      if (!bundle) throw new NextbestError('NOT_FOUND', `no customer ${customerId}`);
      await audit.record({ actor: o.actor ?? 'system', action: 'customer.export', target: subjectOf(customerId), after: { events: bundle.events.length, decisions: bundle.decisions.length, quarantined: bundle.quarantined.length, record: bundle.record !== null } });
      return bundle;
    },

    /** Applies the retention periods (privacy.retentionDays per event type) and the quarantine's age and size limits. */
    async purge(o: { actor?: string } = {}): Promise<PurgeReport> {
      const t = now();
      const report = await serialised(async () => {
        const events: PurgeReport['events'] = [];
        for (const c of retentionCutoffs(retention.retentionDays, t)) events.push({ type: c.type, before: new Date(c.before).toISOString(), purged: await backend.eventLog.purgeType(c.type, c.before) });
        const quarantine = await backend.rejects.purge({ receivedBefore: t - retention.quarantineDays * 86_400_000, keepNewest: retention.quarantineMax });
        return { events, quarantine };
      });
      await backend.compact();
      parts.lifecycle.purgeSnapshot(report.events);
      const purged = report.quarantine + report.events.reduce((n, e) => n + e.purged, 0);
      if (purged > 0 || o.actor !== undefined) await audit.record({ actor: o.actor ?? 'system', action: 'retention.purge', target: 'retention', before: null, after: report });
      return report;
    },

    /** Runs `purge` every `privacy.retentionEveryMinutes` (0: never); returns the stop. */
    schedule(isOpen: () => boolean): () => void {
      const every = retention.retentionEveryMinutes;
      if (every === 0) return () => undefined;
      const timer = setInterval(() => {
        if (isOpen()) facade.purge().catch((e: Error) => logger.warn({ event: 'retention_purge_failed' }, e.message));
      }, every * 60_000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
  return facade;
}

/** Customers whose data may not train models: every record's initial consents and every consent_change, per governance/privacy. */
export function trainingExclusionsOf(backend: Parts['backend'], config: Config): () => Promise<Set<string>> {
  return () =>
    trainingExclusions(
      {
        async *records() {
          for (let after: string | undefined; ; ) {
            const page = await backend.customers.list({ ...(after !== undefined ? { afterId: after } : {}), limit: 5000 });
            if (page.length === 0) return;
            yield page;
            after = page.at(-1)!.customerId;
          }
        },
        consentEvents: () => backend.eventLog.scan({ types: ['consent_change'], batchSize: 20_000 }),
      },
      config.privacy.trainingPurpose,
    );
}
