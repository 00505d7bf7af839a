/**
 * Running a compiled rule, with the failure semantics written down once (docs/decisioning.md
 * "Rules" repeats them):
 *
 * - **predicate** — passes only when the rule gives `true`. `false`, any other value, a
 *   run-time error (a missing key, a type mismatch) and a run over budget all fail: rules
 *   fail closed. The reason is kept (`error`) for the audit, except for a plain `false`.
 * - **number** — a double or an int as a JavaScript number, a bool as 1 or 0. Anything else
 *   (a string, null, NaN or ±∞, an error, a run over budget) is no number: NaN, and the
 *   caller says what stands in for it (a context weight is neutral 1, a derived feature
 *   is missing).
 * - **value** — whatever the rule gives; an error or a run over budget gives undefined.
 *
 * A run over budget is also counted on the program (rulePath().overBudget) and reported
 * to the listener set with onRuleOverBudget, so it can be logged without personal data.
 */
import { RuleBudgetExceeded } from './cost.js';
import type { RuleProgram } from './compile.js';

/** The outcome of a predicate: passed, or not and why. */
export interface PredicateOutcome {
  pass: boolean;
  /** Why the rule did not pass when it did not simply give false. */
  error?: string;
}

let overBudgetListener: ((program: RuleProgram, error: RuleBudgetExceeded) => void) | undefined;

/** Sets the one listener told of every run stopped over budget (the engine logs it); undefined removes it. */
export function onRuleOverBudget(listener: ((program: RuleProgram, error: RuleBudgetExceeded) => void) | undefined): void {
  overBudgetListener = listener;
}

function failure(program: RuleProgram, e: unknown): string {
  if (e instanceof RuleBudgetExceeded) overBudgetListener?.(program, e);
  return String((e as Error)?.message).split('\n')[0]!;
}

/** Runs a rule as a predicate: true passes; anything else fails closed, with the reason. */
export function evaluatePredicate(program: RuleProgram, vars: Record<string, unknown>): PredicateOutcome {
  try {
    const v = program(vars);
    if (typeof v === 'boolean') return { pass: v };
    return { pass: false, error: `rule returned ${typeof v}, not a boolean` };
  } catch (e) {
    return { pass: false, error: failure(program, e) };
  }
}

/** Whether a rule passes as a predicate (the reason dropped): for filters over events. */
export function passes(program: RuleProgram, vars: Record<string, unknown>): boolean {
  try {
    return program(vars) === true;
  } catch (e) {
    failure(program, e);
    return false;
  }
}

/** Runs a rule for a number: doubles and ints as numbers, bools as 1 or 0, anything else NaN. */
export function evaluateNumber(program: RuleProgram, vars: Record<string, unknown>): number {
  try {
    const v = program(vars);
    if (typeof v === 'number') return Number.isFinite(v) ? v : Number.NaN;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'boolean') return v ? 1 : 0;
    return Number.NaN;
  } catch (e) {
    failure(program, e);
    return Number.NaN;
  }
}

/** Runs a rule for its value; an error or a run over budget gives undefined. */
export function evaluateValue(program: RuleProgram, vars: Record<string, unknown>): unknown {
  try {
    return program(vars);
  } catch (e) {
    failure(program, e);
    return undefined;
  }
}
