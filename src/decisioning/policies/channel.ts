/** Channel: an action goes out only on a channel it has a treatment for. */
import { definePolicy, type BuiltInPolicy, type PolicyExclusion } from './policy.js';

export const channel: BuiltInPolicy<'channel', false> = definePolicy({
  kind: 'channel',
  catalogueRules: false,
  // One frozen exclusion per channel asked about, built on first use.
  prepare: () => new Map<string, Readonly<PolicyExclusion<'channel'>>>(),
  screen: (d) => (a, noTreatment) => {
    if (d.channel in a.action.treatments) return undefined;
    let e = noTreatment.get(d.channel);
    if (!e) noTreatment.set(d.channel, (e = Object.freeze({ kind: 'channel', rule: 'treatment', reason: `has no treatment for the ${d.channel} channel` })));
    return e;
  },
});
