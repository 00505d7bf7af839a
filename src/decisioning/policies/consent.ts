/**
 * Consent: an action needs the customer's consent for every purpose it serves, then passes
 * the catalogue's consent rules. A marketing action needs `marketing` and
 * `personalised_offers` (the engine picks it from the customer's data, so it is a
 * personalised offer), plus any purposes the action lists (`third_party_sharing`,
 * `research`); service messages need none but those they list. Objecting to profiling is
 * honoured by scoring on priors only (decide.ts).
 */
import type { Action } from '../catalogue.js';
import type { CompiledRule } from '../compile.js';
import { rulesOfKind, screenRules } from './catalogueRules.js';
import { definePolicy, type BuiltInPolicy, type PolicyExclusion } from './policy.js';

interface Needed {
  purpose: string;
  withdrawn: Readonly<PolicyExclusion<'consent'>>;
  absent: Readonly<PolicyExclusion<'consent'>>;
}

interface Prepared {
  needs: readonly Needed[];
  rules: readonly CompiledRule[] | undefined;
}

/** Every consent purpose an action needs, in the order they are checked. */
export function purposesNeeded(a: Pick<Action, 'purpose' | 'consents'>): string[] {
  const out: string[] = a.purpose === 'service' ? [] : [a.purpose];
  if (a.purpose === 'marketing') out.push('personalised_offers');
  for (const p of a.consents) if (!out.includes(p)) out.push(p);
  return out;
}

const ofKind = rulesOfKind('consent');

export const consent: BuiltInPolicy<'consent', true> = definePolicy({
  kind: 'consent',
  catalogueRules: true,
  prepare: (a): Prepared | undefined => {
    const rules = ofKind(a);
    const needs = purposesNeeded(a.action).map((purpose) => ({
      purpose,
      withdrawn: Object.freeze({ kind: 'consent' as const, rule: `consent_${purpose}`, reason: `the customer has not given ${purpose} consent (withdrawn)` }),
      absent: Object.freeze({ kind: 'consent' as const, rule: `consent_${purpose}`, reason: `the customer has not given ${purpose} consent` }),
    }));
    if (needs.length === 0 && !rules) return undefined;
    return { needs, rules };
  },
  screen: (d) => {
    const rules = screenRules<'consent'>(d);
    const consents = d.inputs.consents;
    return (a, p) => {
      for (const n of p.needs) if (consents[n.purpose] !== true) return consents[n.purpose] === false ? n.withdrawn : n.absent;
      return p.rules ? rules(a, p.rules) : undefined;
    };
  },
});
