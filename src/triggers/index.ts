/**
 * Triggers: the moments that make the bank act now (a large deposit, financial stress,
 * declining activity, a quiet spell, a life event). Definitions (definition.ts), a pure
 * evaluator (evaluate.ts) and the log consumer that asks decisioning for a decision on the
 * customer's channel (consumer.ts). Ready-made triggers: catalogue/triggers.yaml.
 */
export * from './definition.js';
export * from './evaluate.js';
export * from './fireLog.js';
export * from './consumer.js';
export { readingKeys, ALL_READINGS, type ReadingKeys } from './readingKeys.js';
export { SqliteFireLog } from './sqliteFireLog.js';
export { replayTriggers, type TriggerReplay } from './replay.js';
export { TriggerBook, MemoryTriggerRows, SqliteTriggerRows, type TriggerRows } from './triggerStore.js';
export { JourneyConsumer, MemoryJourneyStore, JOURNEY_STATUSES, type StepEvent, type JourneyFacts, type Journey, type JourneyStatus, type JourneyStore, type FollowUp, type JourneyDecide } from './journeys.js';
export { SqliteJourneyStore } from './sqliteJourneyStore.js';
export { PgFireLog, PgJourneyStore, PgTriggerRows } from './pgTriggerState.js';
