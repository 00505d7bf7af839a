/**
 * The trigger module's state on PostgreSQL (migration 13), shared by every instance: the fire
 * log (fires, last readings, last-seen times, the consumer's checkpoint), the journeys and the
 * stored trigger definitions. As with triggers.db, the rows are this module's own JSON.
 */
import type { EventType } from '../core/events.js';
import { inTransaction, type PgPool } from '../store/postgres/db.js';
import type { Trigger } from './definition.js';
import type { Readings, TriggerFire } from './evaluate.js';
import type { FireLog, FireOutcome, FireRecord, RememberedBatch } from './fireLog.js';
import type { Journey, JourneyStore } from './journeys.js';
import type { TriggerRows } from './triggerStore.js';

interface FireRow {
  fire: string;
  outcome: string;
}
const record = (r: FireRow): FireRecord => ({ fire: JSON.parse(r.fire) as TriggerFire, outcome: JSON.parse(r.outcome) as FireOutcome });
/** The trigger consumer's checkpoint, in the consumers' checkpoint table under its own name. */
const CHECKPOINT = 'triggers.fires';

export class PgFireLog implements FireLog {
  constructor(private readonly pool: PgPool) {}

  async claim(fire: TriggerFire): Promise<boolean> {
    const r = await this.pool.query(`INSERT INTO trigger_fires (fire_id, customer_id, at, fire, outcome, pending) VALUES ($1, $2, $3, $4, '{"status":"pending"}', true) ON CONFLICT (fire_id) DO NOTHING`, [fire.fireId, fire.customerId, fire.at, JSON.stringify(fire)]);
    return (r.rowCount ?? 0) > 0;
  }
  async settle(fireId: string, outcome: FireOutcome): Promise<void> {
    await this.pool.query('UPDATE trigger_fires SET outcome = $1, pending = $2 WHERE fire_id = $3', [JSON.stringify(outcome), outcome.status === 'pending', fireId]);
  }
  async get(fireId: string): Promise<FireRecord | undefined> {
    const r = (await this.pool.query<FireRow>('SELECT fire, outcome FROM trigger_fires WHERE fire_id = $1', [fireId])).rows[0];
    return r && record(r);
  }
  async forCustomer(customerId: string): Promise<FireRecord[]> {
    return (await this.pool.query<FireRow>('SELECT fire, outcome FROM trigger_fires WHERE customer_id = $1 ORDER BY at, seq', [customerId])).rows.map(record);
  }
  async forCustomers(customerIds: readonly string[]): Promise<Map<string, FireRecord[]>> {
    const out = new Map<string, FireRecord[]>(customerIds.map((id) => [id, []]));
    if (customerIds.length === 0) return out;
    const rows = (await this.pool.query<FireRow>('SELECT fire, outcome FROM trigger_fires WHERE customer_id = ANY($1::text[]) ORDER BY at, seq', [[...new Set(customerIds)]])).rows;
    for (const r of rows.map(record)) out.get(r.fire.customerId)?.push(r);
    return out;
  }
  async pending(): Promise<FireRecord[]> {
    return (await this.pool.query<FireRow>('SELECT fire, outcome FROM trigger_fires WHERE pending ORDER BY seq')).rows.map(record);
  }
  async recent(limit: number): Promise<FireRecord[]> {
    return (await this.pool.query<FireRow>('SELECT fire, outcome FROM trigger_fires ORDER BY at DESC, seq DESC LIMIT $1', [limit])).rows.map(record);
  }
  async lastReadings(customerId: string): Promise<Readings | undefined> {
    const r = (await this.pool.query<{ readings: string }>('SELECT readings FROM trigger_readings WHERE customer_id = $1', [customerId])).rows[0];
    return r && (JSON.parse(r.readings) as Readings);
  }
  async lastReadingsMany(customerIds: readonly string[]): Promise<Map<string, Readings>> {
    if (customerIds.length === 0) return new Map();
    const rows = (await this.pool.query<{ customer_id: string; readings: string }>('SELECT customer_id, readings FROM trigger_readings WHERE customer_id = ANY($1::text[])', [[...new Set(customerIds)]])).rows;
    return new Map(rows.map((r) => [r.customer_id, JSON.parse(r.readings) as Readings]));
  }
  async saveReadings(customerId: string, readings: Readings): Promise<void> {
    await this.pool.query('INSERT INTO trigger_readings (customer_id, readings) VALUES ($1, $2) ON CONFLICT (customer_id) DO UPDATE SET readings = excluded.readings', [customerId, JSON.stringify(readings)]);
  }
  async lastSeen(customerId: string): Promise<Partial<Record<EventType, number>>> {
    const rows = (await this.pool.query<{ type: EventType; at: number }>('SELECT type, at FROM trigger_seen WHERE customer_id = $1', [customerId])).rows;
    return Object.fromEntries(rows.map((r) => [r.type, r.at]));
  }
  async saveSeen(customerId: string, type: EventType, at: number): Promise<void> {
    await this.pool.query('INSERT INTO trigger_seen (customer_id, type, at) VALUES ($1, $2, $3) ON CONFLICT (customer_id, type) DO UPDATE SET at = GREATEST(trigger_seen.at, excluded.at)', [customerId, type, at]);
  }
  /**
   * One statement (so one round trip, all or nothing): an upsert of the readings and one of the
   * seen times, each from arrays. Rows go in customer order, so two writers that overlap (instances
   * without a bus each following the whole log) lock them in the same order and cannot deadlock.
   */
  async saveMany(batch: RememberedBatch): Promise<void> {
    const byKey = ([a]: readonly [string, unknown], [b]: readonly [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
    const readings = [...batch.readings].sort(byKey);
    const seen = [...batch.seen].sort(byKey).flatMap(([id, types]) => (Object.entries(types) as [EventType, number][]).sort(byKey).map(([type, at]) => [id, type, at] as const));
    const writes: string[] = [];
    const params: unknown[] = [];
    if (readings.length > 0) {
      params.push(readings.map(([id]) => id), readings.map(([, r]) => JSON.stringify(r)));
      writes.push(`INSERT INTO trigger_readings (customer_id, readings) SELECT * FROM unnest($${params.length - 1}::text[], $${params.length}::text[]) ON CONFLICT (customer_id) DO UPDATE SET readings = excluded.readings`);
    }
    if (seen.length > 0) {
      params.push(seen.map(([id]) => id), seen.map(([, type]) => type), seen.map(([, , at]) => at));
      writes.push(`INSERT INTO trigger_seen (customer_id, type, at) SELECT * FROM unnest($${params.length - 2}::text[], $${params.length - 1}::text[], $${params.length}::bigint[]) ON CONFLICT (customer_id, type) DO UPDATE SET at = GREATEST(trigger_seen.at, excluded.at)`);
    }
    if (writes.length === 0) return;
    await this.pool.query(writes.length === 1 ? writes[0]! : `WITH r AS (${writes[0]!}), s AS (${writes[1]!}) SELECT 1`, params);
  }
  async watchedCustomers(): Promise<string[]> {
    return (await this.pool.query<{ customer_id: string }>('SELECT DISTINCT customer_id FROM trigger_seen ORDER BY customer_id')).rows.map((r) => r.customer_id);
  }
  async checkpoint(): Promise<number> {
    return (await this.pool.query<{ seq: number }>('SELECT seq FROM consumer_checkpoints WHERE name = $1', [CHECKPOINT])).rows[0]?.seq ?? 0;
  }
  async saveCheckpoint(seq: number): Promise<void> {
    await this.pool.query('INSERT INTO consumer_checkpoints (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET seq = GREATEST(consumer_checkpoints.seq, excluded.seq)', [CHECKPOINT, seq]);
  }
  /** All of the customer's trigger state or none of it (as the SQLite fire log does). */
  async erase(customerId: string): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      for (const table of ['trigger_fires', 'trigger_readings', 'trigger_seen']) await c.query(`DELETE FROM ${table} WHERE customer_id = $1`, [customerId]);
    });
  }
}

export class PgJourneyStore implements JourneyStore {
  constructor(private readonly pool: PgPool) {}

  async put(j: Journey): Promise<void> {
    await this.pool.query(
      `INSERT INTO journeys (journey_id, customer_id, status, next_at, waiting, started_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (journey_id) DO UPDATE SET status = excluded.status, next_at = excluded.next_at, waiting = excluded.waiting, body = excluded.body`,
      [j.journeyId, j.customerId, j.status, j.nextAt, j.status === 'active' && j.waitingFrom != null, j.startedAt, JSON.stringify(j)],
    );
  }
  async get(id: string): Promise<Journey | undefined> {
    const r = (await this.pool.query<{ body: string }>('SELECT body FROM journeys WHERE journey_id = $1', [id])).rows[0];
    return r && (JSON.parse(r.body) as Journey);
  }
  async forCustomer(customerId: string): Promise<Journey[]> {
    return (await this.pool.query<{ body: string }>('SELECT body FROM journeys WHERE customer_id = $1 ORDER BY started_at, seq', [customerId])).rows.map((r) => JSON.parse(r.body) as Journey);
  }
  async due(now: number): Promise<Journey[]> {
    return (await this.pool.query<{ body: string }>("SELECT body FROM journeys WHERE status = 'active' AND next_at <= $1 ORDER BY next_at", [now])).rows.map((r) => JSON.parse(r.body) as Journey);
  }
  async waiting(): Promise<Journey[]> {
    return (await this.pool.query<{ body: string }>("SELECT body FROM journeys WHERE status = 'active' AND waiting")).rows.map((r) => JSON.parse(r.body) as Journey);
  }
  async erase(customerId: string): Promise<void> {
    await this.pool.query('DELETE FROM journeys WHERE customer_id = $1', [customerId]);
  }
}

/**
 * Trigger definitions on PostgreSQL. The book reads its rows synchronously, so they are read
 * once when the engine opens (`load`) and written through; `flush` waits for the writes (the
 * API's put and delete await it before they answer). Other instances see an edit at their
 * next `refresh` (the engine calls it every second, as the stored catalogue reloads).
 */
export class PgTriggerRows implements TriggerRows {
  private rows = new Map<string, Trigger>();
  private writes: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  /** The stored bodies as last read, in id order: a refresh that reads the same changes nothing. */
  private seen = '';
  /** Local edits so far: a refresh that overlaps one keeps the edit (its write is still queued). */
  private edits = 0;

  private constructor(private readonly pool: PgPool) {}

  static async load(pool: PgPool): Promise<PgTriggerRows> {
    const t = new PgTriggerRows(pool);
    await t.refresh();
    return t;
  }

  /**
   * Reads the stored definitions again (after this instance's own writes); true when another
   * instance changed them since the last read, and the rows are now theirs.
   */
  async refresh(): Promise<boolean> {
    await this.writes;
    const edits = this.edits;
    const bodies = (await this.pool.query<{ body: string }>('SELECT body FROM trigger_definitions ORDER BY id')).rows.map((r) => r.body);
    const seen = bodies.join('\n');
    if (seen === this.seen || edits !== this.edits) return false;
    this.seen = seen;
    this.rows = new Map(bodies.map((b) => JSON.parse(b) as Trigger).map((t) => [t.id, t]));
    return true;
  }

  private write(work: () => Promise<unknown>): void {
    this.writes = this.writes.then(work).catch((e: unknown) => (this.failure = e));
  }

  /** Waits for the writes so far; throws the first that failed. */
  async flush(): Promise<void> {
    await this.writes;
    const e = this.failure;
    this.failure = undefined;
    if (e) throw e;
  }

  all(): Trigger[] {
    return [...this.rows.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  put(t: Trigger, at: number): void {
    this.edits++;
    this.rows.set(t.id, t);
    this.write(() => this.pool.query('INSERT INTO trigger_definitions (id, body, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at', [t.id, JSON.stringify(t), at]));
  }
  delete(id: string): boolean {
    this.edits++;
    const had = this.rows.delete(id);
    if (had) this.write(() => this.pool.query('DELETE FROM trigger_definitions WHERE id = $1', [id]));
    return had;
  }
  replaceAll(ts: readonly Trigger[], at: number): void {
    this.edits++;
    this.rows = new Map(ts.map((t) => [t.id, t]));
    const list = [...ts];
    this.write(() =>
      inTransaction(this.pool, async (c) => {
        await c.query('DELETE FROM trigger_definitions WHERE NOT (id = ANY($1::text[]))', [list.map((t) => t.id)]);
        // Two instances seeding an empty table at once: the same rows, not a key conflict.
        for (const t of list) await c.query('INSERT INTO trigger_definitions (id, body, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at', [t.id, JSON.stringify(t), at]);
      }),
    );
  }
}
