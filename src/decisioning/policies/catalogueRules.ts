/**
 * The catalogue's own CEL rules of one kind, run in the order the action lists them. A
 * rule that does not read `action` is run once per decision (its memo slot); a rule that
 * fails at run time or over budget fails closed with the reason in the trace.
 */
import { evaluatePredicate, type PredicateOutcome } from '../../rules/index.js';
import type { CompiledAction, CompiledRule } from '../compile.js';
import type { DecisionScope, PolicyExclusion } from './policy.js';

/** The action's catalogue rules of `kind`, worked out when the catalogue is compiled; undefined when it has none. */
export function rulesOfKind(kind: string): (a: CompiledAction) => readonly CompiledRule[] | undefined {
  return (a) => {
    const rules = a.rules.filter((r) => r.kind === kind);
    return rules.length > 0 ? rules : undefined;
  };
}

/** Screens an action on its catalogue rules of one kind: the first that does not pass excludes it. */
export function screenRules<K extends string>(d: DecisionScope) {
  const { vars, memo } = d;
  return (_a: CompiledAction, rules: readonly CompiledRule[]): Readonly<PolicyExclusion<K>> | undefined => {
    for (const r of rules) {
      const out = r.memo < 0 ? evaluatePredicate(r.program, vars) : (memo[r.memo] ??= evaluatePredicate(r.program, vars));
      if (!out.pass) return (out.error ? { kind: r.kind, rule: r.name, reason: r.reason, error: out.error } : r.exclusion) as Readonly<PolicyExclusion<K>>;
    }
    return undefined;
  };
}

export type { PredicateOutcome };
