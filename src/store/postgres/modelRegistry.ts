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
import { inTransaction, lockFor, release, type PgAdapterOptions, type PgClient, type PgPool } from './db.js';

type Row = ModelRow;

/**
 * The model registry in PostgreSQL. Every change to one model name (a new version, a
 * promotion, a rollback) runs in a transaction holding an advisory lock on the name, so
 * two instances training or promoting at once number versions without gaps or clashes and
 * never leave two champions; the partial unique index would catch it if they did.
 */
export class PgModelRegistry implements ModelRegistry {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  async register(model: NewModel): Promise<ModelRecord> {
    checkNewModel(model);
    const meta: ModelMeta = { kind: model.kind, trainingWindow: model.trainingWindow, features: model.features, definitionsHash: model.definitionsHash, params: model.params, metrics: model.metrics, card: model.card };
    const id = await inTransaction(this.pool, async (c) => {
      await lockFor(c, 'models', model.name);
      const v = (await c.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM models WHERE name = $1', [model.name])).rows[0]!.v;
      const id = modelId(model.name, v);
      await c.query('INSERT INTO models (id, name, version, stage, created_at, meta, artefact, drift_reference) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        id,
        model.name,
        v,
        'candidate',
        model.createdAt,
        JSON.stringify(meta),
        JSON.stringify(model.artefact),
        JSON.stringify(model.driftReference ?? null),
      ]);
      return id;
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<ModelRecord | undefined> {
    const row = (await this.pool.query<Row>('SELECT * FROM models WHERE id = $1', [id])).rows[0];
    return row ? toRecord(row) : undefined;
  }

  async list(filter: { name?: string; stage?: ModelStage } = {}): Promise<ModelSummary[]> {
    const rows = (
      await this.pool.query<Row>(
        'SELECT id, name, version, stage, created_at, promoted_at, retired_at, meta FROM models WHERE ($1::text IS NULL OR name = $1) AND ($2::text IS NULL OR stage = $2) ORDER BY created_at DESC, name, version DESC',
        [filter.name ?? null, filter.stage ?? null],
      )
    ).rows;
    return rows.map(toSummary);
  }

  async champion(name: string): Promise<ModelRecord | undefined> {
    const row = (await this.pool.query<Row>("SELECT * FROM models WHERE name = $1 AND stage = 'champion'", [name])).rows[0];
    return row ? toRecord(row) : undefined;
  }

  async promote(id: string, at: string, note?: string): Promise<{ champion: ModelSummary; retired: ModelSummary | null }> {
    const name = (await this.pool.query<{ name: string }>('SELECT name FROM models WHERE id = $1', [id])).rows[0]?.name;
    if (name === undefined) throw modelNotFound(id);
    const old = await inTransaction(this.pool, async (c) => {
      await lockFor(c, 'models', name);
      const m = (await c.query<{ stage: ModelStage }>('SELECT stage FROM models WHERE id = $1', [id])).rows[0]!;
      if (m.stage === 'champion') throw alreadyChampion(id);
      const old = (await c.query<{ id: string }>("SELECT id FROM models WHERE name = $1 AND stage = 'champion'", [name])).rows[0]?.id;
      if (old) await c.query("UPDATE models SET stage = 'retired', retired_at = $1 WHERE id = $2", [at, old]);
      await c.query("UPDATE models SET stage = 'champion', promoted_at = $1, retired_at = NULL WHERE id = $2", [at, id]);
      await c.query("INSERT INTO model_stage_changes (name, model_id, action, at, note) VALUES ($1, $2, 'promote', $3, $4)", [name, id, at, note ?? null]);
      return old;
    });
    return { champion: summaryOf((await this.get(id))!), retired: old ? summaryOf((await this.get(old))!) : null };
  }

  async rollback(name: string, at: string): Promise<{ champion: ModelSummary; retired: ModelSummary }> {
    const ids = await inTransaction(this.pool, async (c) => {
      await lockFor(c, 'models', name);
      const line = await lineage(c, name);
      const current = line[line.length - 1];
      const stage = current ? (await c.query<{ stage: ModelStage }>('SELECT stage FROM models WHERE id = $1', [current])).rows[0]?.stage : undefined;
      if (!current || stage !== 'champion') throw modelNotFound(`champion of ${name}`);
      if (line.length < 2) throw nothingToRollBack(name);
      const previous = line[line.length - 2]!;
      await c.query("UPDATE models SET stage = 'retired', retired_at = $1 WHERE id = $2", [at, current]);
      await c.query("UPDATE models SET stage = 'champion', promoted_at = $1, retired_at = NULL WHERE id = $2", [at, previous]);
      await c.query("INSERT INTO model_stage_changes (name, model_id, action, at) VALUES ($1, $2, 'rollback', $3)", [name, previous, at]);
      return { current, previous };
    });
    return { champion: summaryOf((await this.get(ids.previous))!), retired: summaryOf((await this.get(ids.current))!) };
  }

  async history(name: string): Promise<StageChange[]> {
    const rows = (await this.pool.query<{ name: string; model_id: string; action: 'promote' | 'rollback'; at: string; note: string | null }>('SELECT name, model_id, action, at, note FROM model_stage_changes WHERE name = $1 ORDER BY seq', [name])).rows;
    return rows.map((r) => ({ name: r.name, modelId: r.model_id, action: r.action, at: r.at, note: r.note }));
  }

  async recordDriftCheck(check: DriftCheckRecord): Promise<void> {
    await this.pool.query('INSERT INTO model_drift_checks (model_id, checked_at, body) VALUES ($1, $2, $3)', [check.modelId, check.checkedAt, JSON.stringify(check)]);
  }

  async driftChecks(modelId: string, limit: number): Promise<DriftCheckRecord[]> {
    const rows = (await this.pool.query<{ body: string }>('SELECT body FROM model_drift_checks WHERE model_id = $1 ORDER BY seq DESC LIMIT $2', [modelId, limit])).rows;
    return rows.reverse().map((r) => JSON.parse(r.body) as DriftCheckRecord);
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}

/** The ids that have been champion, latest last: a promotion pushes, a rollback pops. */
async function lineage(c: PgClient, name: string): Promise<string[]> {
  const line: string[] = [];
  for (const r of (await c.query<{ model_id: string; action: string }>('SELECT model_id, action FROM model_stage_changes WHERE name = $1 ORDER BY seq', [name])).rows) {
    if (r.action === 'promote') line.push(r.model_id);
    else line.pop();
  }
  return line;
}

const toSummary = modelSummaryFromRow;
const toRecord = modelRecordFromRow;
