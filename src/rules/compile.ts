/**
 * Compiling a rule: parsed once in its environment, refused when it does not parse or costs
 * too much (cost.ts), and made into a program. An expression inside the subset of
 * closures.ts runs as JavaScript closures, with the cel-js interpreter as the fallback for
 * every value the closures do not handle, so results and errors are cel-js's. The
 * interpreter's tree is metered: a run that spends its budget throws RuleBudgetExceeded.
 * Closures never loop, so they need no meter.
 */
import { ValidationError } from '../core/errors.js';
import type { AstNode } from './ast.js';
import { compileExpression, type CelNode, type Compiled } from './closures.js';
import { costIssues, meterTree, RuleBudgetExceeded, type Meter } from './cost.js';
import { ruleEnvironment, type NamedRuleEnvironment, type RuleEnvironment, type RuleEnvironmentName } from './environments.js';
import { readsOf, type RuleReads } from './reads.js';

/** A compiled rule: call it with the variables of one evaluation; it throws what cel-js throws, or RuleBudgetExceeded. */
export type RuleProgram = (vars: Record<string, unknown>) => unknown;

/** How a compiled rule runs: as closures (and how many runs fell back to the interpreter), or interpreted; how many runs it stopped over budget. */
export interface RulePath {
  readonly compiled: boolean;
  readonly fallbacks: number;
  readonly overBudget: number;
}

interface Facts {
  compiled: boolean;
  fallbacks: number;
  overBudget: number;
  reads: RuleReads;
  environment: RuleEnvironmentName;
}

const facts = new WeakMap<RuleProgram, Facts>();

/** How `program` runs; undefined for a function compileRule did not make. */
export function rulePath(program: RuleProgram): RulePath | undefined {
  return facts.get(program);
}

/** What `program` reads; undefined for a function compileRule did not make. */
export function ruleReads(program: RuleProgram): RuleReads | undefined {
  return facts.get(program)?.reads;
}

/**
 * Compiles a rule in an environment. Throws VALIDATION_FAILED naming `field` when it does not
 * parse (rule `cel`) or when it is over the environment's limits (`cel_nesting`, `cel_regex`,
 * `cel_cost`): a rule that could stall a decision is refused when it is saved.
 */
export function compileRule(expression: string, environment: NamedRuleEnvironment | RuleEnvironment, field: string): RuleProgram {
  const env = typeof environment === 'string' ? ruleEnvironment(environment) : environment;
  let interpret: ((vars: Record<string, unknown>) => unknown) & { ast: unknown };
  try {
    interpret = env.cel.parse(expression);
  } catch (e) {
    const first = String((e as Error).message).split('\n')[0];
    throw new ValidationError([{ field, rule: 'cel', message: `does not compile: ${first}` }]);
  }
  const tree = interpret.ast as AstNode;
  const issues = costIssues(tree, env.limits, field);
  if (issues.length > 0) throw new ValidationError(issues);
  const meter: Meter = { left: 0 };
  const exhausted = new RuleBudgetExceeded(env.limits.runBudget);
  meterTree(tree, meter, exhausted);
  const budget = env.limits.runBudget;
  const f: Facts = { compiled: false, fallbacks: 0, overBudget: 0, reads: readsOf(tree), environment: env.name };
  const interpreted = (vars: Record<string, unknown>): unknown => {
    meter.left = budget;
    let v: unknown;
    try {
      v = interpret(vars);
    } catch (e) {
      if (meter.left < 0) {
        f.overBudget++;
        throw exhausted;
      }
      throw e;
    }
    // CEL's `error || true` is true: a run that spent its budget still fails, whatever it gave.
    if (meter.left < 0) {
      f.overBudget++;
      throw exhausted;
    }
    return v;
  };
  const fast = closures(env, expression);
  f.compiled = fast !== undefined;
  const program: RuleProgram = fast
    ? (vars) => {
        try {
          return fast(vars);
        } catch {
          // FALLBACK by design, or anything unforeseen: cel-js decides, so its value or error stands.
          f.fallbacks++;
          return interpreted(vars);
        }
      }
    : interpreted;
  facts.set(program, f);
  return program;
}

/**
 * The closure form of an expression, or undefined when it fails cel-js's type check (the
 * interpreter then reports that error on every run) or leaves the subset. It works on a
 * second parse because checking annotates the tree: the interpreter's copy stays as cel-js
 * leaves it.
 */
function closures(env: RuleEnvironment, expression: string): Compiled | undefined {
  const copy = env.cel.parse(expression);
  if (!copy.check().valid) return undefined;
  return compileExpression(copy.ast as unknown as CelNode, (name) => env.variables.get(name) ?? (env.cel.hasVariable(name) ? 'constant' : undefined));
}

/** Parses a rule only to read it (no limits, no program): throws VALIDATION_FAILED naming `field` when it does not parse. */
export function readRule(expression: string, environment: NamedRuleEnvironment | RuleEnvironment, field: string): RuleReads {
  const env = typeof environment === 'string' ? ruleEnvironment(environment) : environment;
  try {
    return readsOf(env.cel.parse(expression).ast as unknown as AstNode);
  } catch (e) {
    throw new ValidationError([{ field, rule: 'cel', message: `does not compile: ${String((e as Error).message).split('\n')[0]}` }]);
  }
}
