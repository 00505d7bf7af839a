/**
 * The decision record: everything needed to audit and replay one decision. Stored in
 * the decision log as JSON and kept as golden files, so it carries a format version.
 */
import type { ContactHistory } from '../store/contactStore.js';
import type { Levers } from './catalogue.js';
import type { Contribution, FeatureValues } from './scoring.js';
import type { CustomerView } from './view.js';

export const DECISION_FORMAT_VERSION = 1 as const;

export type { Exclusion, ExclusionKind } from './exclusion.js';
import type { Exclusion, ExclusionKind } from './exclusion.js';

export interface CandidateTrace {
  actionId: string;
  family: string;
  status: 'chosen' | 'ranked' | 'excluded';
  excludedBy?: Exclusion;
  propensity?: number;
  propensitySource?: 'model' | 'prior';
  modelVersion?: string;
  contextWeight?: number;
  value?: number;
  lever?: number;
  priority?: number;
  /** 1-based position among actions that passed every static policy. */
  rank?: number;
}

export interface ChosenAction {
  actionId: string;
  name: string;
  family: string;
  channel: string;
  rank: number;
  priority: number;
  propensity: number;
  headline: string;
  body: string;
  disclosure?: string;
  treatment: Record<string, string>;
}

export interface ReasonCode {
  code: string;
  text: string;
}

export interface Explanation {
  /** Every action that fell out, with the rule and the reason in plain words. */
  excluded: { actionId: string; kind: ExclusionKind; rule: string; reason: string }[];
  winner?: {
    actionId: string;
    reasonCodes: ReasonCode[];
    /** Top TreeSHAP contributions of the propensity model (empty on a prior). */
    topContributions: (Contribution & { label: string })[];
    customerSentence: string;
    targetedSupport?: { group: string; wording: string };
  };
}

/** What a decision was made from: with the catalogue version, enough to replay it. */
export interface DecisionInputs {
  customer: CustomerView;
  profile: FeatureValues;
  profileVersion: string | null;
  /** Customer-level scores (e.g. churn risk) rules may read as `scores.*`. */
  scores: Record<string, number>;
  consents: Record<string, boolean>;
  history: ContactHistory;
  context: Record<string, string | number | boolean>;
  sessionId: string | null;
}

export interface DecisionRecord {
  formatVersion: typeof DECISION_FORMAT_VERSION;
  decisionId: string;
  customerId: string;
  channel: string;
  n: number;
  decidedAt: string;
  catalogueVersion: string;
  levers: Levers;
  inputs: DecisionInputs;
  signals: Record<string, boolean>;
  /** Model version per action scored by a model. */
  models: Record<string, string>;
  candidates: CandidateTrace[];
  /** Capacity keys that were full when the decision was made (replay takes them as given). */
  capacityRefused: string[];
  chosen: ChosenAction[];
  explanation: Explanation;
}
