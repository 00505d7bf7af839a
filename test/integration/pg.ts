import pg from 'pg';
import { openPgPool, type PgPool } from '../../src/store/postgres/db.js';
import { migrate } from '../../src/store/postgres/migrations.js';

/** The test database: PostgreSQL on this machine, trust auth (override with NEXTBEST_TEST_PG). */
export const PG_URL = process.env.NEXTBEST_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

// One prefix per test process, so two runs at once (two engineers, CI) never share a schema.
const RUN = `nbt_${process.pid}_${Date.now().toString(36)}`;
let n = 0;
const made: string[] = [];

/** A new, migrated schema of its own and a pool on it; the caller (or its adapter) ends the pool. */
export async function freshSchema(o: { max?: number } = {}): Promise<{ pool: PgPool; schema: string }> {
  const schema = `${RUN}_${++n}`;
  made.push(schema);
  const pool = openPgPool({ url: PG_URL, schema, ...(o.max ? { max: o.max } : {}) });
  await migrate(pool, schema);
  return { pool, schema };
}

/** A schema name of this run that nothing has created yet (dropped by dropSchemas). */
export function newSchemaName(): string {
  const schema = `${RUN}_${++n}`;
  made.push(schema);
  return schema;
}

/** Drops every schema this process made. */
export async function dropSchemas(): Promise<void> {
  if (made.length === 0) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    for (const s of made.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await admin.end();
  }
}
