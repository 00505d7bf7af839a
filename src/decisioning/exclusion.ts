/** Why an action fell out of a decision: the kinds are the built-in policy kinds of policies/index.ts. */
import type { ExclusionKind } from './policies/index.js';
import type { PolicyExclusion } from './policies/policy.js';

export type { ExclusionKind };

/** The trace entry of an excluded action: its kind, the rule, the reason in plain words, and a rule's run-time error. */
export type Exclusion = PolicyExclusion<ExclusionKind>;
