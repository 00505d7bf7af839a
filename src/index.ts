/** The package's public API: the engine, its config, and the schemas and types callers need. */
import type { Engine } from './engine.js';
import type { TrainRun, TrainRunOptions } from './training/index.js';

export { Engine, createEngine, type EngineDeps } from './engine.js';
export { DEFAULT_CATALOGUE } from './engine/parts.js';
export { readSimulatedClock, writeSimulatedClock, CLOCK_FILE } from './engine/dataDirClock.js';
export type { Config, ConfigInput } from './config.js';
export { loadConfig, parseConfig } from './config.js';
export type { IngestReport, ItemResult } from './ingest/pipeline.js';
export { precheckEventFile } from './ingest/files.js';
export { assertDataDirFree } from './store/sqlite/dataDirLock.js';
export { openApiKeyStore, openAuditLog } from './store/backends/index.js';
export { AuditTrail, verifyAuditChain, AUDIT_ACTIONS, type AuditEntry, type AuditAct, type ChainVerdict } from './governance/audit.js';
export type { CustomerExport } from './governance/privacy.js';
export { isLive, type ApiKeyStore, type ApiKeyRecord } from './store/apiKeyStore.js';
export type { UpsertResult } from './engine/customers.js';
export type { ConsumerStatus, ConsumerState } from './store/consumer.js';
export type { LogConsumer } from './store/consumer.js';
/** Publishes events to NATS JetStream (for producers and tests), partitioned by customer. */
export const publishEvents: typeof import('./ingest/natsSource.js').publishEvents = async (...args) => (await import('./ingest/natsSource.js')).publishEvents(...args);
/** Applies the PostgreSQL migrations and makes partitions ahead (`nextbest migrate`); loads the driver only when called. */
export const migratePostgres: typeof import('./store/postgres/admin.js').migratePostgres = async (...args) => (await import('./store/postgres/admin.js')).migratePostgres(...args);
export { decisionSummary, type DecisionSummary } from './decisioning/index.js';
export { DecisionRecordSchema, DecisionSummarySchema, LoggedDecisionSchema } from './decisioning/record.js';
export { DecisionSearchSchema, DecisionPageSchema, type DecisionSearch, type DecisionPage } from './decisioning/index.js';
export { OpeRequest as OpeRequestSchema, type OpeResult } from './decisioning/index.js';
export { ProfileSchema } from './features/profileSchema.js';
export { ProfileScoresSchema } from './training/scoresSchema.js';
export { Action as ActionSchema, Levers as LeversSchema, Catalogue as CatalogueSchema, catalogueYaml, DecideRequest as DecideRequestSchema, parseCatalogueYaml, type Catalogue, type Action, type Levers, type DecideRequest, type DecisionRecord, type ReplayResult } from './decisioning/index.js';
export { FeatureSet, BANK_PACK, loadFeatures, streamFeatureRows, buildFeatureMatrix, csvHeader, csvRow, type AsOfPair, type Profile, type FeatureInfo } from './features/index.js';
export { renderModelCard } from './governance/modelCard.js';
export type { DriftAlert, DriftCheckRun } from './governance/driftMonitor.js';
export type { ModelRecord, ModelSummary, ModelCard, ModelStage, DriftCheckRecord } from './store/modelRegistry.js';
export { MODEL_STAGES } from './store/modelRegistry.js';
export { MODEL_JOBS, type ProfileScores, type TrainRun, type TrainRunOptions } from './training/index.js';

/** Trains every model on the engine's log and promotes them (what `npm run demo` calls); returns the run. */
export async function trainAll(engine: Engine, options: TrainRunOptions = {}): Promise<TrainRun> {
  return engine.trainModels({ promote: true, ...options });
}
export { parseExperimentsYaml, renderExperimentReport, ExperimentSchema, UniversalControlSchema, type Experiment, type ExperimentRecord, type ExperimentResults, type FairnessReport, type OutcomeReport } from './experiments/index.js';
export type { ModelFairnessAudit } from './training/fairness.js';
export { Trigger as TriggerSchema, parseTriggerYaml, type Trigger, type TriggerInput, type TriggerFire, type FireRecord, type TriggerReplay, JOURNEY_STATUSES, type Journey, type JourneyStatus } from './triggers/index.js';
export { verifyWebhook, webhookSignature, DeliveryReceipt as DeliveryReceiptSchema, SIGNATURE_HEADER, TIMESTAMP_HEADER, IDEMPOTENCY_HEADER } from './channels/index.js';
export { OUTBOX_STATUSES, type OutboxEntry, type OutboxStatus } from './store/outbox.js';
export { WhatIfOptions as WhatIfOptionsSchema } from './simulation/whatIf.js';
