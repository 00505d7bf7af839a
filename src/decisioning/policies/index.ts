/**
 * The built-in policy kinds, in the order a decision runs them. The first kind that objects
 * to an action names its exclusion, so the order is part of the decision: the checks that
 * need nothing but the action and the request first, the customer's consent before any rule
 * about the customer, contact rules last before scoring, then the floor on take-up and the
 * limits that depend on what else is chosen. The trace's exclusion kinds and the kinds a
 * catalogue rule may have are read from this list.
 *
 * To add a kind: one file beside this one exporting `definePolicy({...})`, and one line here.
 */
import { applicability } from './applicability.js';
import { arbitration } from './arbitration.js';
import { channel } from './channel.js';
import { consent } from './consent.js';
import { contact } from './contact.js';
import { eligibility } from './eligibility.js';
import { scope } from './scope.js';
import { suitability } from './suitability.js';
import { validity } from './validity.js';
import { volume } from './volume.js';
import type { BuiltInPolicy } from './policy.js';

export const POLICIES = [
  scope,
  validity,
  channel,
  consent,
  eligibility,
  applicability,
  suitability,
  contact,
  arbitration,
  volume,
] as const satisfies readonly BuiltInPolicy[];

/** Why an action fell out of a decision: one of the policy kinds. */
export type ExclusionKind = (typeof POLICIES)[number]['kind'];

/** The kinds a catalogue rule may have (the policy kinds that run catalogue rules), in list order. */
export type RuleKind = Extract<(typeof POLICIES)[number], { catalogueRules: true }>['kind'];
export const RULE_KINDS = POLICIES.filter((p) => p.catalogueRules).map((p) => p.kind) as [RuleKind, ...RuleKind[]];

export { capsFor } from './contact.js';
export { capacityFor } from './volume.js';
export type { BuiltInPolicy, DecisionScope, PolicyExclusion, SelectionScope } from './policy.js';
