/** Applicability: does the action fit this customer's situation (holds it already, no idle cash)? The catalogue's applicability rules. */
import { rulesOfKind, screenRules } from './catalogueRules.js';
import { definePolicy, type BuiltInPolicy } from './policy.js';

export const applicability: BuiltInPolicy<'applicability', true> = definePolicy({
  kind: 'applicability',
  catalogueRules: true,
  prepare: rulesOfKind('applicability'),
  screen: (d) => screenRules<'applicability'>(d),
});
