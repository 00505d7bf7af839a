/** Validity: an action is offered only between its validFrom and validTo dates (UTC days, inclusive). */
import { definePolicy, type BuiltInPolicy, type PolicyExclusion } from './policy.js';

export const validity: BuiltInPolicy<'validity', false> = definePolicy({
  kind: 'validity',
  catalogueRules: false,
  prepare: (a): Readonly<PolicyExclusion<'validity'>> | undefined =>
    a.action.validFrom === undefined && a.action.validTo === undefined
      ? undefined
      : Object.freeze({ kind: 'validity', rule: 'valid_dates', reason: `not on offer on this date (valid ${a.action.validFrom ?? '…'} to ${a.action.validTo ?? '…'})` }),
  screen: (d) => (a, outOfDates) => (d.now < a.validFromMs || d.now >= a.validToMs ? outOfDates : undefined),
});
