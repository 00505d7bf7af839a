import {
  alreadyChampion,
  checkNewModel,
  modelId,
  modelNotFound,
  nothingToRollBack,
  summaryOf,
  type ModelRecord,
  type ModelRegistry,
  type ModelStage,
  type ModelSummary,
  type NewModel,
  type StageChange,
  type DriftCheckRecord,
} from '../modelRegistry.js';

/** The registry in memory (tests, `store: memory`). Records are deep-copied in and out. */
export class MemoryModelRegistry implements ModelRegistry {
  private readonly models = new Map<string, ModelRecord>();
  private readonly changes: StageChange[] = [];
  private readonly drift: DriftCheckRecord[] = [];
  /** Per name, the ids that have been champion, latest last (rollbacks pop). */
  private readonly lineage = new Map<string, string[]>();

  async register(model: NewModel): Promise<ModelRecord> {
    checkNewModel(model);
    let version = 1;
    for (const m of this.models.values()) if (m.name === model.name) version = Math.max(version, m.version + 1);
    const record: ModelRecord = {
      id: modelId(model.name, version),
      name: model.name,
      version,
      kind: model.kind,
      stage: 'candidate',
      createdAt: model.createdAt,
      promotedAt: null,
      retiredAt: null,
      trainingWindow: model.trainingWindow,
      features: model.features,
      definitionsHash: model.definitionsHash,
      params: model.params,
      metrics: model.metrics,
      card: model.card,
      artefact: model.artefact,
      driftReference: model.driftReference ?? null,
    };
    this.models.set(record.id, structuredClone(record));
    return structuredClone(record);
  }

  async get(id: string): Promise<ModelRecord | undefined> {
    const m = this.models.get(id);
    return m ? structuredClone(m) : undefined;
  }

  async list(filter: { name?: string; stage?: ModelStage } = {}): Promise<ModelSummary[]> {
    return [...this.models.values()]
      .filter((m) => (filter.name === undefined || m.name === filter.name) && (filter.stage === undefined || m.stage === filter.stage))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.name.localeCompare(b.name) || b.version - a.version)
      .map((m) => structuredClone(summaryOf(m)));
  }

  async champion(name: string): Promise<ModelRecord | undefined> {
    for (const m of this.models.values()) if (m.name === name && m.stage === 'champion') return structuredClone(m);
    return undefined;
  }

  async promote(id: string, at: string, note?: string): Promise<{ champion: ModelSummary; retired: ModelSummary | null }> {
    const m = this.models.get(id);
    if (!m) throw modelNotFound(id);
    if (m.stage === 'champion') throw alreadyChampion(id);
    let retired: ModelRecord | null = null;
    for (const other of this.models.values()) {
      if (other.name === m.name && other.stage === 'champion') {
        other.stage = 'retired';
        other.retiredAt = at;
        retired = other;
      }
    }
    m.stage = 'champion';
    m.promotedAt = at;
    m.retiredAt = null;
    const line = this.lineage.get(m.name) ?? [];
    line.push(id);
    this.lineage.set(m.name, line);
    this.changes.push({ name: m.name, modelId: id, action: 'promote', at, note: note ?? null });
    return { champion: structuredClone(summaryOf(m)), retired: retired ? structuredClone(summaryOf(retired)) : null };
  }

  async rollback(name: string, at: string): Promise<{ champion: ModelSummary; retired: ModelSummary }> {
    const line = this.lineage.get(name) ?? [];
    const current = line.length > 0 ? this.models.get(line[line.length - 1]!) : undefined;
    if (!current || current.stage !== 'champion') throw modelNotFound(`champion of ${name}`);
    if (line.length < 2) throw nothingToRollBack(name);
    line.pop();
    const previous = this.models.get(line[line.length - 1]!)!;
    current.stage = 'retired';
    current.retiredAt = at;
    previous.stage = 'champion';
    previous.promotedAt = at;
    previous.retiredAt = null;
    this.changes.push({ name, modelId: previous.id, action: 'rollback', at, note: null });
    return { champion: structuredClone(summaryOf(previous)), retired: structuredClone(summaryOf(current)) };
  }

  async history(name: string): Promise<StageChange[]> {
    return this.changes.filter((c) => c.name === name).map((c) => ({ ...c }));
  }

  async recordDriftCheck(check: DriftCheckRecord): Promise<void> {
    this.drift.push(structuredClone(check));
  }

  async driftChecks(modelId: string, limit: number): Promise<DriftCheckRecord[]> {
    return this.drift.filter((d) => d.modelId === modelId).slice(-limit).map((d) => structuredClone(d));
  }

  async close(): Promise<void> {}
}
