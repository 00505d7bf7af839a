import { assertUnreachable } from '../../core/errors.js';
import type { ApiKeyStore } from '../apiKeyStore.js';
import type { Backend, BackendWarning } from '../backend.js';
import { MemoryApiKeyStore } from '../memory/apiKeyStore.js';
import { openMemoryBackend } from './memory.js';
import { openSqliteApiKeyStore, openSqliteAuditLog, openSqliteBackend } from './sqlite.js';
import type { AuditLog } from '../auditLog.js';
import { MemoryAuditLog } from '../memory/auditLog.js';

/** The backends there are; PostgreSQL comes next (one more case, one more file here). */
export type BackendKind = Backend['kind'];

/** Opens every port of the configured backend. */
export function openBackend(o: { store: BackendKind; dataDir: string; onWarning?: BackendWarning }): Backend {
  switch (o.store) {
    case 'memory':
      return openMemoryBackend();
    case 'sqlite':
      return openSqliteBackend(o.onWarning ? { dataDir: o.dataDir, onWarning: o.onWarning } : { dataDir: o.dataDir });
    default:
      return assertUnreachable(o.store);
  }
}

/** Opens the API key store alone (what `nextbest keys` uses while a server may be running). */
export function openApiKeyStore(o: { store: BackendKind; dataDir: string }): ApiKeyStore {
  switch (o.store) {
    case 'memory':
      return new MemoryApiKeyStore();
    case 'sqlite':
      return openSqliteApiKeyStore(o.dataDir);
    default:
      return assertUnreachable(o.store);
  }
}

/** Opens the audit log alone (what `nextbest keys` and `nextbest audit` use while a server may be running). */
export function openAuditLog(o: { store: BackendKind; dataDir: string }): AuditLog {
  switch (o.store) {
    case 'memory':
      return new MemoryAuditLog();
    case 'sqlite':
      return openSqliteAuditLog(o.dataDir);
    default:
      return assertUnreachable(o.store);
  }
}
