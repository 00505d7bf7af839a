import { assertUnreachable } from '../../core/errors.js';
import type { ApiKeyStore } from '../apiKeyStore.js';
import type { Backend, BackendWarning } from '../backend.js';
import { MemoryApiKeyStore } from '../memory/apiKeyStore.js';
import { openMemoryBackend } from './memory.js';
import { openPostgresApiKeyStore, openPostgresAuditLog, openPostgresBackend, postgresOptionsFromUrls } from './postgres.js';
import { openSqliteApiKeyStore, openSqliteBackend } from './sqlite.js';
import { openSqliteAuditLog } from './sqlite.js';
import type { AuditLog } from '../auditLog.js';
import { MemoryAuditLog } from '../memory/auditLog.js';

/** The backends there are. */
export type BackendKind = Backend['kind'];

/** Which backend a configured `store` names: `memory`, `sqlite` or a `postgres://` URL. */
export function backendKind(store: string): BackendKind {
  if (store === 'memory' || store === 'sqlite') return store;
  if (/^postgres(ql)?:\/\//.test(store)) return 'postgres';
  throw new Error(`store "${store}" must be sqlite, memory or a postgres:// URL`);
}

/** What opens a backend: the config's store, cache and data dir. */
export interface BackendOptions {
  store: string;
  /** `redis://…` (PostgreSQL stores only). */
  cache?: string | undefined;
  /** `nats://…` (PostgreSQL stores only): the bus between instances. */
  bus?: string | undefined;
  dataDir: string;
  onWarning?: BackendWarning;
}

/** Opens every port of the configured backend (PostgreSQL migrates first, hence async). */
export async function openBackend(o: BackendOptions): Promise<Backend> {
  const kind = backendKind(o.store);
  if (o.cache !== undefined && kind !== 'postgres') throw new Error('a cache needs a postgres:// store');
  if (o.bus !== undefined && kind !== 'postgres') throw new Error('a bus needs a postgres:// store');
  switch (kind) {
    case 'memory':
      return openMemoryBackend();
    case 'sqlite':
      return openSqliteBackend(o.onWarning ? { dataDir: o.dataDir, onWarning: o.onWarning } : { dataDir: o.dataDir });
    case 'postgres':
      return openPostgresBackend({ ...postgresOptionsFromUrls(o.store, o.cache, o.bus), dataDir: o.dataDir, ...(o.onWarning ? { onWarning: o.onWarning } : {}) });
    default:
      return assertUnreachable(kind);
  }
}

/** Opens the API key store alone (what `nextbest keys` uses while a server may be running). */
export async function openApiKeyStore(o: { store: string; dataDir: string }): Promise<ApiKeyStore> {
  const kind = backendKind(o.store);
  switch (kind) {
    case 'memory':
      return new MemoryApiKeyStore();
    case 'sqlite':
      return openSqliteApiKeyStore(o.dataDir);
    case 'postgres':
      return openPostgresApiKeyStore(postgresOptionsFromUrls(o.store));
    default:
      return assertUnreachable(kind);
  }
}

/** Opens the audit log alone (what `nextbest keys` and `nextbest audit` use while a server may be running). */
export async function openAuditLog(o: { store: string; dataDir: string }): Promise<AuditLog> {
  const kind = backendKind(o.store);
  switch (kind) {
    case 'memory':
      return new MemoryAuditLog();
    case 'sqlite':
      return openSqliteAuditLog(o.dataDir);
    case 'postgres':
      return openPostgresAuditLog(postgresOptionsFromUrls(o.store));
    default:
      return assertUnreachable(kind);
  }
}
