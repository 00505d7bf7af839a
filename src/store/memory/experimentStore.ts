import { canonicalJson } from '../../core/canonical.js';
import { experimentChanged, type ExperimentStore, type StoredExperiment } from '../experimentStore.js';

type Row = Omit<StoredExperiment, 'definition'> & { body: string };

/** Experiments in memory (tests, `store: memory`); bodies kept as canonical JSON like SQLite's. */
export class MemoryExperimentStore implements ExperimentStore {
  private readonly rows = new Map<string, Row>();
  private settingsBody: string | undefined;

  async put(id: string, definition: unknown, expectedRevision: number, now: number): Promise<StoredExperiment> {
    const had = this.rows.get(id);
    if ((had?.revision ?? 0) !== expectedRevision) throw experimentChanged(id, expectedRevision, had?.revision);
    const row: Row = { id, revision: expectedRevision + 1, createdAt: had?.createdAt ?? now, updatedAt: now, body: canonicalJson(definition) };
    this.rows.set(id, row);
    return out(row);
  }

  async get(id: string): Promise<StoredExperiment | undefined> {
    const r = this.rows.get(id);
    return r ? out(r) : undefined;
  }

  async list(): Promise<StoredExperiment[]> {
    return [...this.rows.values()].map(out);
  }

  async remove(id: string, expectedRevision: number): Promise<boolean> {
    const had = this.rows.get(id);
    if (!had) return false;
    if (had.revision !== expectedRevision) throw experimentChanged(id, expectedRevision, had.revision);
    this.rows.delete(id);
    return true;
  }

  async settings(): Promise<unknown> {
    return this.settingsBody === undefined ? undefined : (JSON.parse(this.settingsBody) as unknown);
  }

  async putSettings(settings: unknown): Promise<void> {
    this.settingsBody = canonicalJson(settings);
  }

  async close(): Promise<void> {}
}

function out(r: Row): StoredExperiment {
  return { id: r.id, revision: r.revision, createdAt: r.createdAt, updatedAt: r.updatedAt, definition: JSON.parse(r.body) as unknown };
}
