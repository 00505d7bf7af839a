import type { Clock } from '../core/clock.js';
import { MemoryExperimentStore } from '../store/memory/experimentStore.js';
import { SqliteExperimentStore } from '../store/sqlite/experimentStore.js';
import type { SqliteDb } from '../store/sqlite/db.js';
import { Experiments } from './service.js';

/** The experiments of an engine: in its embedded database, or in memory for `store: memory`. */
export function openExperiments(sqlite: SqliteDb | undefined, clock: Clock): Experiments {
  return new Experiments(sqlite ? new SqliteExperimentStore(sqlite) : new MemoryExperimentStore(), clock);
}
