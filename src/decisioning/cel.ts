/**
 * The CEL environment policies run in. Expressions are compiled once when the catalogue
 * is loaded; a syntax error names the field that holds it.
 */
import { Environment } from '@marcbachmann/cel-js';
import { ValidationError } from '../core/errors.js';

const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

/** A compiled expression: call it with the variables of one decision. */
export type CelProgram = (vars: Record<string, unknown>) => unknown;

/** Compiles a CEL expression; throws VALIDATION_FAILED naming `field` when it does not parse. */
export function compileCel(expression: string, field: string): CelProgram {
  try {
    const program = env.parse(expression);
    return (vars) => program(vars);
  } catch (e) {
    const first = String((e as Error).message).split('\n')[0];
    throw new ValidationError([{ field, rule: 'cel', message: `does not compile: ${first}` }]);
  }
}

/** Whether an expression reads the `action` variable (else it is evaluated once per decision). */
export function readsAction(expression: string): boolean {
  return /(^|[^A-Za-z0-9_.])action\./.test(expression);
}

/**
 * Runs a compiled rule. A rule that fails at run time (a missing key, a type mismatch)
 * counts as not passed, and the error is kept for the audit: policies fail closed.
 */
export function runRule(program: CelProgram, vars: Record<string, unknown>): { pass: boolean; error?: string } {
  try {
    const v = program(vars);
    if (typeof v === 'boolean') return { pass: v };
    return { pass: false, error: `rule returned ${typeof v}, not a boolean` };
  } catch (e) {
    return { pass: false, error: String((e as Error).message).split('\n')[0] };
  }
}

/** Runs a number-valued expression (context weight); errors and non-numbers give the neutral 1. */
export function runNumber(program: CelProgram, vars: Record<string, unknown>): number {
  try {
    const v = program(vars);
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
    if (typeof v === 'bigint' && v >= 0n) return Number(v);
    return 1;
  } catch {
    return 1;
  }
}
