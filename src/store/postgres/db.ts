import pg from 'pg';

/** A pool of connections to one PostgreSQL database, every connection on one schema. */
export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

// int8 (bigint) columns come back as strings by default; every int8 here is an epoch-ms
// time or a log position, both far below 2^53, so numbers are exact.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** Connection options: `schema` isolates one deployment (or one test run) in a database. */
export interface PgOptions {
  url: string;
  schema?: string;
  /** Connections in the pool (default 10). */
  max?: number;
}

/**
 * Opens a pool. Every connection sets its search_path to the schema, so the adapters use
 * unqualified table names and two deployments (or two parallel test runs) can share one
 * database without seeing each other's tables.
 */
export function openPgPool(o: PgOptions): PgPool {
  const schema = o.schema ?? 'public';
  if (!SCHEMA.test(schema)) throw new Error(`schema "${schema}" must be a lower-case SQL identifier`);
  const pool = new pg.Pool({ connectionString: o.url, max: o.max ?? 10, types, options: `-c search_path=${schema}` });
  // An idle connection that the server drops must not take the process down.
  pool.on('error', () => {});
  return pool;
}

/** Runs `work` in one transaction on one connection; rolls back when it throws. */
export async function inTransaction<T>(pool: PgPool, work: (c: PgClient) => Promise<T>, isolation?: 'SERIALIZABLE'): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query(isolation ? `BEGIN ISOLATION LEVEL ${isolation}` : 'BEGIN');
    const out = await work(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

/**
 * Takes a transaction-scoped advisory lock named by `scope` and `key` (released at commit
 * or rollback). Used where a row lock cannot serve: a row not yet inserted (a customer's
 * next contact, the next version of a model) cannot be locked, its owner can.
 */
export async function lockFor(c: PgClient, scope: string, key: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1), hashtext($2))', [scope, key]);
}

/** How the adapters share a pool: when `ownsPool`, an adapter's close() ends it. */
export interface PgAdapterOptions {
  ownsPool?: boolean;
}

/** Ends the pool if the adapter owns it. */
export async function release(pool: PgPool, o: PgAdapterOptions): Promise<void> {
  if (o.ownsPool && !pool.ended) await pool.end();
}
