/**
 * What a rule may cost. At compile time the parsed tree is measured: comprehensions may nest
 * only so deep, a regular expression must be a literal that cannot backtrack exponentially,
 * and the estimated number of evaluation steps must stay under the environment's limit. At
 * run time the interpreter's tree counts its steps and stops the run when the budget is
 * spent. Together they bound what one rule can do to a decision or an event (a catalogue
 * rule of 481 characters once held the server for 28.8 s per decision).
 */
import type { FieldIssue } from '../core/errors.js';
import { callOperands, everyNode, expanded, isAstNode, type AstNode, type ComprehensionArgs, type EvaluateFn } from './ast.js';
import type { RuleLimits } from './environments.js';

/** A value's estimated cost to compute and its length (elements or characters); `container` when it is known to be a list, map or string. */
interface Estimate {
  cost: number;
  size: number;
  container: boolean;
}

/** Functions whose result is a string or list about as long as their operands. */
const SIZED_RESULTS = new Set(['split', 'join', 'substring', 'lowerAscii', 'upperAscii', 'trim', 'replace', 'string', 'bytes']);

/**
 * The issues that refuse a rule on cost, each naming `field`: nesting (`cel_nesting`), an
 * unsafe regular expression (`cel_regex`), an estimate over the limit (`cel_cost`).
 */
export function costIssues(root: AstNode, limits: RuleLimits, field: string): FieldIssue[] {
  const issues = new Map<string, FieldIssue>();
  const add = (rule: string, message: string) => {
    if (!issues.has(rule)) issues.set(rule, { field, rule, message });
  };
  const A = limits.assumedInputSize;
  const unknown = (cost: number): Estimate => ({ cost, size: A, container: false });
  const scalar = (cost: number): Estimate => ({ cost, size: 1, container: false });

  const est = (n: AstNode, scope: ReadonlyMap<string, Estimate>, depth: number): Estimate => {
    const macro = n.meta.macro;
    if (macro && macro.var !== undefined && macro.val && macro.exp) {
      // cel.bind(v, val, exp): v holds val's value inside exp.
      const val = est(macro.val, scope, depth);
      const exp = est(macro.exp, new Map(scope).set(macro.var, { cost: 1, size: val.size, container: val.container }), depth);
      return { cost: 1 + val.cost + exp.cost, size: exp.size, container: exp.container };
    }
    if (macro) return scalar(1 + sum((macro.args ?? []).filter(isAstNode).map((a) => est(a, scope, depth).cost)));
    const x = expanded(n);
    const sub = (m: unknown) => est(m as AstNode, scope, depth);
    const a = x.args;
    switch (x.op) {
      case 'value':
        return typeof a === 'string' ? { cost: 1, size: a.length, container: true } : a instanceof Uint8Array ? { cost: 1, size: a.length, container: true } : scalar(1);
      case 'id':
        return scope.get(a as string) ?? unknown(1);
      case '.':
      case '.?':
        return unknown(1 + sub((a as unknown[])[0]).cost);
      case '[]':
      case '[?]':
        return unknown(1 + sub((a as unknown[])[0]).cost + sub((a as unknown[])[1]).cost);
      case 'list': {
        const items = (a as AstNode[]).map(sub);
        return { cost: 1 + sum(items.map((i) => i.cost)), size: items.length, container: true };
      }
      case 'map': {
        const entries = a as [AstNode, AstNode][];
        return { cost: 1 + sum(entries.map(([k, v]) => sub(k).cost + sub(v).cost)), size: entries.length, container: true };
      }
      case 'comprehension': {
        const c = a as ComprehensionArgs;
        if (depth + 1 > limits.maxNesting) add('cel_nesting', `comprehensions (all, exists, map, filter …) nest ${depth + 1} deep; at most ${limits.maxNesting} allowed`);
        const range = sub(c.iterable);
        const init = sub(c.init);
        const step = est(c.step, new Map(scope).set(c.iterVarName, unknown(1)), depth + 1);
        return { cost: 1 + range.cost + init.cost + range.size * (step.cost + 1), size: range.size, container: true };
      }
      case 'accuValue':
      case 'accuInc':
        return unknown(1);
      case 'accuPush':
        return unknown(1 + sub(a).cost);
      case '?:': {
        const [c, t, f] = (a as AstNode[]).map(sub) as [Estimate, Estimate, Estimate];
        return { cost: 1 + c.cost + Math.max(t.cost, f.cost), size: Math.max(t.size, f.size), container: t.container || f.container };
      }
      case '!_':
      case '-_':
        return scalar(1 + sub(a).cost);
      case 'call':
      case 'rcall': {
        const { name, receiver, args } = callOperands(x);
        if (name === 'matches') checkPattern(args[args.length - 1], add);
        const ops = [...(receiver ? [receiver] : []), ...args].map(sub);
        const scanned = sum(ops.filter((o) => o.container).map((o) => o.size));
        const size = Math.max(1, ...ops.map((o) => o.size));
        const sized = SIZED_RESULTS.has(name) && ops.some((o) => o.container);
        return { cost: 1 + sum(ops.map((o) => o.cost)) + scanned, size: sized ? size : name === 'split' ? A : 1, container: sized };
      }
      case 'in': {
        const [l, r] = (a as AstNode[]).map(sub) as [Estimate, Estimate];
        return scalar(1 + l.cost + r.cost + r.size);
      }
      case '+': {
        const [l, r] = (a as AstNode[]).map(sub) as [Estimate, Estimate];
        if (!l.container && !r.container) return scalar(1 + l.cost + r.cost);
        return { cost: 1 + l.cost + r.cost + l.size + r.size, size: l.size + r.size, container: true };
      }
      default: {
        if (!Array.isArray(a)) return scalar(1);
        const ops = (a as unknown[]).filter(isAstNode).map(sub);
        // Comparing a known list or string walks it; two values read from the inputs are left to the run-time budget.
        const known = ops.filter((o) => o.container).map((o) => o.size);
        const scanned = (x.op === '==' || x.op === '!=') && known.length > 0 ? Math.min(...known) : 0;
        return scalar(1 + sum(ops.map((o) => o.cost)) + scanned);
      }
    }
  };

  const total = est(root, new Map(), 0).cost;
  if (total > limits.maxEstimatedCost) {
    add('cel_cost', `estimated at ${formatCost(total)} evaluation steps (lists and strings read from the inputs counted as ${A} long); at most ${limits.maxEstimatedCost.toLocaleString('en-GB')} allowed`);
  }
  return [...issues.values()];
}

const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
const formatCost = (n: number): string => (n < 1e9 ? Math.round(n).toLocaleString('en-GB') : n.toExponential(1));

/**
 * A `matches` pattern must be a string literal, without back-references and without a
 * repeated group that itself repeats or alternates (`(a+)+`, `(a|aa)*`): the patterns on
 * which JavaScript's backtracking engine takes exponential time.
 */
function checkPattern(arg: AstNode | undefined, add: (rule: string, message: string) => void): void {
  if (!arg || arg.op !== 'value' || typeof arg.args !== 'string') {
    add('cel_regex', 'matches() takes a string literal as its pattern, not a computed value');
    return;
  }
  const why = unsafePattern(arg.args);
  if (why) add('cel_regex', `the pattern ${JSON.stringify(arg.args)} ${why}`);
}

/** Why a regular expression may backtrack exponentially, or undefined when it cannot in the ways checked. */
export function unsafePattern(p: string): string | undefined {
  if (/\\[1-9]|\\k</.test(p)) return 'uses a back-reference';
  // Per open group: does it contain a quantifier or an alternation?
  const groups: { risky: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') groups.push({ risky: false });
    else if (c === '|' && groups.length > 0) groups[groups.length - 1]!.risky = true;
    else if (c === '*' || c === '+' || c === '{') {
      if (groups.length > 0) groups[groups.length - 1]!.risky = true;
    } else if (c === ')') {
      const g = groups.pop();
      const next = p[i + 1];
      const repeated = next === '*' || next === '+' || next === '{';
      if (g?.risky && repeated) return 'repeats a group that itself repeats or alternates (exponential backtracking)';
      if (g?.risky && groups.length > 0) groups[groups.length - 1]!.risky = true;
    }
  }
  return undefined;
}

/** Thrown when a run spends its budget; the evaluation functions turn it into a failed rule. */
export class RuleBudgetExceeded extends Error {
  constructor(readonly budget: number) {
    super(`rule stopped: over its evaluation budget of ${budget.toLocaleString('en-GB')} steps`);
    this.name = 'RuleBudgetExceeded';
  }
}

/** The steps a run has left, shared by every node of one interpreted tree. */
export interface Meter {
  left: number;
}

/** Characters a native string scan does in the time of one interpreted step. */
const CHARS_PER_STEP = 16;

/**
 * Makes every node of an interpreter tree count a step, and every list, map or string that
 * an operator or function takes as an operand count its length, against `meter`; the node
 * that finds the meter empty throws `exhausted`. cel-js resolves a node's evaluate on first
 * use (macro, alternate, operator), so the wrapper resolves it the same way on each call.
 */
export function meterTree(root: AstNode, meter: Meter, exhausted: RuleBudgetExceeded): void {
  const sized = new Set<AstNode>();
  everyNode(root, (n) => {
    if (n.meta.alternate || n.meta.macro) return;
    if (n.op === 'in' || n.op === '+' || n.op === '==' || n.op === '!=') for (const o of n.args as AstNode[]) sized.add(o);
    else if (n.op === 'call' || n.op === 'rcall') {
      const { receiver, args } = callOperands(n);
      if (receiver) sized.add(receiver);
      for (const o of args) sized.add(o);
    }
  });
  everyNode(root, (n) => {
    const charge = sized.has(n);
    // Resolved on first use and kept, as cel-js's own ASTNode.evaluate does: by then the
    // type check has settled the node (an alternate for a constant, a faster evaluate).
    let resolved: EvaluateFn | undefined;
    const resolve = (): EvaluateFn => {
      const m = n.meta;
      if (m.alternate) {
        const alt = m.alternate;
        return (ev, _ast, ctx) => alt.evaluate(ev, alt, ctx);
      }
      if (m.macro) {
        const macro = m.macro;
        return (ev, _ast, ctx) => macro.evaluate.call(macro, ev, macro, ctx);
      }
      const own = m.evaluate!;
      return (ev, ast, ctx) => own.call(n, ev, ast, ctx);
    };
    const run: EvaluateFn = function (ev, ast, ctx) {
      if (--meter.left < 0) throw exhausted;
      const v = (resolved ??= resolve())(ev, ast, ctx);
      if (charge) {
        if (Array.isArray(v)) meter.left -= v.length;
        else if (typeof v === 'string') meter.left -= Math.floor(v.length / CHARS_PER_STEP);
        else if (v instanceof Map) meter.left -= v.size;
        if (meter.left < 0) throw exhausted;
      }
      return v;
    };
    n.evaluate = run;
  });
}
