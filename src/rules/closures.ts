/**
 * Compiles a type-checked cel-js AST to nested JavaScript closures, for the subset of CEL
 * that policies use. The closures never decide anything cel-js would decide differently:
 * whenever a value at run time is outside what a closure handles (null, a missing key, a
 * Map, int arithmetic, mixed types, a non-boolean in a logical operator …) it throws
 * FALLBACK and the caller re-runs the expression on the interpreter, which then gives the
 * exact CEL value or error. The subset, per node:
 *
 * - literals: int (bigint), double (number), string, bool, null; list literals
 * - variables, and field access on plain objects with an own, defined property
 * - `!b`; `-x` on a double or an int (cel-js does not range-check int negation)
 * - `&&`, `||` on booleans with CEL short-circuit; `c ? x : y` on a boolean `c`
 * - `==`, `!=` on two numbers (double or int, compared exactly), two strings or two booleans
 * - `<`, `<=`, `>`, `>=` on two numbers (double or int; NaN compares false)
 * - `+`, `-`, `*`, `/` on two doubles
 * - `s in list` with a string `s` and a list of strings
 * - `size(list)` and `list.size()` (an int)
 *
 * Closures made at one site share V8's type feedback, so each closure call costs a few
 * nanoseconds whatever it does: the common shapes (a variable's field, a comparison with a
 * literal, a chain of `||`) are fused into one closure each.
 */
import { bail, binary, type Compiled, type Part } from './closureOps.js';

export { FALLBACK, type Compiled } from './closureOps.js';

/** The shape of a cel-js AST node (lib/parser.js ASTNode) as far as the compiler reads it. */
export interface CelNode {
  op: string;
  args: unknown;
}

const hasOwn = Object.hasOwn;

/**
 * A value as cel-js accepts it from a variable or a field (its debugType without throwing):
 * primitives, plain objects and arrays. Anything else (undefined, null, Map, Set, Date,
 * functions, class instances) bails, and the interpreter decides.
 */
function checked(v: unknown): unknown {
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'bigint':
      return v;
    case 'object': {
      if (v === null) return bail();
      const c = (v as { constructor?: unknown }).constructor;
      return c === Object || c === undefined || c === Array ? v : bail();
    }
    default:
      return bail();
  }
}

/** A field of a plain object (cel-js fieldAccess: own and defined, else "No such key"). */
function field(o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null) return bail();
  const c = (o as { constructor?: unknown }).constructor;
  if ((c !== Object && c !== undefined) || !hasOwn(o, key)) return bail();
  return (o as Record<string, unknown>)[key];
}

/**
 * How the environment declares a name: `dyn` and undeclared names are read from the
 * variables as they are; `double` must hold a number; `constant` resolves in cel-js's registry.
 */
export type Declared = (name: string) => 'dyn' | 'double' | 'constant' | undefined;

/** Compiles a whole expression, or returns undefined when any node in it is outside the subset. */
export function compileExpression(root: CelNode, declared: Declared): Compiled | undefined {
  const part = compile(root, declared);
  return part && settled(part);
}

/** The node's closure with its value checked the way cel-js checks a variable's value. */
function settled(p: Part): Compiled {
  if (!p.raw) return p.run;
  const run = p.run;
  return (vars) => checked(run(vars));
}

const node = (run: Compiled, raw = false): Part => ({ run, raw });

function compile(n: unknown, declared: Declared): Part | undefined {
  if (!isNode(n)) return undefined;
  const sub = (m: unknown) => compile(m, declared);
  const a = n.args;
  switch (n.op) {
    case 'value': {
      // bytes (Uint8Array) and uint (UnsignedInt) literals stay with the interpreter.
      if (a !== null && typeof a !== 'number' && typeof a !== 'bigint' && typeof a !== 'string' && typeof a !== 'boolean') return undefined;
      return { run: () => a, raw: false, literal: { value: a } };
    }
    case 'id':
    case '.':
      return path(n, declared);
    case '!_': {
      const x = sub(a)?.run;
      if (!x) return undefined;
      return node((vars) => {
        const v = x(vars);
        return typeof v === 'boolean' ? !v : bail();
      });
    }
    case '-_': {
      const x = sub(a)?.run;
      if (!x) return undefined;
      return node((vars) => {
        const v = x(vars);
        return typeof v === 'number' || typeof v === 'bigint' ? -v : bail();
      });
    }
    case '&&':
    case '||':
      return logical(n.op, n, declared);
    case '?:': {
      const [c, t, f] = (a as unknown[]).map(sub);
      if (!c || !t || !f) return undefined;
      const cond = c.run;
      const [yes, no] = [t.run, f.run];
      return node((vars) => {
        const v = cond(vars);
        if (v === true) return yes(vars);
        if (v === false) return no(vars);
        return bail();
      }, t.raw || f.raw);
    }
    case 'list': {
      const items = (a as unknown[]).map(sub);
      if (items.some((i) => !i)) return undefined;
      const xs = (items as Part[]).map(settled);
      return node((vars) => {
        const out = new Array<unknown>(xs.length);
        for (let i = 0; i < xs.length; i++) out[i] = xs[i]!(vars);
        return out;
      });
    }
    case 'call':
    case 'rcall': {
      // size(x) is ["size", [x]]; x.size() is ["size", x, []].
      const [name, ...rest] = a as [unknown, ...unknown[]];
      const arg = n.op === 'call' ? (rest[0] as unknown[]) : (rest[1] as unknown[]).length === 0 ? [rest[0]] : [];
      if (name !== 'size' || arg.length !== 1) return undefined;
      const x = sub(arg[0])?.run;
      return x ? node((vars) => listSize(x(vars))) : undefined;
    }
    default: {
      if (!Array.isArray(a) || a.length !== 2) return undefined;
      const l = sub(a[0]);
      const r = sub(a[1]);
      if (!l || !r) return undefined;
      const run = binary(n.op, l, r);
      return run && node(run);
    }
  }
}

function isNode(n: unknown): n is CelNode {
  return typeof n === 'object' && n !== null && typeof (n as CelNode).op === 'string';
}

/** A variable and the fields read from it (`customer.age`), as one closure. */
function path(n: CelNode, declared: Declared): Part | undefined {
  const keys: string[] = [];
  let at: unknown = n;
  while (isNode(at) && at.op === '.') {
    const [left, key] = at.args as [unknown, unknown];
    if (typeof key !== 'string') return undefined;
    keys.unshift(key);
    at = left;
  }
  if (!isNode(at)) return undefined;
  if (at.op !== 'id') {
    // A field of a computed value, e.g. (c ? a : b).x.
    const base = compile(at, declared)?.run;
    if (!base) return undefined;
    return node((vars) => {
      let v = base(vars);
      for (const k of keys) v = field(v, k);
      return v;
    }, true);
  }
  const name = at.args;
  if (typeof name !== 'string') return undefined;
  const kind = declared(name);
  // Constants (int, string, … as type names) resolve in the registry, not in vars.
  if (kind === 'constant') return undefined;
  if (kind === 'double') {
    // A variable declared double: cel-js refuses any other value, so anything but a number bails.
    if (keys.length > 0) return undefined;
    return node((vars) => {
      const v = vars[name];
      return typeof v === 'number' ? v : bail();
    });
  }
  // Raw values: whoever reads one checks its type, and settled() checks a result.
  switch (keys.length) {
    case 0:
      return node((vars) => vars[name], true);
    case 1: {
      const k = keys[0]!;
      return node((vars) => {
        const o = vars[name];
        if (typeof o !== 'object' || o === null) return bail();
        const c = (o as { constructor?: unknown }).constructor;
        if ((c !== Object && c !== undefined) || !hasOwn(o, k)) return bail();
        return (o as Record<string, unknown>)[k];
      }, true);
    }
    case 2: {
      const [k1, k2] = keys as [string, string];
      return node((vars) => field(field(vars[name], k1), k2), true);
    }
    default:
      return node((vars) => {
        let v = vars[name];
        for (const k of keys) v = field(v, k);
        return v;
      }, true);
  }
}

/**
 * `size()` of a list. cel-js inspects the type of the first element (debugTypeDeep), which
 * throws for unsupported values, so the fast path takes only lists that start with a primitive.
 */
function listSize(v: unknown): bigint {
  if (!Array.isArray(v) || v.constructor !== Array) return bail();
  if (v.length > 0) {
    const t = typeof v[0];
    if (t !== 'string' && t !== 'number' && t !== 'boolean' && t !== 'bigint') return bail();
  }
  return BigInt(v.length);
}

/**
 * A chain of `&&` (or of `||`) as one closure over its operands. CEL short-circuits on
 * booleans: the first false (true) decides; any other value before it bails, as it
 * would in the nested form.
 */
function logical(op: '&&' | '||', n: CelNode, declared: Declared): Part | undefined {
  const operands: unknown[] = [];
  const flatten = (m: unknown): void => {
    if (isNode(m) && m.op === op) for (const x of m.args as unknown[]) flatten(x);
    else operands.push(m);
  };
  flatten(n);
  const parts = operands.map((m) => compile(m, declared));
  if (parts.some((p) => !p)) return undefined;
  const runs = (parts as Part[]).map((p) => p.run);
  const decides = op === '||';
  if (runs.length === 2) {
    const [l, r] = runs as [Compiled, Compiled];
    return node((vars) => {
      const x = l(vars);
      if (x === decides) return decides;
      if (x !== !decides) return bail();
      const y = r(vars);
      return typeof y === 'boolean' ? y : bail();
    });
  }
  return node((vars) => {
    for (let i = 0; i < runs.length; i++) {
      const x = runs[i]!(vars);
      if (x === decides) return decides;
      if (x !== !decides) return bail();
    }
    return !decides;
  });
}
