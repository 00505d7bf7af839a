/** Suitability: would it be right for this customer (financial stress, vulnerability, risk tolerance)? The catalogue's suitability rules. */
import { rulesOfKind, screenRules } from './catalogueRules.js';
import { definePolicy, type BuiltInPolicy } from './policy.js';

export const suitability: BuiltInPolicy<'suitability', true> = definePolicy({
  kind: 'suitability',
  catalogueRules: true,
  prepare: rulesOfKind('suitability'),
  screen: (d) => screenRules<'suitability'>(d),
});
