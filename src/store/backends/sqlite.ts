import { join } from 'node:path';
import type { Backend, BackendWarning } from '../backend.js';
import { SqliteApiKeyStore } from '../sqlite/apiKeyStore.js';
import { SqliteExperimentStore } from '../sqlite/experimentStore.js';
import { SqliteCatalogueStore } from '../sqlite/catalogueStore.js';
import { WalCheckpointer } from '../sqlite/checkpointer.js';
import { SqliteConsumerCheckpoints } from '../sqlite/consumerCheckpoints.js';
import { SqliteContactStore } from '../sqlite/contactStore.js';
import { SqliteCustomerStore } from '../sqlite/customerStore.js';
import { openSqlite, truncateWal, type SqliteDb } from '../sqlite/db.js';
import { SqliteAuditLog } from '../sqlite/auditLog.js';
import { loadOrCreateSecret } from '../sqlite/secretKey.js';
import { WorkerSqliteDecisionLog } from '../sqlite/decisionLogWorker.js';
import { SqliteEventLog } from '../sqlite/eventLog.js';
import { SqliteModelRegistry } from '../sqlite/modelRegistry.js';
import { SqliteOutbox } from '../sqlite/outbox.js';
import { SqliteProfileStore } from '../sqlite/profileStore.js';
import { SqliteRejectStore } from '../sqlite/rejectStore.js';

/**
 * The embedded backend: four SQLite files under `dataDir`, held by this process alone
 * (`nextbest.lock`, store/sqlite/dataDirLock.ts) except `keys.db`.
 * - `nextbest.db`: the event log, customers, quarantine, feature snapshots (with their
 *   checkpoint), the model registry and the catalogue versions; WAL with synchronous=FULL,
 *   so an acknowledged event survives a power cut.
 * - `decisions.db`: contact counters, declines, the delivery outbox and the other consumers' checkpoints;
 *   synchronous=NORMAL, so a decision does not wait for an fsync (a process crash loses
 *   nothing; a power cut can lose the last moments, and the log replays them).
 * - `decision-log.db`: the decision log, written by a worker thread (NORMAL as well).
 * - `keys.db`: the API keys, shared with `nextbest keys` while a server runs (openApiKeyStore).
 * - `audit.db`: the audit trail, shared the same way (openAuditLog).
 * - `tombstone.key`: the key of erased customers' tombstones (a keyed hash, never the id).
 * Each of `nextbest.db`, `decisions.db` and `decision-log.db` gets a WAL checkpointer in a worker thread.
 */
export function openSqliteBackend(o: { dataDir: string; onWarning?: BackendWarning }): Backend {
  const main = openSqlite(join(o.dataDir, 'nextbest.db'));
  // Only the contact tables (the contact store adds them): none of the core event tables.
  const decisions = openSqlite(join(o.dataDir, 'decisions.db'), { migrations: { module: 'decisions_file', list: [] } });
  decisions.pragma('synchronous = NORMAL');
  const checkpointers = [main, decisions].map(
    (db: SqliteDb) => new WalCheckpointer(db, { onError: (message) => o.onWarning?.({ event: 'wal_checkpoint', db: db.name }, message) }),
  );
  const tombstoneKey = loadOrCreateSecret(join(o.dataDir, 'tombstone.key'));
  // Beside the contacts (same file): an outbox entry is written in the transaction of its contact.
  const outbox = new SqliteOutbox(decisions);
  const ports = {
    eventLog: new SqliteEventLog(main),
    customers: new SqliteCustomerStore(main, { tombstoneKey }),
    rejects: new SqliteRejectStore(main),
    profiles: new SqliteProfileStore(main),
    contacts: new SqliteContactStore(decisions, { outbox }),
    outbox,
    decisionLog: new WorkerSqliteDecisionLog(join(o.dataDir, 'decision-log.db'), { onWarning: (message) => o.onWarning?.({ event: 'wal_checkpoint', db: join(o.dataDir, 'decision-log.db') }, message) }),
    models: new SqliteModelRegistry(main),
    // Beside the declines it describes (same file, same WAL order): after a power cut the
    // checkpoint is never ahead of a lost decline, and saving it costs no fsync.
    checkpoints: new SqliteConsumerCheckpoints(decisions),
    catalogues: new SqliteCatalogueStore(main),
    experiments: new SqliteExperimentStore(main),
    apiKeys: openSqliteApiKeyStore(o.dataDir),
    audit: openSqliteAuditLog(o.dataDir),
  };
  let closed = false;
  return {
    kind: 'sqlite',
    ...ports,
    tombstoneKey,
    // The decision log's worker truncates its own WAL after each erasure.
    // A reader (a consumer's scan, a checkpointer) can hold a checkpoint back for a moment: retry for up to a second.
    async compact() {
      for (let attempt = 0; ; attempt++) {
        if ([main, decisions].map((db) => truncateWal(db)).every(Boolean)) return true;
        if (attempt >= 40) return false;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(checkpointers.map((c) => c.stop()));
      await ports.decisionLog.close();
      for (const p of [ports.audit, ports.apiKeys, ports.checkpoints, ports.experiments, ports.catalogues, ports.models, ports.outbox, ports.contacts, ports.profiles, ports.rejects, ports.customers, ports.eventLog]) await p.close();
      if (main.open) main.close();
      if (decisions.open) decisions.close();
    },
  };
}

/** The API key store alone, in `keys.db`: `nextbest keys` opens it while a server may hold the data dir. */
export function openSqliteApiKeyStore(dataDir: string): SqliteApiKeyStore {
  return new SqliteApiKeyStore(join(dataDir, 'keys.db'));
}

/** The audit log alone, in `audit.db`: `nextbest keys` and `nextbest audit` open it while a server may hold the data dir. */
export function openSqliteAuditLog(dataDir: string): SqliteAuditLog {
  return new SqliteAuditLog(join(dataDir, 'audit.db'));
}
