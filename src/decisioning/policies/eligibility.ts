/** Eligibility: may the bank offer this product to this customer at all (age, residence, existing holdings)? The catalogue's eligibility rules. */
import { rulesOfKind, screenRules } from './catalogueRules.js';
import { definePolicy, type BuiltInPolicy } from './policy.js';

export const eligibility: BuiltInPolicy<'eligibility', true> = definePolicy({
  kind: 'eligibility',
  catalogueRules: true,
  prepare: rulesOfKind('eligibility'),
  screen: (d) => screenRules<'eligibility'>(d),
});
