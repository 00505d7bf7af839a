import { openPgPool } from './db.js';
import { appliedMigrations, migrate, PG_MIGRATIONS } from './migrations.js';
import { createPartitionsAhead } from './partitions.js';

/** The schema nextbest uses in a PostgreSQL database unless told otherwise. */
export const DEFAULT_PG_SCHEMA = 'nextbest';

/** What `nextbest migrate` did. */
export interface MigrateReport {
  schema: string;
  /** Versions applied by this run (empty when the schema was up to date). */
  applied: number[];
  /** Every version now recorded in schema_migrations. */
  versions: number[];
  latest: number;
  /** Months (yyyymm) whose event and decision partitions now exist ahead of need. */
  partitions: string[];
}

/**
 * Brings a PostgreSQL store up to date: applies the missing migrations and creates this
 * month's and the next `monthsAhead` months' partitions, so the first writes of a month
 * never wait on DDL. Safe to run from several instances at once.
 */
export async function migratePostgres(url: string, o: { schema?: string; now: number; monthsAhead?: number }): Promise<MigrateReport> {
  const schema = o.schema ?? DEFAULT_PG_SCHEMA;
  const pool = openPgPool({ url, schema, max: 2 });
  try {
    const applied = await migrate(pool, schema);
    const partitions = await createPartitionsAhead(pool, o.now, o.monthsAhead ?? 3);
    return { schema, applied, versions: await appliedMigrations(pool), latest: PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version, partitions };
  } finally {
    await pool.end();
  }
}
