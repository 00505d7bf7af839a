/**
 * Consent: an action needs the customer's consent for its purpose (service messages need
 * none), then passes the catalogue's consent rules.
 */
import type { CompiledRule } from '../compile.js';
import { rulesOfKind, screenRules } from './catalogueRules.js';
import { definePolicy, type BuiltInPolicy, type PolicyExclusion } from './policy.js';

interface Prepared {
  withdrawn: Readonly<PolicyExclusion<'consent'>>;
  absent: Readonly<PolicyExclusion<'consent'>>;
  rules: readonly CompiledRule[] | undefined;
}

const ofKind = rulesOfKind('consent');

export const consent: BuiltInPolicy<'consent', true> = definePolicy({
  kind: 'consent',
  catalogueRules: true,
  prepare: (a): Prepared | undefined => {
    const rules = ofKind(a);
    if (a.action.purpose === 'service' && !rules) return undefined;
    return {
      withdrawn: Object.freeze({ kind: 'consent', rule: `consent_${a.action.purpose}`, reason: `the customer has not given ${a.action.purpose} consent (withdrawn)` }),
      absent: Object.freeze({ kind: 'consent', rule: `consent_${a.action.purpose}`, reason: `the customer has not given ${a.action.purpose} consent` }),
      rules,
    };
  },
  screen: (d) => {
    const rules = screenRules<'consent'>(d);
    const consents = d.inputs.consents;
    return (a, p) => {
      const purpose = a.action.purpose;
      if (purpose !== 'service' && consents[purpose] !== true) return consents[purpose] === false ? p.withdrawn : p.absent;
      return p.rules ? rules(a, p.rules) : undefined;
    };
  },
});
