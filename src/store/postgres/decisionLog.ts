import type { DecisionLog, DecisionQuery, LinkedResponse, LoggedDecision } from '../decisionLog.js';
import { inTransaction, release, type PgAdapterOptions, type PgPool } from './db.js';
import { ensureMonthPartitions } from './partitions.js';

interface DecisionRow {
  decision_id: string;
  customer_id: string;
  channel: string;
  decided_at: number;
  catalogue_version: string;
  chosen_actions: string[];
  record: string;
}

const toLogged = (r: DecisionRow): LoggedDecision => ({ decisionId: r.decision_id, customerId: r.customer_id, channel: r.channel, decidedAt: r.decided_at, catalogueVersion: r.catalogue_version, chosenActions: r.chosen_actions, record: JSON.parse(r.record) });

type Pending = { d: LoggedDecision; resolve: () => void; reject: (e: unknown) => void };

/** The error for a decision id already logged. */
const duplicate = (id: string) => new Error(`decision ${id} is already logged (duplicate decision id)`);

/** Batches written at once per process: a batch waits on PostgreSQL's commit (its fsync), not on the batches before it. */
const IN_FLIGHT = 4;

/**
 * The decision log in PostgreSQL, split by month of decision time. Appends that arrive
 * together are written as one batch (group commit) in one statement, so one round trip and
 * one commit: a multi-row insert of the ids that skips those already logged, feeding a
 * multi-row insert of the records of the new ones; a duplicate id fails alone. Up to
 * IN_FLIGHT batches are written at once, so under load a decision waits for its own
 * batch's commit rather than for every batch queued before it.
 */
export class PgDecisionLog implements DecisionLog {
  private queue: Pending[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  /** Resolves once the record is committed. */
  async append(d: LoggedDecision): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ d, resolve, reject });
      // One queued batch at a time: appends of the same tick join it.
      if (this.queue.length === 1) queueMicrotask(() => this.startFlush());
    });
  }

  /** Writes the queued appends now if fewer than IN_FLIGHT batches are being written; else when one of them ends. */
  private startFlush(): void {
    if (this.queue.length === 0 || this.inFlight.size >= IN_FLIGHT) return;
    const items = this.queue;
    this.queue = [];
    const p: Promise<void> = this.flush(items).finally(() => {
      this.inFlight.delete(p);
      this.startFlush();
    });
    this.inFlight.add(p);
  }

  private async flush(items: Pending[]): Promise<void> {
    const first = new Map<string, Pending>();
    for (const q of items) {
      if (first.has(q.d.decisionId)) q.reject(duplicate(q.d.decisionId));
      else first.set(q.d.decisionId, q);
    }
    const batch = [...first.values()].map((q) => q.d);
    try {
      await ensureMonthPartitions(this.pool, 'decisions', batch.map((d) => d.decidedAt));
      // One statement, so one implicit transaction: the records of the ids that were new, or nothing.
      // unnest() cannot take a ragged text[][]: the chosen ids travel as JSON arrays and become text[] here.
      const added = new Set(
        (
          await this.pool.query<{ decision_id: string }>(
            `WITH ids AS (
               INSERT INTO decision_ids (decision_id, customer_id, decided_at)
               SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING RETURNING decision_id
             ), recs AS (
               INSERT INTO decisions (decision_id, customer_id, channel, decided_at, catalogue_version, chosen_actions, record)
               SELECT u.decision_id, u.customer_id, u.channel, u.decided_at, u.catalogue_version, ARRAY(SELECT jsonb_array_elements_text(u.chosen::jsonb)), u.record
               FROM unnest($1::text[], $2::text[], $4::text[], $3::bigint[], $5::text[], $6::text[], $7::text[]) AS u(decision_id, customer_id, channel, decided_at, catalogue_version, chosen, record)
               JOIN ids ON ids.decision_id = u.decision_id
             )
             SELECT decision_id FROM ids`,
            [
              batch.map((d) => d.decisionId),
              batch.map((d) => d.customerId),
              batch.map((d) => d.decidedAt),
              batch.map((d) => d.channel),
              batch.map((d) => d.catalogueVersion),
              batch.map((d) => JSON.stringify(d.chosenActions)),
              batch.map((d) => JSON.stringify(d.record)),
            ],
          )
        ).rows.map((r) => r.decision_id),
      );
      for (const q of first.values()) {
        if (added.has(q.d.decisionId)) q.resolve();
        else q.reject(duplicate(q.d.decisionId));
      }
    } catch (e) {
      for (const q of first.values()) q.reject(e);
    }
  }

  async get(decisionId: string): Promise<(LoggedDecision & { responses: LinkedResponse[] }) | undefined> {
    // Through decision_ids: its decided_at finds the one partition to read.
    const row = (await this.pool.query<DecisionRow>('SELECT d.* FROM decision_ids i JOIN decisions d ON d.decided_at = i.decided_at AND d.decision_id = i.decision_id WHERE i.decision_id = $1', [decisionId])).rows[0];
    if (!row) return undefined;
    const responses = (await this.pool.query<{ event_id: string; action_id: string; channel: string; response: string; at: number }>('SELECT event_id, action_id, channel, response, at FROM decision_responses WHERE decision_id = $1 ORDER BY at, id', [decisionId])).rows.map((r) => ({
      eventId: r.event_id,
      actionId: r.action_id,
      channel: r.channel,
      response: r.response,
      at: r.at,
    }));
    return { ...toLogged(row), responses };
  }

  async listCustomer(customerId: string, limit: number): Promise<LoggedDecision[]> {
    return (await this.pool.query<DecisionRow>('SELECT * FROM decisions WHERE customer_id = $1 ORDER BY decided_at DESC, decision_id DESC LIMIT $2', [customerId, limit])).rows.map(toLogged);
  }

  async search(q: DecisionQuery): Promise<LoggedDecision[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => (args.push(v), `$${args.length}`);
    if (q.customerId !== undefined) where.push(`customer_id = ${arg(q.customerId)}`);
    if (q.channel !== undefined) where.push(`channel = ${arg(q.channel)}`);
    if (q.from !== undefined) where.push(`decided_at >= ${arg(q.from)}`);
    if (q.to !== undefined) where.push(`decided_at < ${arg(q.to)}`);
    if (q.before !== undefined) where.push(`(decided_at, decision_id) < (${arg(q.before.decidedAt)}, ${arg(q.before.decisionId)})`);
    // The chosen action ids are a column with a GIN index (migration 16): the record is not read.
    if (q.actionId !== undefined) where.push(`chosen_actions @> ARRAY[${arg(q.actionId)}::text]`);
    const sql = `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY decided_at DESC, decision_id DESC LIMIT ${arg(q.limit)}`;
    return (await this.pool.query<DecisionRow>(sql, args)).rows.map(toLogged);
  }

  /** Decisions at or after `sinceMs`, oldest first, a page at a time (rebuilding the contact history). */
  async *since(sinceMs: number, pageSize = 2000): AsyncIterable<LoggedDecision[]> {
    let at = sinceMs;
    let after = '';
    for (;;) {
      const rows = (await this.pool.query<DecisionRow>('SELECT * FROM decisions WHERE (decided_at, decision_id) > ($1::bigint, $2::text) ORDER BY decided_at, decision_id LIMIT $3', [at, after, pageSize])).rows;
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      at = last.decided_at;
      after = last.decision_id;
      yield rows.map(toLogged);
      if (rows.length < pageSize) return;
    }
  }

  async linkResponse(decisionId: string, r: LinkedResponse): Promise<boolean> {
    const known = await this.pool.query<{ n: number }>(
      `WITH d AS (SELECT decision_id FROM decision_ids WHERE decision_id = $1),
            ins AS (INSERT INTO decision_responses (event_id, decision_id, action_id, channel, response, at) SELECT $2, decision_id, $3, $4, $5, $6 FROM d ON CONFLICT (event_id) DO NOTHING)
       SELECT count(*) AS n FROM d`,
      [decisionId, r.eventId, r.actionId, r.channel, r.response, r.at],
    );
    return known.rows[0]!.n > 0;
  }

  async putCatalogue(version: string, catalogue: unknown): Promise<void> {
    await this.pool.query('INSERT INTO decision_catalogues (version, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [version, JSON.stringify(catalogue)]);
  }

  async getCatalogue(version: string): Promise<unknown> {
    const row = (await this.pool.query<{ body: string }>('SELECT body FROM decision_catalogues WHERE version = $1', [version])).rows[0];
    return row ? JSON.parse(row.body) : undefined;
  }

  async eraseCustomer(customerId: string): Promise<number> {
    return inTransaction(this.pool, async (c) => {
      await c.query('DELETE FROM decisions WHERE customer_id = $1', [customerId]);
      // Responses go with their ids (ON DELETE CASCADE).
      return (await c.query('DELETE FROM decision_ids WHERE customer_id = $1', [customerId])).rowCount ?? 0;
    });
  }

  async count(): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM decision_ids')).rows[0]!.n;
  }

  /** Waits for appends in flight, then ends the pool if this log owns it. */
  async close(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      this.startFlush();
      await Promise.all(this.inFlight);
    }
    await release(this.pool, this.o);
  }
}
