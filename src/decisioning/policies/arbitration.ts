/** Arbitration: an action whose take-up chance is below the catalogue's floor is not offered (a contact the customer will not want costs goodwill). */
import { definePolicy, type BuiltInPolicy } from './policy.js';

export const arbitration: BuiltInPolicy<'arbitration', false> = definePolicy({
  kind: 'arbitration',
  catalogueRules: false,
  rank: (d) => {
    const floor = d.cat.catalogue.arbitration.minPropensity;
    return (_a, propensity) =>
      propensity < floor ? { kind: 'arbitration', rule: 'min_propensity', reason: `take-up chance ${(100 * propensity).toFixed(1)}% is below the ${(100 * floor).toFixed(1)}% floor` } : undefined;
  },
});
