export { openExperiments } from './open.js';
export { Experiments, type ExperimentRecord } from './service.js';
export { experimentForDecision, UNIVERSAL_CONTROL_ID, type DecisionExperiment, type ExperimentTag } from './decide.js';
export { ExperimentSchema, ArmSchema, UniversalControlSchema, parseExperiment, parseExperimentsYaml, toAssignmentPlan, controlArm, type Experiment, type ExperimentInput, type Arm, type UniversalControl } from './definition.js';
export * from './assignment.js';
export { resultsFromLog, exposureOf } from './fromLog.js';
export { experimentResults, DAILY_WINDOW_DAYS, type ExperimentResults, type ArmResult, type ArmComparison, type DailyLook } from './results.js';
export { customerOutcomes, type CustomerOutcome, type ExposureDecision } from './outcomes.js';
export { renderExperimentReport } from './reportHtml.js';
