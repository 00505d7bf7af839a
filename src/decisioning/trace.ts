/**
 * The decision record: everything needed to audit and replay one decision. Stored in
 * the decision log as JSON and kept as golden files, so it carries a format version.
 * The types come from the zod schemas in record.ts, which also document the API.
 */
import type { z } from 'zod';
import type { CandidateTraceSchema, ChosenActionSchema, DecisionInputsSchema, DecisionRecordSchema, ExplanationSchema, ReasonCodeSchema } from './record.js';

export { DECISION_FORMAT_VERSION } from './record.js';
export type { Exclusion, ExclusionKind } from './exclusion.js';

export type CandidateTrace = z.infer<typeof CandidateTraceSchema>;
export type ChosenAction = z.infer<typeof ChosenActionSchema>;
export type ReasonCode = z.infer<typeof ReasonCodeSchema>;
export type Explanation = z.infer<typeof ExplanationSchema>;
/** What a decision was made from: with the catalogue version, enough to replay it. */
export type DecisionInputs = z.infer<typeof DecisionInputsSchema>;
export type DecisionRecord = z.infer<typeof DecisionRecordSchema>;
