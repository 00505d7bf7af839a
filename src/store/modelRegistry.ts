import { NextbestError, ValidationError } from '../core/errors.js';

/**
 * The ModelRegistry port: every trained model with its version, the data it was trained
 * on, its features, parameters, metrics and model card, and its stage. One champion per
 * model name serves; candidates wait for promotion; a promoted model's predecessor is
 * retired and can be restored by a rollback.
 */

export const MODEL_STAGES = ['candidate', 'champion', 'retired'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

/** The slice of the event log a model learned from (ISO timestamps, from inclusive, to exclusive). */
export interface TrainingWindow {
  from: string;
  to: string;
}

/** A model card (Mitchell et al. 2019): what the model is for, what it saw, how good it is, where it fails. */
export interface ModelCard {
  title: string;
  intendedUse: string;
  outOfScope: string;
  /** consentExcluded: customers left out of training for an objection to profiling or a withheld training purpose. */
  data: { window: TrainingWindow; rows: number; positives?: number; label: string; split: string; consentExcluded?: number };
  features: { count: number; definitionsHash: string; names: string[] };
  metrics: Record<string, number | null>;
  limitations: string[];
  /** The fairness audit's statement (training/fairness.ts), else a note saying none was run. */
  fairness: string;
  /** The audit itself: per group of each protected attribute and intersection, with its flags. */
  fairnessAudit?: unknown;
  /** Federated models (src/federated): who took part, rows per participant, rounds, secure aggregation and privacy settings. */
  federation?: Record<string, unknown>;
}

/** What a training job hands to the registry. */
export interface NewModel {
  /** The model's role, e.g. `propensity`, `churn_cox` (one champion per name). */
  name: string;
  /** The learner: `gbdt`, `cox`, `kmeans`, `bgnbd_gamma_gamma`, `markov`. */
  kind: string;
  trainingWindow: TrainingWindow;
  features: string[];
  /** Hash of the feature definitions the model was trained with (FeatureSet.version). */
  definitionsHash: string;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  card: ModelCard;
  /** The model itself as JSON (e.g. the GBDT model format). */
  artefact: unknown;
  /** Reference distributions of features and score on the training window, for drift checks. */
  driftReference?: unknown;
  /** When it was registered (ISO). */
  createdAt: string;
}

/** A registered model without its artefact (listings). */
export interface ModelSummary {
  id: string;
  name: string;
  version: number;
  kind: string;
  stage: ModelStage;
  createdAt: string;
  promotedAt: string | null;
  retiredAt: string | null;
  trainingWindow: TrainingWindow;
  features: string[];
  definitionsHash: string;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  card: ModelCard;
}

/** A registered model with everything needed to serve it. */
export interface ModelRecord extends ModelSummary {
  artefact: unknown;
  driftReference: unknown;
}

/** One change of champion, for the audit trail. */
export interface StageChange {
  name: string;
  modelId: string;
  action: 'promote' | 'rollback';
  at: string;
  /** Why the change was allowed (the promotion checks, or the reason a person forced it); null when none was given. */
  note: string | null;
}

/**
 * One drift check of one model as kept for "drift over time": the PSI of its score and of
 * each feature, the calibration gap, and whether it counted as drifted. No customer data.
 */
export interface DriftCheckRecord {
  modelId: string;
  checkedAt: string;
  rows: number;
  scorePsi: number;
  /** PSI per feature. */
  features: Record<string, number>;
  /** Expected calibration error in the window, when the model had a calibration reference. */
  ece: number | null;
  drifted: boolean;
  reasons: string[];
}

export interface ModelRegistry {
  /** Stores a new version of `name` as a candidate; versions count up from 1 per name. */
  register(model: NewModel): Promise<ModelRecord>;
  get(id: string): Promise<ModelRecord | undefined>;
  /** Summaries, newest first, optionally of one name or stage. */
  list(filter?: { name?: string; stage?: ModelStage }): Promise<ModelSummary[]>;
  /** The serving model of a name, if any. */
  champion(name: string): Promise<ModelRecord | undefined>;
  /** Makes a candidate (or retired model) the champion of its name; the old champion is retired. `note` is kept in the history. */
  promote(id: string, at: string, note?: string): Promise<{ champion: ModelSummary; retired: ModelSummary | null }>;
  /** Retires the champion of `name` and restores the one it replaced. */
  rollback(name: string, at: string): Promise<{ champion: ModelSummary; retired: ModelSummary }>;
  /** Promotions and rollbacks of `name`, oldest first. */
  history(name: string): Promise<StageChange[]>;
  /** Keeps the outcome of a drift check (the scheduled monitor and `POST /v1/drift/check` call it). */
  recordDriftCheck(check: DriftCheckRecord): Promise<void>;
  /** A model's drift checks, oldest first, the most recent `limit`. */
  driftChecks(modelId: string, limit: number): Promise<DriftCheckRecord[]>;
  close(): Promise<void>;
}

/** The id of a model version: `name@version`. */
export const modelId = (name: string, version: number) => `${name}@${version}`;

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Checks what a training job registers; throws a ValidationError naming the field. */
export function checkNewModel(m: NewModel): void {
  const issues = [];
  if (!NAME.test(m.name)) issues.push({ field: 'name', rule: 'snake_case', message: 'must be snake_case, 1-64 characters' });
  if (!m.kind) issues.push({ field: 'kind', rule: 'required', message: 'must name the learner' });
  if (!(Date.parse(m.trainingWindow.from) < Date.parse(m.trainingWindow.to))) issues.push({ field: 'trainingWindow', rule: 'ordered', message: 'from must be an ISO time before to' });
  if (!Number.isFinite(Date.parse(m.createdAt))) issues.push({ field: 'createdAt', rule: 'iso_time', message: 'must be an ISO timestamp' });
  if (m.artefact === undefined) issues.push({ field: 'artefact', rule: 'required', message: 'the model itself is missing' });
  if (issues.length > 0) throw new ValidationError(issues);
}

/** The error for an unknown model id or name. */
export function modelNotFound(what: string): NextbestError {
  return new NextbestError('NOT_FOUND', `no model ${what}`, { model: what });
}

/** The error for promoting a model that already serves. */
export function alreadyChampion(id: string): ValidationError {
  return new ValidationError([{ field: 'id', rule: 'not_champion', message: `${id} is already the champion` }]);
}

/** The error for a rollback with nothing to go back to. */
export function nothingToRollBack(name: string): ValidationError {
  return new ValidationError([{ field: 'name', rule: 'has_previous_champion', message: `${name} has no earlier champion to roll back to` }]);
}

/** A record without its artefact. */
export function summaryOf(r: ModelRecord): ModelSummary {
  const { artefact: _a, driftReference: _d, ...summary } = r;
  return summary;
}

/** A model as both SQL adapters store it: the summary's fields as columns, the rest as JSON text. */
export interface ModelRow {
  id: string;
  name: string;
  version: number;
  stage: ModelStage;
  created_at: string;
  promoted_at: string | null;
  retired_at: string | null;
  meta: string;
  artefact?: string;
  drift_reference?: string;
}

export type ModelMeta = Pick<ModelSummary, 'kind' | 'trainingWindow' | 'features' | 'definitionsHash' | 'params' | 'metrics' | 'card'>;

/** A stored row as the port's summary. */
export function modelSummaryFromRow(row: ModelRow): ModelSummary {
  const meta = JSON.parse(row.meta) as ModelMeta;
  return { id: row.id, name: row.name, version: row.version, stage: row.stage, createdAt: row.created_at, promotedAt: row.promoted_at, retiredAt: row.retired_at, ...meta };
}

/** A stored row (selected with its artefact and drift reference) as the port's record. */
export function modelRecordFromRow(row: ModelRow): ModelRecord {
  return { ...modelSummaryFromRow(row), artefact: JSON.parse(row.artefact!), driftReference: JSON.parse(row.drift_reference!) };
}
