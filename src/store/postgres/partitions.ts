import { lockFor, type PgPool } from './db.js';

/** The tables split by month of a bigint epoch-ms column (see migrations). */
export type PartitionedTable = 'events' | 'decisions';

/** Start (inclusive) and end (exclusive) of the UTC month holding `ms`, and its suffix. */
export function monthOf(ms: number): { from: number; to: number; suffix: string } {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { from: Date.UTC(y, m, 1), to: Date.UTC(y, m + 1, 1), suffix: `${y < 0 ? 'm' : ''}${String(Math.abs(y)).padStart(4, '0')}${String(m + 1).padStart(2, '0')}` };
}

// Partitions known to exist, per pool (a pool is one schema).
const known = new WeakMap<PgPool, Set<string>>();

/**
 * Makes sure a partition exists for the month of every time given, creating the missing
 * ones. Native declarative partitioning has no automatic partition creation and a row
 * with no partition fails its insert, so writers call this first; creation is serialized
 * by an advisory lock so two instances creating the same month do not race. There is no
 * DEFAULT partition on purpose: rows in it would block creating their month later.
 */
export async function ensureMonthPartitions(pool: PgPool, table: PartitionedTable, times: Iterable<number>): Promise<void> {
  let seen = known.get(pool);
  if (!seen) known.set(pool, (seen = new Set()));
  const missing = new Map<string, { from: number; to: number }>();
  for (const t of times) {
    const m = monthOf(t);
    const name = `${table}_p${m.suffix}`;
    if (!seen.has(name) && !missing.has(name)) missing.set(name, m);
  }
  if (missing.size === 0) return;
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await lockFor(c, 'partitions', table);
    for (const [name, m] of missing) await c.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} FOR VALUES FROM (${m.from}) TO (${m.to})`);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
  for (const name of missing.keys()) seen.add(name);
}

/** Creates this month's and the next `months` months' partitions ahead of need (`nextbest migrate`). */
export async function createPartitionsAhead(pool: PgPool, now: number, months = 3): Promise<string[]> {
  const times: number[] = [];
  const d = new Date(now);
  for (let i = 0; i <= months; i++) times.push(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + i, 1));
  for (const table of ['events', 'decisions'] as const) await ensureMonthPartitions(pool, table, times);
  return times.map((t) => monthOf(t).suffix);
}
