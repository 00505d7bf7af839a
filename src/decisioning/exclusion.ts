/** Why an action fell out of a decision (a leaf module: the compiled catalogue prebuilds these). */
import type { ExclusionKind } from './policies/index.js';
import type { PolicyExclusion } from './policies/policy.js';

/** Why an action fell out: one of the built-in policy kinds, in the order of policies/index.ts. */
export type { ExclusionKind };

export type Exclusion = PolicyExclusion<ExclusionKind>;
