/**
 * Scope: a decision asked for among some actions or families only (`only` in the request —
 * a trigger's `consider`) leaves the rest of the catalogue out, first, with the reason.
 * Without `only` it checks nothing and costs nothing.
 */
import { definePolicy, type BuiltInPolicy, type PolicyExclusion } from './policy.js';

const OUTSIDE: Readonly<PolicyExclusion<'scope'>> = Object.freeze({ kind: 'scope', rule: 'only', reason: 'not among the actions or families this decision was asked about' });

export const scope: BuiltInPolicy<'scope', false> = definePolicy({
  kind: 'scope',
  catalogueRules: false,
  screen: (d) => {
    const only = d.inputs.only;
    if (!only) return undefined;
    const actions = new Set(only.actions);
    const families = new Set(only.families);
    return (a) => (actions.has(a.action.id) || families.has(a.action.family) ? undefined : OUTSIDE);
  },
});
