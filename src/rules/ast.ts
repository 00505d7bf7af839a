/**
 * Reading cel-js's parsed tree (lib/parser.js ASTNode). Macros are expanded at parse time:
 * `list.all(x, p)` keeps its call node and hangs the comprehension on `meta.alternate`;
 * `has()` and `cel.bind()` hang an object with their parts on `meta.macro`. Walking a rule
 * means following those, not the call's own arguments.
 */

/** A node of the tree as far as rules/ reads it. */
export interface AstNode {
  op: string;
  args: unknown;
  readonly meta: { alternate?: AstNode; macro?: MacroParts; evaluate?: EvaluateFn };
  evaluate: EvaluateFn;
}

/** The parts of an expanded macro: `has(x.f)` has `args`; `cel.bind(v, val, exp)` has `var`, `val` and `exp`. */
export interface MacroParts {
  args?: unknown[];
  var?: string;
  val?: AstNode;
  exp?: AstNode;
  evaluate: EvaluateFn;
}

/** The parts of a comprehension node (`all`, `exists`, `exists_one`, `map`, `filter`). */
export interface ComprehensionArgs {
  iterable: AstNode;
  init: AstNode;
  step: AstNode;
  iterVarName: string;
  kind?: string;
}

// cel-js calls evaluate(evaluator, node, context); the types are its own.
export type EvaluateFn = (this: unknown, ev: unknown, ast: unknown, ctx: unknown) => unknown;

export function isAstNode(n: unknown): n is AstNode {
  return typeof n === 'object' && n !== null && typeof (n as AstNode).op === 'string' && 'meta' in n;
}

/** The node that is evaluated in place of `n`: a macro's expansion, else `n` itself. */
export function expanded(n: AstNode): AstNode {
  return n.meta.alternate ?? n;
}

/** The argument nodes of a call (`f(a, b)`: a, b) or a method call (`r.f(a)`: r, a). */
export function callOperands(n: AstNode): { name: string; receiver: AstNode | undefined; args: AstNode[] } {
  if (n.op === 'call') {
    const [name, args] = n.args as [string, AstNode[]];
    return { name, receiver: undefined, args };
  }
  const [name, receiver, args] = n.args as [string, AstNode, AstNode[]];
  return { name, receiver, args };
}

/**
 * Every node evaluated as part of `n`, each once, including macro expansions and their
 * parts. Used to instrument a tree for the run-time budget.
 */
export function everyNode(root: AstNode, visit: (n: AstNode) => void): void {
  const seen = new Set<AstNode>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      for (const y of x) walk(y);
      return;
    }
    if (!isAstNode(x) || seen.has(x)) return;
    seen.add(x);
    visit(x);
    const m = x.meta;
    if (m.alternate) walk(m.alternate);
    if (m.macro) {
      walk(m.macro.args);
      walk(m.macro.val);
      walk(m.macro.exp);
    }
    if (x.op === 'comprehension') {
      const c = x.args as ComprehensionArgs;
      walk([c.iterable, c.init, c.step]);
    } else if (x.op !== 'value' && x.op !== 'id') {
      walk(x.args);
    }
  };
  walk(root);
}

/**
 * Visits every node with the names bound where it stands (a comprehension's variable inside
 * its step, a `cel.bind` variable inside its expression) and a way to find a node's parent.
 */
export function everyNodeScoped(root: AstNode, visit: (n: AstNode, parent: (n: AstNode) => AstNode | undefined, bound: ReadonlySet<string>) => void): void {
  const parents = new Map<AstNode, AstNode>();
  const parent = (n: AstNode) => parents.get(n);
  const walk = (x: unknown, from: AstNode | undefined, bound: ReadonlySet<string>): void => {
    if (Array.isArray(x)) {
      for (const y of x) walk(y, from, bound);
      return;
    }
    if (!isAstNode(x)) return;
    if (from) parents.set(x, from);
    visit(x, parent, bound);
    const m = x.meta;
    if (m.alternate) return walk(m.alternate, from, bound);
    if (m.macro) {
      if (m.macro.var !== undefined) {
        walk(m.macro.val, x, bound);
        walk(m.macro.exp, x, new Set(bound).add(m.macro.var));
      } else walk(m.macro.args, x, bound);
      return;
    }
    if (x.op === 'comprehension') {
      const c = x.args as ComprehensionArgs;
      walk([c.iterable, c.init], x, bound);
      walk(c.step, x, new Set(bound).add(c.iterVarName));
    } else if (x.op !== 'value' && x.op !== 'id') {
      walk(x.args, x, bound);
    }
  };
  walk(root, undefined, new Set());
}
