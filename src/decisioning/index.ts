/** Next-best-action decisioning: catalogue, policies, scoring, arbitration, explanation, audit. */
export * from './catalogue.js';
export { compileCatalogue, catalogueVersion, type CompiledCatalogue, type CompiledAction, type ActionVars } from './compile.js';
export { evaluate, select, capsFor, capacityFor, type Evaluation } from './decide.js';
export { explain, targetedSupportGroup } from './explain.js';
export { GbdtScorer, FeatureRows, priorOnly, type PropensityScorer, type PropensityModel, type PropensityScore, type Contribution, type FeatureValues } from './scoring.js';
export { Decisioning, DecideRequest, decisionSummary, replayRecord, type DecisionSummary, type DecisioningDeps, type DecisionDelivery, type ProfileSource, type ReplayResult } from './service.js';
export { CATALOGUE_REFRESH_MS, type CatalogueEdit, type CatalogueSync } from './catalogueVersions.js';
export * from './trace.js';
export { customerView, consentsInForce, localTime, type CustomerView } from './view.js';
export { KeyedMutex } from './mutex.js';
export { DecisionSearchSchema, DecisionPageSchema, DecisionListItemSchema, type DecisionSearch, type DecisionPage } from './search.js';
export { BanditSettings, decisionSeed, type BanditSettingsInput, type BanditTrace } from './bandit.js';
export { OpeRequest, parseOpeRequest, evaluateCandidate, type OpeResult, type LoggedOutcome, type OpeRoundHook } from './ope.js';
