/**
 * Arbitration: an action whose take-up chance is below the catalogue's floor is not offered
 * (a contact the customer will not want costs goodwill), and "no action" is an option worth
 * £0: an action whose expected net value (value less contact, fatigue and harm costs) is not
 * above it loses to doing nothing, and the trace says so.
 */
import { definePolicy, type BuiltInPolicy } from './policy.js';

const gbp = (x: number) => `${x < 0 ? '-' : ''}£${Math.abs(x).toFixed(2)}`;

export const arbitration: BuiltInPolicy<'arbitration', false> = definePolicy({
  kind: 'arbitration',
  catalogueRules: false,
  rank: (d) => {
    const floor = d.cat.catalogue.arbitration.minPropensity;
    return (_a, propensity, net) => {
      if (propensity < floor) return { kind: 'arbitration', rule: 'min_propensity', reason: `take-up chance ${(100 * propensity).toFixed(1)}% is below the ${(100 * floor).toFixed(1)}% floor` };
      if (!(net > 0)) return { kind: 'arbitration', rule: 'no_action', reason: `expected net value ${gbp(net)} is not above doing nothing (£0.00)` };
      return undefined;
    };
  },
});
