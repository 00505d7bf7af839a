/**
 * The CEL environment policies run in. Expressions are compiled once when the catalogue
 * is loaded; a syntax error names the field that holds it. An expression inside the
 * subset of celCompile.ts runs as JavaScript closures, with the cel-js interpreter as the
 * fallback for every value the closures do not handle, so results and errors are cel-js's.
 */
import { Environment } from '@marcbachmann/cel-js';
import { ValidationError } from '../core/errors.js';
import { compileExpression, type CelNode, type Compiled } from './celCompile.js';

const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

/** A compiled expression: call it with the variables of one decision. */
export type CelProgram = (vars: Record<string, unknown>) => unknown;

/** How a compiled expression runs: as closures (and how many runs fell back to the interpreter), or interpreted. */
export interface CelPath {
  readonly compiled: boolean;
  readonly fallbacks: number;
}

const paths = new WeakMap<CelProgram, { compiled: boolean; fallbacks: number }>();

/** How `program` runs; undefined for a function compileCel did not make. */
export function celPath(program: CelProgram): CelPath | undefined {
  return paths.get(program);
}

/** Compiles a CEL expression; throws VALIDATION_FAILED naming `field` when it does not parse. */
export function compileCel(expression: string, field: string): CelProgram {
  let interpret: (vars: Record<string, unknown>) => unknown;
  try {
    interpret = env.parse(expression);
  } catch (e) {
    const first = String((e as Error).message).split('\n')[0];
    throw new ValidationError([{ field, rule: 'cel', message: `does not compile: ${first}` }]);
  }
  const fast = closures(expression);
  const path = { compiled: fast !== undefined, fallbacks: 0 };
  const program: CelProgram = fast
    ? (vars) => {
        try {
          return fast(vars);
        } catch {
          // FALLBACK by design, or anything unforeseen: cel-js decides, so its value or error stands.
          path.fallbacks++;
          return interpret(vars);
        }
      }
    : (vars) => interpret(vars);
  paths.set(program, path);
  return program;
}

/**
 * The closure form of an expression, or undefined when it fails cel-js's type check (the
 * interpreter then reports that error on every run) or leaves the subset. It works on a
 * second parse because checking annotates the AST: the interpreter's copy stays as cel-js
 * leaves it.
 */
function closures(expression: string): Compiled | undefined {
  const copy = env.parse(expression);
  if (!copy.check().valid) return undefined;
  return compileExpression(copy.ast as unknown as CelNode, (name) => env.hasVariable(name));
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
