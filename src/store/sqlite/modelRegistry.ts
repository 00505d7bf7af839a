import {
  alreadyChampion,
  checkNewModel,
  modelId,
  modelNotFound,
  nothingToRollBack,
  summaryOf,
  modelSummaryFromRow,
  modelRecordFromRow,
  type ModelMeta,
  type ModelRow,
  type ModelRecord,
  type ModelRegistry,
  type ModelStage,
  type ModelSummary,
  type NewModel,
  type StageChange,
  type DriftCheckRecord,
} from '../modelRegistry.js';
import { ensureSchema, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE models (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     version INTEGER NOT NULL,
     stage TEXT NOT NULL CHECK (stage IN ('candidate', 'champion', 'retired')),
     created_at TEXT NOT NULL,
     promoted_at TEXT,
     retired_at TEXT,
     meta TEXT NOT NULL,
     artefact TEXT NOT NULL,
     drift_reference TEXT NOT NULL,
     UNIQUE (name, version)
   );
   CREATE UNIQUE INDEX models_one_champion ON models (name) WHERE stage = 'champion';
   CREATE TABLE model_stage_changes (
     seq INTEGER PRIMARY KEY,
     name TEXT NOT NULL,
     model_id TEXT NOT NULL REFERENCES models (id),
     action TEXT NOT NULL,
     at TEXT NOT NULL
   );`,
  // Why a promotion was allowed: the checks it passed, or the reason a person forced it.
  `ALTER TABLE model_stage_changes ADD COLUMN note TEXT;`,
  // Drift over time: one row per check of a model (PSI per feature as JSON).
  `CREATE TABLE model_drift_checks (
     seq INTEGER PRIMARY KEY,
     model_id TEXT NOT NULL,
     checked_at TEXT NOT NULL,
     body TEXT NOT NULL
   );
   CREATE INDEX model_drift_checks_model ON model_drift_checks (model_id, seq);`,
];

type Row = ModelRow;

/**
 * The registry in the embedded database. A partial unique index keeps one champion per
 * name even against a bug; promotions and rollbacks are single transactions, and the
 * stage-change table is both the audit trail and the lineage a rollback walks back.
 */
export class SqliteModelRegistry implements ModelRegistry {
  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'model_registry', MIGRATIONS);
  }

  async register(model: NewModel): Promise<ModelRecord> {
    checkNewModel(model);
    const meta: ModelMeta = { kind: model.kind, trainingWindow: model.trainingWindow, features: model.features, definitionsHash: model.definitionsHash, params: model.params, metrics: model.metrics, card: model.card };
    const id = this.db.transaction(() => {
      const { v } = this.db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM models WHERE name = ?').get(model.name) as { v: number };
      const id = modelId(model.name, v);
      this.db
        .prepare('INSERT INTO models (id, name, version, stage, created_at, meta, artefact, drift_reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, model.name, v, 'candidate', model.createdAt, JSON.stringify(meta), JSON.stringify(model.artefact), JSON.stringify(model.driftReference ?? null));
      return id;
    })();
    return (await this.get(id))!;
  }

  async get(id: string): Promise<ModelRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  async list(filter: { name?: string; stage?: ModelStage } = {}): Promise<ModelSummary[]> {
    const rows = this.db
      .prepare('SELECT id, name, version, stage, created_at, promoted_at, retired_at, meta FROM models WHERE (@name IS NULL OR name = @name) AND (@stage IS NULL OR stage = @stage) ORDER BY created_at DESC, name, version DESC')
      .all({ name: filter.name ?? null, stage: filter.stage ?? null }) as Row[];
    return rows.map(toSummary);
  }

  async champion(name: string): Promise<ModelRecord | undefined> {
    const row = this.db.prepare("SELECT * FROM models WHERE name = ? AND stage = 'champion'").get(name) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  async promote(id: string, at: string, note?: string): Promise<{ champion: ModelSummary; retired: ModelSummary | null }> {
    const result = this.db.transaction(() => {
      const m = this.db.prepare('SELECT name, stage FROM models WHERE id = ?').get(id) as { name: string; stage: ModelStage } | undefined;
      if (!m) throw modelNotFound(id);
      if (m.stage === 'champion') throw alreadyChampion(id);
      const old = this.db.prepare("SELECT id FROM models WHERE name = ? AND stage = 'champion'").get(m.name) as { id: string } | undefined;
      if (old) this.db.prepare("UPDATE models SET stage = 'retired', retired_at = ? WHERE id = ?").run(at, old.id);
      this.db.prepare("UPDATE models SET stage = 'champion', promoted_at = ?, retired_at = NULL WHERE id = ?").run(at, id);
      this.db.prepare("INSERT INTO model_stage_changes (name, model_id, action, at, note) VALUES (?, ?, 'promote', ?, ?)").run(m.name, id, at, note ?? null);
      return old?.id;
    })();
    const champion = summaryOf((await this.get(id))!);
    return { champion, retired: result ? summaryOf((await this.get(result))!) : null };
  }

  async rollback(name: string, at: string): Promise<{ champion: ModelSummary; retired: ModelSummary }> {
    const ids = this.db.transaction(() => {
      const line = this.lineage(name);
      const current = line[line.length - 1];
      const stage = current ? (this.db.prepare('SELECT stage FROM models WHERE id = ?').get(current) as { stage: ModelStage }).stage : undefined;
      if (!current || stage !== 'champion') throw modelNotFound(`champion of ${name}`);
      if (line.length < 2) throw nothingToRollBack(name);
      const previous = line[line.length - 2]!;
      this.db.prepare("UPDATE models SET stage = 'retired', retired_at = ? WHERE id = ?").run(at, current);
      this.db.prepare("UPDATE models SET stage = 'champion', promoted_at = ?, retired_at = NULL WHERE id = ?").run(at, previous);
      this.db.prepare("INSERT INTO model_stage_changes (name, model_id, action, at) VALUES (?, ?, 'rollback', ?)").run(name, previous, at);
      return { current, previous };
    })();
    return { champion: summaryOf((await this.get(ids.previous))!), retired: summaryOf((await this.get(ids.current))!) };
  }

  async history(name: string): Promise<StageChange[]> {
    const rows = this.db.prepare('SELECT name, model_id, action, at, note FROM model_stage_changes WHERE name = ? ORDER BY seq').all(name) as { name: string; model_id: string; action: 'promote' | 'rollback'; at: string; note: string | null }[];
    return rows.map((r) => ({ name: r.name, modelId: r.model_id, action: r.action, at: r.at, note: r.note }));
  }

  async recordDriftCheck(check: DriftCheckRecord): Promise<void> {
    this.db.prepare('INSERT INTO model_drift_checks (model_id, checked_at, body) VALUES (?, ?, ?)').run(check.modelId, check.checkedAt, JSON.stringify(check));
  }

  async driftChecks(modelId: string, limit: number): Promise<DriftCheckRecord[]> {
    const rows = this.db.prepare('SELECT body FROM model_drift_checks WHERE model_id = ? ORDER BY seq DESC LIMIT ?').all(modelId, limit) as { body: string }[];
    return rows.reverse().map((r) => JSON.parse(r.body) as DriftCheckRecord);
  }

  async close(): Promise<void> {}

  /** The ids that have been champion, latest last: a promotion pushes, a rollback pops. */
  private lineage(name: string): string[] {
    const line: string[] = [];
    for (const c of this.db.prepare('SELECT model_id, action FROM model_stage_changes WHERE name = ? ORDER BY seq').all(name) as { model_id: string; action: string }[]) {
      if (c.action === 'promote') line.push(c.model_id);
      else line.pop();
    }
    return line;
  }
}

const toSummary = modelSummaryFromRow;
const toRecord = modelRecordFromRow;
