/**
 * Where the trigger definitions in force live: stored beside the consumer's state (so an
 * edit over the API survives a restart), seeded from the YAML file when empty. Every set is
 * parsed and its conditions compiled before it is stored: a trigger that does not compile is
 * refused, and the set in force is unchanged.
 */
import { NextbestError } from '../core/errors.js';
import { ensureSchema, type SqliteDb } from '../store/sqlite/db.js';
import { parseTrigger, parseTriggerSet, type Trigger, type TriggerSet } from './definition.js';
import { compileTriggers, type CompiledTrigger } from './evaluate.js';

/** Stored trigger bodies (as parsed), by id. */
export interface TriggerRows {
  /** In id order (the book's order as it opens and reloads). */
  all(): Trigger[];
  put(t: Trigger, at: number): void;
  delete(id: string): boolean;
  replaceAll(ts: readonly Trigger[], at: number): void;
  /** Waits until the edits so far are stored (rows written behind, as on PostgreSQL). */
  flush?(): Promise<void>;
}

export class MemoryTriggerRows implements TriggerRows {
  private readonly rows = new Map<string, Trigger>();
  all(): Trigger[] {
    return [...this.rows.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  put(t: Trigger): void {
    this.rows.set(t.id, t);
  }
  delete(id: string): boolean {
    return this.rows.delete(id);
  }
  replaceAll(ts: readonly Trigger[]): void {
    this.rows.clear();
    for (const t of ts) this.rows.set(t.id, t);
  }
}

export class SqliteTriggerRows implements TriggerRows {
  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'trigger_definitions', [`CREATE TABLE trigger_definitions (id TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at INTEGER NOT NULL);`]);
  }
  all(): Trigger[] {
    return (this.db.prepare('SELECT body FROM trigger_definitions ORDER BY id').all() as { body: string }[]).map((r) => JSON.parse(r.body) as Trigger);
  }
  put(t: Trigger, at: number): void {
    this.db.prepare('INSERT INTO trigger_definitions (id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at').run(t.id, JSON.stringify(t), at);
  }
  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM trigger_definitions WHERE id = ?').run(id).changes > 0;
  }
  replaceAll(ts: readonly Trigger[], at: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM trigger_definitions').run();
      for (const t of ts) this.put(t, at);
    })();
  }
}

/** The trigger set in force: read by the consumer on every batch, edited over the API. */
export class TriggerBook {
  private compiled: CompiledTrigger[];

  constructor(
    private readonly rows: TriggerRows,
    seed: TriggerSet,
    private readonly now: () => number,
  ) {
    const stored = rows.all();
    if (stored.length === 0 && seed.triggers.length > 0) rows.replaceAll(seed.triggers, now());
    this.compiled = compileTriggers({ triggers: rows.all() });
  }

  /** Waits until the edits so far are stored. */
  async flush(): Promise<void> {
    await this.rows.flush?.();
  }

  /** Compiles the rows again after another instance changed them (PgTriggerRows.refresh); a set that no longer compiles leaves the one in force and throws. */
  reload(): void {
    this.compiled = compileTriggers({ triggers: this.rows.all() });
  }

  /** The compiled triggers in force. */
  inForce(): readonly CompiledTrigger[] {
    return this.compiled;
  }

  list(): Trigger[] {
    return this.compiled.map((c) => c.trigger);
  }

  get(id: string): Trigger {
    const t = this.compiled.find((c) => c.trigger.id === id)?.trigger;
    if (!t) throw new NextbestError('NOT_FOUND', `no trigger ${id}`);
    return t;
  }

  /** Creates or replaces one trigger (checked and compiled with the rest first); returns the prior one. */
  put(input: unknown): { trigger: Trigger; prior: Trigger | undefined } {
    const t = parseTrigger(input);
    const prior = this.compiled.find((c) => c.trigger.id === t.id)?.trigger;
    const next = compileTriggers(parseTriggerSet({ triggers: [...this.list().filter((x) => x.id !== t.id), t] }));
    this.rows.put(t, this.now());
    this.compiled = next.sort((a, b) => (a.trigger.id < b.trigger.id ? -1 : 1));
    return { trigger: t, prior };
  }

  /** Removes a trigger; NOT_FOUND when there is none. */
  delete(id: string): Trigger {
    const prior = this.get(id);
    this.rows.delete(id);
    this.compiled = this.compiled.filter((c) => c.trigger.id !== id);
    return prior;
  }
}
