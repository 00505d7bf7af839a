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

/** Schemas handed out by recycledSchema whose pool has ended, to be emptied and handed out again. */
const spare: string[] = [];
/** One connection that empties them: its catalogue cache stays warm from one emptying to the next. */
let emptier: pg.Client | undefined;

/**
 * As migrate leaves a new schema: the partitions made on demand (partitions.ts) dropped, the
 * tables that hold rows truncated (the audit log's append-only triggers set aside for it, as a
 * replica would), the sequences that were used restarted. schema_migrations is kept.
 */
const EMPTY = `BEGIN;
SET LOCAL session_replication_role = replica;
DO $$
DECLARE r record; found boolean; holding text[] := '{}';
BEGIN
  FOR r IN SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND relispartition LOOP
    EXECUTE format('DROP TABLE %I', r.relname);
  END LOOP;
  FOR r IN SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND relname <> 'schema_migrations' LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', r.relname) INTO found;
    IF found THEN holding := holding || r.relname::text; END IF;
  END LOOP;
  IF cardinality(holding) > 0 THEN
    EXECUTE 'TRUNCATE ' || (SELECT string_agg(format('%I', t), ', ') FROM unnest(holding) AS t) || ' CASCADE';
  END IF;
  FOR r IN SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'S' LOOP
    EXECUTE format('SELECT is_called FROM %I', r.relname) INTO found;
    IF found THEN EXECUTE format('ALTER SEQUENCE %I RESTART', r.relname); END IF;
  END LOOP;
END $$;
COMMIT;`;

/**
 * A pool on an empty, migrated schema, for adapters that own their pool (their close() ends
 * it) and tests that never name the schema, as the store contracts: once the pool has ended,
 * the schema is emptied and handed to the next call instead of migrating a new one. A new
 * schema cost PostgreSQL ~0.15 s of CPU and ~0.4 s (the event log contract's property test
 * alone opens 60); emptying one ~0.04 s and ~0.05 s. pgRecycle.test.ts checks that an
 * emptied schema is the new one's twin.
 */
export async function recycledSchema(o: { max?: number } = {}): Promise<PgPool> {
  const reused = spare.pop();
  if (reused === undefined) {
    const { pool, schema } = await freshSchema(o);
    return recycleOnEnd(pool, schema);
  }
  if (!emptier) {
    emptier = new pg.Client({ connectionString: PG_URL });
    await emptier.connect();
  }
  await emptier.query(`SET search_path = ${reused}`);
  try {
    await emptier.query(EMPTY);
  } catch (e) {
    await emptier.query('ROLLBACK');
    throw e;
  }
  return recycleOnEnd(openPgPool({ url: PG_URL, schema: reused, ...(o.max ? { max: o.max } : {}) }), reused);
}

function recycleOnEnd(pool: PgPool, schema: string): PgPool {
  const end = pool.end.bind(pool) as () => Promise<void>;
  // Spare only once every connection has ended (pg's end() waits for them to be released).
  const ended = async () => {
    await end();
    spare.push(schema);
  };
  return Object.assign(pool, { end: ended });
}

/** Drops every schema this process made. */
export async function dropSchemas(): Promise<void> {
  spare.length = 0;
  if (emptier) {
    await emptier.end();
    emptier = undefined;
  }
  if (made.length === 0) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    for (const s of made.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await admin.end();
  }
}
