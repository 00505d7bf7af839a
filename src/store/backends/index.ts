import { assertUnreachable } from '../../core/errors.js';
import type { Backend, BackendWarning } from '../backend.js';
import { openMemoryBackend } from './memory.js';
import { openSqliteBackend } from './sqlite.js';

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
